/** The `laurel` command: parses the command line and dispatches to a command. */
import {parseArgs} from 'node:util';
import {EXIT, UsageError} from './exit-codes.js';
import type {Output} from './verify-command.js';

const USAGE = `Usage: laurel <command> [options]

Commands:
  verify <source>...          Verify Open Badges 3.0 / VC 2.0 credentials
                              (JSON, vc+jwt, or a baked PNG/SVG badge) from
                              files, directories or https URLs
  audit verify                Verify an organization's audit log (hash chain
                              and signed head) fetched from a Laurel server
  issue --csv <file>          Issue a credential to every row of a CSV or .xlsx
                              file on a Laurel server, with live progress
  worker                      Run Laurel's background jobs (bulk issuance,
                              email, bulk revocation) against DATABASE_URL;
                              as many as you like (this checkout's server)

Options:
  -h, --help   Show this help

Run 'laurel verify --help' for the options of verify,
'laurel audit verify --help' for those of audit verify,
'laurel issue --help' for those of issue.
`;

const ISSUE_USAGE = `Usage: laurel issue --csv <file> --achievement <id> --url <Laurel base URL> [options]

Uploads the file to the server (POST /api/v1/batches, streamed from disk),
which issues a credential of the achievement to each valid row and emails it
to the recipient, then follows the batch with a live progress bar (a plain
line every few seconds when stderr is not a terminal) and sums up: issued,
failed, emailed, and where to download the rows that failed (errors.csv).

Retrying the same file for the same achievement is safe: the upload carries an
Idempotency-Key made from the file's SHA-256 and the achievement, so the
server answers with the batch it already has instead of issuing twice.

The mapping says which column holds each field: name (required), email, did,
validFrom, validUntil (ISO 8601: 2026-03-01 or 2026-03-01T09:00:00Z),
evidenceUrl, and fields.<name> for the template's own fields. Without
--mapping or --map, no mapping is sent and the server decides (it may guess
from usual headers such as Name, Email, Valid until).

Options:
  --csv <file>              The CSV file (UTF-8, UTF-16 with a BOM, or Excel's
                            Windows-1252; delimiter , ; tab or |)
  --xlsx <file>             An Excel workbook instead (its first worksheet)
  --achievement <id>        The achievement to issue (an id that starts with "-":
                            --achievement=<id>)
  --url <url>               The server, e.g. https://laurel.example.org
  --api-key <key>           An API key of the organization (or set LAUREL_API_KEY)
  --mapping <json>          The mapping as JSON, e.g.
                            '{"name":"Full name","email":"E-mail"}'
  --map <field>=<header>    One field of the mapping (repeat it), e.g.
                            --map "name=Full name" --map email=E-mail
                            --map fields.course=Course
  --no-email                Issue without emailing the recipients
  --dry-run                 Only check the file: print the validation report
                            (every problem by row and column); nothing is issued
  --allow-http              Permit a plain http URL (a local instance)
  --json                    Print the final batch (or the report) as JSON
  -h, --help                Show this help

Exit codes: 0 every row was issued (with --dry-run: every row is valid);
1 some rows failed or were invalid, the batch failed or was cancelled, or the
server refused the upload; 2 usage error; 3 internal error; 130 stopped with
Ctrl-C (the batch goes on on the server).
`;

const AUDIT_USAGE = `Usage: laurel audit verify --url <Laurel base URL> --api-key <key> [options]

Fetches the organization's audit log (every entry, in chain order) and its
signed head from a Laurel server, and verifies them here: each entry's hash,
the chain of hashes, gap-free sequence numbers, and the head's Ed25519
signature by the instance key. Every problem is printed with its code and the
entry's seq (AUDIT_HASH_MISMATCH, AUDIT_SEQ_GAP, AUDIT_ORDER,
AUDIT_CHAIN_BROKEN, AUDIT_TRUNCATED, AUDIT_HEAD_MISMATCH, AUDIT_HEAD_MISSING,
AUDIT_HEAD_SIGNATURE_INVALID, AUDIT_WRONG_ORGANIZATION, AUDIT_MALFORMED).

Options:
  --url <url>          The server, e.g. https://laurel.example.org
  --api-key <key>      An API key of the organization (or set LAUREL_API_KEY)
  --public-key <z6Mk…> Pin the instance key (Multikey, as GET
                       /api/v1/audit/head shows it) instead of trusting the
                       one the server publishes
  --allow-http         Permit a plain http URL (a local instance)
  --json               Print the result as JSON
  -h, --help           Show this help

Exit codes: 0 the log is intact; 1 any problem, or the log could not be read
(network error, refused key); 2 usage error; 3 internal error.
`;

