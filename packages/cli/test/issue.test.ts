// `laurel issue --csv` against a small in-memory server on 127.0.0.1 that implements the batches contract
// (POST /api/v1/batches, multipart; GET /api/v1/batches/<id>): the real CLI as a child process, and runIssue
// in process for the progress display. Nothing leaves the machine.
import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {type IssueOptions, runIssue, uploadIdempotencyKey} from '../src/issue-command.js';
import {run} from '../src/main.js';

const BIN = fileURLToPath(new URL('../bin/laurel.js', import.meta.url));
const API_KEY = 'lrl_0123456789ab_test';

/** Runs the real CLI; `env` is added to this process's environment (without LAUREL_API_KEY unless given). */
function laurel(args: string[], env: Record<string, string> = {}): Promise<{code: number | null; stdout: string; stderr: string}> {
  const {LAUREL_API_KEY: _, ...base} = process.env;
  return new Promise(resolve => {
    const child = execFile(process.execPath, [BIN, ...args], {encoding: 'utf8', env: {...base, ...env}}, (error, stdout, stderr) => {
      resolve({code: child.exitCode ?? (error as {code?: number} | null)?.code ?? null, stdout, stderr});
    });
  });
}

/** One part of a multipart/form-data body. */
interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer;
}

/** A minimal multipart/form-data reader (RFC 7578): enough to check what the CLI sends. */
function parseMultipart(body: Buffer, contentType: string): Part[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if(!m) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts: Part[] = [];
  let start = body.indexOf(delimiter);
  while(start !== -1) {
    const from = start + delimiter.length;
    if(body.subarray(from, from + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, from);
    const raw = body.subarray(from + 2, next - 2); // after CRLF, before CRLF--boundary
    const split = raw.indexOf('\r\n\r\n');
    const headers = raw.subarray(0, split).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*?name="([^"]*)"(?:; filename="([^"]*)")?/i.exec(headers);
    const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
    parts.push({name: disposition![1], filename: disposition![2], type, data: raw.subarray(split + 4)});
    start = next;
  }
  return parts;
}

interface Upload {
  query: string;
  headers: IncomingMessage['headers'];
  parts: Part[];
}

interface Batch {
  id: string;
  achievementId: string;
  rows: {total: number; valid: number; invalid: number};
  polls: number;
}

let server: Server;
let base: string;
const uploads: Upload[] = [];
const batches = new Map<string, Batch>();
const byKey = new Map<string, Batch>();
const dir = mkdtempSync(join(tmpdir(), 'laurel-cli-issue-'));
const files: Record<string, string> = {};

const sendJson = (res: ServerResponse, status: number, body: unknown, type = 'application/json') =>
  void res.writeHead(status, {'content-type': type}).end(JSON.stringify(body));
const problem = (res: ServerResponse, status: number, code: string, detail: string, extra: object = {}) =>
  sendJson(res, status, {type: `urn:laurel:problem:${code.toLowerCase()}`, title: 'Error', status, code, detail, ...extra}, 'application/problem+json');

