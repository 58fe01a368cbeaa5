/** The `laurel` command: parses the command line and dispatches to a command. */
import {parseArgs} from 'node:util';
import {EXIT, UsageError} from './exit-codes.js';
import type {Output} from './verify-command.js';

const USAGE = `Usage: laurel <command> [options]

Commands:
  verify <source>...          Verify Open Badges 3.0 / VC 2.0 credentials
                              (JSON, vc+jwt, or a baked PNG/SVG badge) from
                              files, directories or https URLs

Options:
  -h, --help   Show this help

Run 'laurel verify --help' for the options of verify.
`;

const VERIFY_USAGE = `Usage: laurel verify <file | directory | https-URL>... [options]

Verifies credentials: structure, vocabulary, OB 3.0 schema, signature, issuer
key and validity dates. A file or URL may hold the credential as JSON, as a
vc+jwt compact JWS, or baked into a PNG or SVG badge image (OB 3.0 §5.3); the
kind is detected from the content. A directory stands for every *.json, *.jwt,
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
      const help = argv[0] === 'verify' ? 'laurel verify --help' : 'laurel --help';
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