const VERIFY_USAGE = `Usage: laurel verify <file | directory | https-URL>... [options]

Verifies credentials: structure, vocabulary, OB 3.0 schema, signature, issuer
key and validity dates. A file or URL may hold the credential as JSON, as a
vc+jwt compact JWS, baked into a PNG or SVG badge image (OB 3.0 §5.3), or
attached inside a PDF certificate (an embedded .json file); the kind is
detected from the content. A directory stands for every *.json, *.jwt,
*.png and *.svg file in it (not recursive). JSON-LD contexts are never fetched (bundled ones only);
did:key issuers need no network, did:web issuer documents are fetched over https.

With several sources (or a directory), each result is printed in turn, then a
summary line 'N verified, M not verified'; with --json, one JSON array of
{"source", "result"} (result is null, with an "error", when the content could
not be read as a credential). One file or URL prints its result alone, as JSON
with --json.

Options:
  --json           Print only the verification result(s), as JSON
  --allow-http     Permit plain http for the credential URL, and for did:web
                   documents when https cannot connect (a local instance)
  --now <date>     Check the validity dates at this ISO 8601 time, not now
  -h, --help       Show this help

Exit codes: 0 every credential verified; 1 any not verified, or a file or URL
does not hold a readable credential; 2 usage error (bad arguments, no such
file, refused URL, a directory with no credential file);
3 internal error (a bug in Laurel).
`;