/** The batch as GET shows it after `polls` polls: queued once, then 4 rows a poll. The achievement picks an ending. */
function view(batch: Batch) {
  const total = batch.rows.valid;
  const step = Math.max(0, batch.polls - 1) * 4;
  const failing = batch.achievementId === 'ach-flaky' ? Math.min(2, total) : 0;
  const failed = Math.min(failing, step);
  const issued = Math.min(total - failing, Math.max(0, step - failed));
  let status = batch.polls <= 1 ? 'queued' : issued + failed >= total ? 'completed' : 'running';
  if(batch.achievementId === 'ach-cancel' && batch.polls >= 3) status = 'cancelled';
  const done = issued + failed;
  return {id: batch.id, status, rows: batch.rows,
    progress: {total, issued, failed, emailed: batch.achievementId === 'ach-noemail' ? 0 : issued, ratePerSecond: status === 'running' ? 13.3 : null,
      etaSeconds: status === 'running' ? (total - done) / 13.3 : null},
    errorsUrl: `/api/v1/batches/${batch.id}/errors.csv`};
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if(req.headers.authorization !== `Bearer ${API_KEY}`) return problem(res, 401, 'UNAUTHENTICATED', 'Send a valid API key.');
  const url = new URL(req.url ?? '/', 'http://x');
  if(req.method === 'POST' && url.pathname === '/api/v1/batches') {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const parts = parseMultipart(Buffer.concat(chunks), req.headers['content-type'] ?? '');
    uploads.push({query: url.search, headers: req.headers, parts});
    const field = (name: string) => parts.find(p => p.name === name)?.data.toString('utf8');
    const file = parts.find(p => p.name === 'file');
    const achievementId = field('achievementId') ?? '';
    if(achievementId === 'ach-missing') return problem(res, 404, 'ACHIEVEMENT_NOT_FOUND', 'Achievement ach-missing was not found.');
    if(achievementId === 'ach-huge') return problem(res, 413, 'TOO_MANY_ROWS', 'The file has more than 200,000 data rows, the limit for one upload: split it into several files.');
    const lines = file!.data.toString('utf8').split(/\r?\n/).filter(l => l.trim() !== '').slice(1);
    const invalid = lines.filter(l => !l.includes('@')).length;
    const rows = {total: lines.length, valid: lines.length - invalid, invalid};
    if(url.searchParams.get('dryRun') === 'true') {
      return sendJson(res, 200, {format: 'csv', encoding: 'utf-8', bom: false, delimiter: ',', columns: ['Name', 'Email'], unusedColumns: [],
        rows: {...rows, warnings: 1},
        errors: lines.flatMap((l, i) => l.includes('@') ? [] : [{row: i + 2, column: 'Email', code: 'EMAIL_INVALID', message: `"${l.split(',')[1]}" is not an email address.`}]),
        errorsOmitted: 0,
        warnings: [{row: 1, column: 'Notes', code: 'UNUSED_COLUMN', message: 'Column "Notes" is not mapped to any field: its values are not used.'}],
        warningsOmitted: 0});
    }
    const key = req.headers['idempotency-key'] as string | undefined;
    const earlier = key ? byKey.get(key) : undefined;
    if(earlier) {
      // As Laurel answers a replayed Idempotency-Key: the batch it has, flagged by a header.
      res.setHeader('idempotent-replayed', 'true');
      return sendJson(res, 202, {id: earlier.id, status: view(earlier).status, rows: earlier.rows});
    }
    const batch: Batch = {id: `b_${batches.size + 1}`, achievementId, rows, polls: 0};
    batches.set(batch.id, batch);
    if(key) byKey.set(key, batch);
    return sendJson(res, 202, {id: batch.id, status: 'queued', rows});
  }
  const m = /^\/api\/v1\/batches\/([^/]+)$/.exec(url.pathname);
  if(req.method === 'GET' && m) {
    const batch = batches.get(m[1]);
    if(!batch) return problem(res, 404, 'BATCH_NOT_FOUND', 'Batch was not found.');
    batch.polls++;
    return sendJson(res, 200, view(batch));
  }
  return problem(res, 404, 'NOT_FOUND', 'Not found.');
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res).catch(error => res.writeHead(500).end(String(error))));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const csv = (name: string, text: string) => {
    files[name] = join(dir, `${name}.csv`);
    writeFileSync(files[name], text);
  };
  csv('people', `Full name,E-mail,Notes\n${Array.from({length: 10}, (_, i) => `Person ${i} Öberg,p${i}@example.org,`).join('\n')}\n`);
  csv('other', 'Full name,E-mail\nÅsa,asa@example.se\n');
  csv('bad', 'Name,Email\nÅsa,asa@example.se\nBo,bo-at-example\n');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
});

beforeEach(() => {
  uploads.length = 0;
});

const issue = (...args: string[]) => laurel(['issue', '--url', base, '--allow-http', '--api-key', API_KEY, ...args]);
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('laurel issue', () => {
  it('streams the file as multipart with the fields first, follows the batch, and sums up: exit 0', async () => {
    const run = await issue('--csv', files.people, '--achievement', 'ach-ok', '--map', 'name=Full name', '--map', 'email=E-mail', '--map', 'fields.note=Notes');
    expect(run.code).toBe(0);
    expect(uploads).toHaveLength(1);
    const [upload] = uploads;
    expect(upload.query).toBe('');
    expect(upload.parts.map(p => p.name)).toEqual(['achievementId', 'mapping', 'sendEmail', 'file']);
    const field = (name: string) => upload.parts.find(p => p.name === name)!;
    expect(field('achievementId').data.toString()).toBe('ach-ok');
    expect(JSON.parse(field('mapping').data.toString())).toEqual({name: 'Full name', email: 'E-mail', fields: {note: 'Notes'}});
    expect(field('sendEmail').data.toString()).toBe('true');
    const {readFileSync} = await import('node:fs');
    const bytes = readFileSync(files.people);
    expect(field('file')).toMatchObject({filename: 'people.csv', type: 'text/csv'});
    expect(field('file').data.equals(bytes)).toBe(true);
    // The key is derived from the file's SHA-256 and the achievement.
    const key = `laurel-batch-${sha256(`laurel-batch/v1\n${sha256(bytes)}\nach-ok`)}`;
    expect(upload.headers['idempotency-key']).toBe(key);
    expect(uploadIdempotencyKey(sha256(bytes), 'ach-ok')).toBe(key);

    // Not a terminal: plain lines, one per change of status, and the last state.
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^Batch b_\d+: 10 rows, 10 valid, 0 invalid$/);
    expect(lines[1]).toBe('queued: 0/10 issued (0%)');
    expect(lines[2]).toMatch(/^running: 4\/10 issued \(40%\), 13\/s, ETA 0:00$/);
    expect(lines[lines.length - 1]).toBe('completed: 10/10 issued (100%)');
    expect(run.stderr).not.toContain('\r');
    expect(run.stdout).toMatch(/^Batch b_\d+ completed: 10 issued, 0 failed, 10 emailed \(of 10\)\.\n$/);
  });

  it('sends the same Idempotency-Key on a retry, and follows the batch the server already has', async () => {
    const [first, third] = await Promise.all([issue('--csv', files.other, '--achievement', 'ach-ok'), issue('--csv', files.other, '--achievement', 'ach-other')]);
    const second = await issue('--csv', files.other, '--achievement', 'ach-ok');
    expect([first.code, second.code, third.code]).toEqual([0, 0, 0]);
    const key = (achievementId: string) => uploads.filter(u => u.parts.find(p => p.name === 'achievementId')!.data.toString() === achievementId)
      .map(u => u.headers['idempotency-key']);
    const [a, b] = key('ach-ok');
    expect(a).toBe(b);
    expect(key('ach-other')[0]).not.toBe(a);
    const id = /^Batch (b_\d+)/.exec(first.stdout)![1];
    expect(second.stderr).toContain(`Batch ${id} (uploaded before: following it)`);
    expect(second.stdout).toContain(`Batch ${id} completed`);
    // Without a mapping the field is left out (the server guesses).
    expect(uploads[uploads.length - 1].parts.map(p => p.name)).toEqual(['achievementId', 'sendEmail', 'file']);
  });

  it('exits 1 when rows failed or were invalid, and says where the errors are', async () => {
    const run = await issue('--csv', files.bad, '--achievement', 'ach-flaky', '--mapping', '{"name":"Name","email":"Email"}', '--no-email');
    expect(run.code).toBe(1);
    expect(JSON.parse(uploads[0].parts.find(p => p.name === 'mapping')!.data.toString())).toEqual({name: 'Name', email: 'Email'});
    expect(uploads[0].parts.find(p => p.name === 'sendEmail')!.data.toString()).toBe('false');
    expect(run.stderr).toMatch(/: 2 rows, 1 valid, 1 invalid\n/);
    const id = /Batch (b_\d+)/.exec(run.stdout)![1];
    expect(run.stdout).toMatch(/ completed: 0 issued, 1 failed, 0 emailed \(of 1; 1 row of the file was invalid\)\.\n/);
    expect(run.stdout).toContain(`${base}/api/v1/batches/${id}/errors.csv`);
    expect(run.stdout).toContain('curl -H "Authorization: Bearer $LAUREL_API_KEY"');
  });

  it('exits 1 when the batch is cancelled; --json prints the final batch', async () => {
    const run = await issue('--csv', files.people, '--achievement', 'ach-cancel', '--json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({status: 'cancelled', progress: {total: 10}});
    expect(run.stderr).toMatch(/\ncancelled: \d+\/10 issued/);
  });

  it('--dry-run sends ?dryRun=true without an Idempotency-Key and prints the report by row and column', async () => {
    const run = await issue('--csv', files.bad, '--achievement', 'ach-ok', '--dry-run');
    expect(run.code).toBe(1);
    expect(uploads[0].query).toBe('?dryRun=true');
    expect(uploads[0].headers['idempotency-key']).toBeUndefined();
    expect(run.stdout).toBe([
      `NOT VALID: ${files.bad} (CSV, utf-8, delimiter ",")`,
      '  2 rows: 1 valid, 1 invalid, 1 with warnings',
      '  ✗ EMAIL_INVALID  row 3, "Email": "bo-at-example" is not an email address.',
      '  ! UNUSED_COLUMN  row 1, "Notes": Column "Notes" is not mapped to any field: its values are not used.',
      '',
    ].join('\n'));
    const json = await issue('--csv', files.people, '--achievement', 'ach-ok', '--dry-run', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({rows: {total: 10, valid: 10, invalid: 0}});
  });

  it('exits 1 with the server\'s code and detail when the upload is refused; takes the key from LAUREL_API_KEY', async () => {
    const [huge, missing, unauthorized, fromEnv] = await Promise.all([
      issue('--csv', files.other, '--achievement', 'ach-huge'),
      issue('--csv', files.other, '--achievement', 'ach-missing'),
      laurel(['issue', '--url', base, '--allow-http', '--csv', files.other, '--achievement', 'ach-ok'], {LAUREL_API_KEY: 'lrl_wrong'}),
      // The key may come from the environment (kept out of the process list and shell history).
      laurel(['issue', '--url', base, '--allow-http', '--csv', files.other, '--achievement', 'ach-env'], {LAUREL_API_KEY: API_KEY}),
    ]);
    expect(huge.code).toBe(1);
    expect(huge.stderr).toMatch(/^laurel: the server answered 413 TOO_MANY_ROWS to POST .*\/api\/v1\/batches: The file has more than 200,000 data rows/);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 ACHIEVEMENT_NOT_FOUND');
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toContain('401 UNAUTHENTICATED');
    expect(fromEnv.code).toBe(0);
  });

  it('exits 2 for usage errors, before anything is sent', async () => {
    const common = ['--url', base, '--allow-http', '--api-key', API_KEY];
    const cases: [string[], RegExp][] = [
      [['issue', '--achievement', 'a', ...common], /needs --csv/],
      [['issue', '--csv', files.other, ...common], /needs --achievement/],
      [['issue', '--csv', files.other, '--achievement', 'a', '--api-key', API_KEY], /needs --url/],
      [['issue', '--csv', files.other, '--achievement', 'a', '--url', base, '--api-key', API_KEY], /plain http/],
      [['issue', '--csv', files.other, '--achievement', 'a', '--url', base, '--allow-http'], /needs --api-key/],
      [['issue', '--csv', join(dir, 'nope.csv'), '--achievement', 'a', ...common], /no such file/],
      [['issue', '--csv', dir, '--achievement', 'a', ...common], /is not a file/],
      [['issue', '--csv', files.other, '--xlsx', files.other, '--achievement', 'a', ...common], /not both/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--mapping', '{"name":'], /--mapping must be a JSON object/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--mapping', '["name"]'], /--mapping must be a JSON object/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--map', 'name'], /--map needs <field>=<column header>/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--map', 'phone=Phone'], /unknown field "phone"/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--map', 'fields.1x=X'], /template field name/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--map', 'name=A', '--map', 'name=B'], /given twice/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--map', 'name=A', '--mapping', '{}'], /not both/],
      [['issue', '--csv', files.other, '--achievement', 'a', ...common, '--bogus'], /Unknown option '--bogus'/],
    ];
    // In process (main.ts run(), what the launcher calls): starting a child per case would take a minute.
    const saved = process.env.LAUREL_API_KEY;
    delete process.env.LAUREL_API_KEY;
    try {
      for(const [args, message] of cases) {
        let stderr = '';
        const code = await run(args, {out: () => undefined, err: t => void (stderr += t)});
        expect(code, args.join(' ')).toBe(2);
        expect(stderr, args.join(' ')).toMatch(message);
        expect(stderr).toContain("Run 'laurel issue --help' for usage.");
      }
    } finally {
      if(saved !== undefined) process.env.LAUREL_API_KEY = saved;
    }
    expect(uploads).toEqual([]);
    // And through the launcher, as a user runs it.
    const [usage, help, top] = await Promise.all([laurel(cases[1][0]), laurel(['issue', '--help']), laurel(['--help'])]);
    expect(usage).toMatchObject({code: 2, stdout: ''});
    expect(usage.stderr).toMatch(/needs --achievement/);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: laurel issue --csv <file> --achievement <id>/);
    expect(top.stdout).toContain('issue --csv <file>');
  });
});