const stdio: Output = {
  out: text => void process.stdout.write(text),
  err: text => void process.stderr.write(text),
};

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function run(argv: string[], output: Output = stdio): Promise<number> {
  try {
    return await dispatch(argv, output);
  } catch(error) {
    if(error instanceof UsageError) {
      const help = argv[0] === 'verify' ? 'laurel verify --help' : argv[0] === 'audit' ? 'laurel audit verify --help'
        : argv[0] === 'issue' ? 'laurel issue --help' : 'laurel --help';
      output.err(`laurel: ${error.message}\nRun '${help}' for usage.\n`);
      return EXIT.usage;
    }
    output.err(`laurel: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}

async function dispatch(argv: string[], output: Output): Promise<number> {
  const [command, ...rest] = argv;
  if(command === undefined) {
    output.err(USAGE);
    return EXIT.usage;
  }
  if(command === '-h' || command === '--help') {
    output.out(USAGE);
    return EXIT.ok;
  }
  if(command === 'verify') return verifyCommand(rest, output);
  if(command === 'audit') return auditCommand(rest, output);
  if(command === 'issue') return issueCommand(rest, output);
  if(command === 'worker') return workerCommand(rest);
  throw new UsageError(command.startsWith('-') ? `unknown option ${command}` : `unknown command ${command}`);
}

async function verifyCommand(args: string[], output: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'json': {type: 'boolean', default: false},
        'allow-http': {type: 'boolean', default: false},
        'now': {type: 'string'},
        'help': {type: 'boolean', short: 'h', default: false},
      },
    });
  } catch(error) {
    // parseArgs throws TypeError with ERR_PARSE_ARGS_* codes for unknown or malformed options.
    throw new UsageError((error as Error).message);
  }
  const {values, positionals} = parsed;
  if(values.help) {
    output.out(VERIFY_USAGE);
    return EXIT.ok;
  }
  if(positionals.length === 0) throw new UsageError('verify needs a credential file, directory or URL');
  // Loaded only now: the core (jsonld, ajv) takes most of the start-up time, and help or a usage error needs none of it.
  const {runVerify} = await import('./verify-command.js');
  return runVerify({
    sources: positionals,
    json: values.json,
    allowHttp: values['allow-http'],
    now: values.now === undefined ? new Date() : parseNow(values.now),
  }, output);
}

/** Parses --now: an ISO 8601 date (UTC midnight) or a date-time with a zone, so the result never depends on the local zone. */
function parseNow(text: string): Date {
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i.test(text) ? Date.parse(text) : NaN;
  if(Number.isNaN(ms)) throw new UsageError(`--now must be an ISO 8601 date or a date-time with a zone (2030-01-01, 2030-01-01T12:00:00Z), got ${JSON.stringify(text)}`);
  return new Date(ms);
}

async function auditCommand(args: string[], output: Output): Promise<number> {
  const [sub, ...rest] = args;
  if(sub === '-h' || sub === '--help') {
    output.out(AUDIT_USAGE);
    return EXIT.ok;
  }
  if(sub !== 'verify') throw new UsageError(sub === undefined ? 'audit needs a subcommand: verify' : `unknown audit subcommand ${sub}`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: false,
      strict: true,
      options: {
        'url': {type: 'string'},
        'api-key': {type: 'string'},
        'public-key': {type: 'string'},
        'allow-http': {type: 'boolean', default: false},
        'json': {type: 'boolean', default: false},
        'help': {type: 'boolean', short: 'h', default: false},
      },
    });
  } catch(error) {
    throw new UsageError((error as Error).message);
  }
  const {values} = parsed;
  if(values.help) {
    output.out(AUDIT_USAGE);
    return EXIT.ok;
  }
  if(values.url === undefined) throw new UsageError('audit verify needs --url <Laurel base URL>');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`${values.url} is not a valid URL`);
  }
  if(url.protocol === 'http:' && !values['allow-http']) {
    throw new UsageError(`refusing to send an API key over plain http to ${url.origin}: use https, or pass --allow-http for a local instance`);
  }
  if(url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`unsupported URL scheme ${url.protocol} (use https)`);
  // The only environment read outside flags: a key in the environment stays out of the process list and shell history.
  const apiKey = values['api-key'] ?? process.env.LAUREL_API_KEY;
  if(!apiKey) throw new UsageError('audit verify needs --api-key <key> (or LAUREL_API_KEY)');
  const {decodeEd25519PublicKey} = await import('@laurel/core');
  let publicKey: Uint8Array | undefined;
  if(values['public-key'] !== undefined) {
    publicKey = decodeEd25519PublicKey(values['public-key']) ?? undefined;
    if(!publicKey) throw new UsageError(`--public-key must be an Ed25519 Multikey (z6Mk…), got ${JSON.stringify(values['public-key'])}`);
  }
  const {runAuditVerify} = await import('./audit-command.js');
  return runAuditVerify({url, apiKey, json: values.json, allowHttp: values['allow-http'], publicKey}, output);
}

async function issueCommand(args: string[], output: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        'csv': {type: 'string'},
        'xlsx': {type: 'string'},
        'achievement': {type: 'string'},
        'url': {type: 'string'},
        'api-key': {type: 'string'},
        'mapping': {type: 'string'},
        'map': {type: 'string', multiple: true},
        'no-email': {type: 'boolean', default: false},
        'dry-run': {type: 'boolean', default: false},
        'allow-http': {type: 'boolean', default: false},
        'json': {type: 'boolean', default: false},
        'help': {type: 'boolean', short: 'h', default: false},
      },
    });
  } catch(error) {
    throw new UsageError((error as Error).message);
  }
  const {values} = parsed;
  if(values.help) {
    output.out(ISSUE_USAGE);
    return EXIT.ok;
  }
  if(values.csv !== undefined && values.xlsx !== undefined) throw new UsageError('give either --csv or --xlsx, not both');
  const file = values.csv ?? values.xlsx;
  if(file === undefined) throw new UsageError('issue needs --csv <file> (or --xlsx <file>)');
  if(values.achievement === undefined || values.achievement.trim() === '') throw new UsageError('issue needs --achievement <id>');
  if(values.url === undefined) throw new UsageError('issue needs --url <Laurel base URL>');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`${values.url} is not a valid URL`);
  }
  if(url.protocol === 'http:' && !values['allow-http']) {
    throw new UsageError(`refusing to send an API key over plain http to ${url.origin}: use https, or pass --allow-http for a local instance`);
  }
  if(url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`unsupported URL scheme ${url.protocol} (use https)`);
  const apiKey = values['api-key'] ?? process.env.LAUREL_API_KEY;
  if(!apiKey) throw new UsageError('issue needs --api-key <key> (or LAUREL_API_KEY)');
  const {parseMapArguments, runIssue} = await import('./issue-command.js');
  let mapping: Record<string, unknown> | undefined;
  if(values.mapping !== undefined && values.map !== undefined) throw new UsageError('give the mapping either as --mapping <json> or as --map options, not both');
  if(values.mapping !== undefined) {
    const {parseJsonStrict} = await import('@laurel/core');
    const json = parseJsonStrict(values.mapping);
    if(!json.ok || typeof json.value !== 'object' || json.value === null || Array.isArray(json.value)) {
      throw new UsageError(`--mapping must be a JSON object such as '{"name":"Full name","email":"E-mail"}'${json.ok ? '' : ` (${json.problem.message})`}`);
    }
    mapping = json.value as Record<string, unknown>;
  } else if(values.map !== undefined) {
    mapping = parseMapArguments(values.map);
  }
  // Ctrl-C stops following the batch (which goes on on the server) rather than killing the process mid-line.
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    return await runIssue({
      file,
      format: values.xlsx !== undefined || /\.xlsx$/i.test(file) ? 'xlsx' : 'csv',
      achievementId: values.achievement,
      url,
      apiKey,
      mapping,
      sendEmail: !values['no-email'],
      dryRun: values['dry-run'],
      json: values.json,
      progress: process.stderr.isTTY ? 'bar' : 'lines',
      signal: stop.signal,
    }, output);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * `laurel worker`: runs the server's worker entry point (packages/server/src/worker.ts in this
 * checkout) in a child process with this environment, and exits with its code.
 */
async function workerCommand(args: string[]): Promise<number> {
  if(args.length) throw new UsageError('laurel worker takes no arguments: it is configured by the environment (DATABASE_URL, LAUREL_MASTER_KEY, SMTP_URL, …)');
  const {spawn} = await import('node:child_process');
  const {fileURLToPath} = await import('node:url');
  const {launchArgs} = await import('../../server/bin/run.mjs');
  const entry = fileURLToPath(new URL('../../server/src/worker.ts', import.meta.url));
  const child = spawn(process.execPath, launchArgs(entry), {stdio: 'inherit', env: process.env});
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  return new Promise(resolve => child.on('exit', code => resolve(code ?? 1)));
}