describe('runIssue progress', () => {
  const options = (extra: Partial<IssueOptions>): IssueOptions => ({file: files.people, format: 'csv', achievementId: 'ach-ok', url: new URL(base),
    apiKey: API_KEY, sendEmail: true, dryRun: false, json: false, progress: 'lines', pollIntervalMs: 10, ...extra});
  const capture = () => {
    const out = {stdout: '', stderr: ''};
    return {out, output: {out: (t: string) => void (out.stdout += t), err: (t: string) => void (out.stderr += t)}};
  };

  it('writes a plain line every lineIntervalMs when stderr is not a terminal', async () => {
    const {out, output} = capture();
    // A new file, so a new batch (not a replay of an earlier test's).
    const file = join(dir, 'lines.csv');
    writeFileSync(file, `Name,Email\n${Array.from({length: 20}, (_, i) => `P${i},p${i}@example.org`).join('\n')}\n`);
    expect(await runIssue(options({file, lineIntervalMs: 0}), output)).toBe(0);
    expect(out.stderr.split('\n').filter(l => l.startsWith('running: '))).toEqual([
      'running: 4/20 issued (20%), 13/s, ETA 0:01', 'running: 8/20 issued (40%), 13/s, ETA 0:01',
      'running: 12/20 issued (60%), 13/s, ETA 0:01', 'running: 16/20 issued (80%), 13/s, ETA 0:00',
    ]);
  });

  it('draws a bar in place on a terminal, and ends its line before the summary', async () => {
    const {out, output} = capture();
    const file = join(dir, 'bar.csv');
    writeFileSync(file, `Name,Email\n${Array.from({length: 8}, (_, i) => `P${i},p${i}@example.org`).join('\n')}\n`);
    expect(await runIssue(options({file, progress: 'bar'}), output)).toBe(0);
    const frames = out.stderr.split('\r\x1b[2K').slice(1);
    expect(frames[0]).toBe(`queued    ${'░'.repeat(24)}   0%  0/8 issued`);
    expect(frames[1]).toBe(`running   ${'█'.repeat(12)}${'░'.repeat(12)}  50%  4/8 issued, 13/s, ETA 0:00`);
    expect(frames[frames.length - 1]).toBe(`completed ${'█'.repeat(24)} 100%  8/8 issued\n`);
    expect(out.stdout).toMatch(/completed: 8 issued, 0 failed, 8 emailed/);
  });

  it('sends an .xlsx workbook with its own type', async () => {
    const {output} = capture();
    const file = join(dir, 'people.xlsx');
    writeFileSync(file, Buffer.from('PK\x03\x04 not really a workbook; the test server does not read it'));
    await runIssue(options({file, format: 'xlsx', dryRun: true}), output);
    expect(uploads[0].parts.find(p => p.name === 'file')).toMatchObject({filename: 'people.xlsx',
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'});
  });

  it('stops following on an abort (Ctrl-C): exit 130, the batch goes on', async () => {
    const {out, output} = capture();
    const stop = new AbortController();
    const file = join(dir, 'stop.csv');
    writeFileSync(file, `Name,Email\n${Array.from({length: 400}, (_, i) => `P${i},p${i}@example.org`).join('\n')}\n`);
    // Ctrl-C once the CLI follows the batch (its "Batch b_…" line), not after a fixed delay: under load
    // the upload alone can take longer than any delay chosen here.
    const following = setInterval(() => {
      if(/Batch b_\d+/.test(out.stderr)) stop.abort();
    }, 5);
    try {
      expect(await runIssue(options({file, signal: stop.signal, pollIntervalMs: 20}), output)).toBe(130);
    } finally {
      clearInterval(following);
    }
    expect(out.stderr).toMatch(/stopped following batch b_\d+; it goes on on the server: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/batches\/b_\d+/);
  });
});
