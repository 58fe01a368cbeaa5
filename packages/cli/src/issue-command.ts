/**
 * `laurel issue --csv <file>`: uploads a CSV or .xlsx file to a Laurel server
 * for bulk issuance (POST /api/v1/batches, multipart, streamed from disk), then
 * follows the batch (GET /api/v1/batches/<id>) with a live progress bar, and
 * sums up. The file is never read into memory: it is hashed as a stream, and
 * sent from a file-backed Blob (fs.openAsBlob).
 *
 * A retried upload of the same file for the same achievement carries the same
 * Idempotency-Key, so the server answers with the batch it already has instead
 * of issuing twice.
 */
import {createHash} from 'node:crypto';
import {createReadStream, openAsBlob} from 'node:fs';
import {stat} from 'node:fs/promises';
import {basename} from 'node:path';
import {parseJsonStrict} from '@laurel/core';
import {EXIT, UsageError} from './exit-codes.js';
import type {Output} from './verify-command.js';

/** What `laurel issue` was asked to do, already parsed from the command line. */
export interface IssueOptions {
  /** The CSV or .xlsx file. */
  file: string;
  format: 'csv' | 'xlsx';
  achievementId: string;
  /** The Laurel server's base URL. */
  url: URL;
  apiKey: string;
  /** Laurel field → column header; absent: no mapping field is sent, and the server decides. */
  mapping?: Record<string, unknown>;
  sendEmail: boolean;
  dryRun: boolean;
  json: boolean;
  /** A live bar (stderr is a terminal), plain lines now and then (a log), or nothing. */
  progress: 'bar' | 'lines' | 'none';
  /** How often the batch is polled (default 300 ms). */
  pollIntervalMs?: number;
  /** How often a plain progress line is written (default 5 s); always on a change of status. */
  lineIntervalMs?: number;
  /** Stops following the batch (Ctrl-C): the batch goes on on the server. */
  signal?: AbortSignal;
}

/** A batch as GET /api/v1/batches/<id> answers it. */
export interface BatchStatus {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  /** `failed` may count the file's invalid rows too, and `valid` / `invalid` may be given here rather than in `rows`. */
  progress: {total: number; issued: number; failed: number; emailed: number; ratePerSecond?: number | null; etaSeconds?: number | null;
    valid?: number; invalid?: number};
  errorsUrl?: string | null;
  rows?: {total: number; valid: number; invalid: number};
  [key: string]: unknown;
}

/** A dry run's report (services/batches/validate.ts ValidationReport on the server). */
interface Report {
  format: string;
  encoding?: string;
  delimiter?: string;
  sheet?: string;
  columns: string[];
  unusedColumns: string[];
  rows: {total: number; valid: number; invalid: number; warnings: number};
  errors: Problem[];
  errorsOmitted: number;
  warnings: Problem[];
  warningsOmitted: number;
}

interface Problem {
  row: number | null;
  column: string | null;
  code: string;
  message: string;
}

/** Exit code when rows failed or the batch did not complete (the same 1 as "not verified"). */
const FAILED = EXIT.notVerified;

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** The MIME type sent with the file part. */
export const FILE_TYPES = {csv: 'text/csv', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'} as const;

/** Longest a response body may be (a dry-run report lists up to 1,000 errors and 1,000 warnings). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Consecutive failed polls before giving up on following the batch (it goes on on the server). */
const MAX_POLL_FAILURES = 5;

/**
 * The Idempotency-Key of an upload: SHA-256 over the file's SHA-256 and the
 * achievement, so the same file for the same achievement is one batch however
 * often the command is retried. (Change the file to issue it again on purpose.)
 */
export function uploadIdempotencyKey(fileSha256Hex: string, achievementId: string): string {
  return `laurel-batch-${createHash('sha256').update(`laurel-batch/v1\n${fileSha256Hex}\n${achievementId}`).digest('hex')}`;
}

/** SHA-256 of a file, read as a stream. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `laurel issue` and returns the exit code. Throws UsageError for a file that cannot be read. */
export async function runIssue(options: IssueOptions, output: Output): Promise<number> {
  try {
    const info = await stat(options.file);
    if(!info.isFile()) throw new UsageError(`${options.file} is not a file`);
  } catch(error) {
    if(error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${options.file}` : `cannot read ${options.file}: ${(error as Error).message}`);
  }
  const api = new Api(options.url, options.apiKey);

  const form = new FormData();
  // The fields go before the file, so that a server reading the stream knows them when the file arrives.
  form.append('achievementId', options.achievementId);
  if(options.mapping !== undefined) form.append('mapping', JSON.stringify(options.mapping));
  form.append('sendEmail', String(options.sendEmail));
  form.append('file', await openAsBlob(options.file, {type: FILE_TYPES[options.format]}), basename(options.file));
  const headers: Record<string, string> = {};
  if(!options.dryRun) headers['idempotency-key'] = uploadIdempotencyKey(await sha256File(options.file), options.achievementId);

  const uploaded = await api.request('POST', `api/v1/batches${options.dryRun ? '?dryRun=true' : ''}`, {body: form, headers, signal: options.signal});
  if(options.signal?.aborted) {
    output.err('laurel: stopped during the upload. If the server received it all, the same command again follows that batch '
      + '(the Idempotency-Key is the same) rather than issuing twice.\n');
    return 130;
  }
  if(!uploaded.ok) {
    output.err(`laurel: ${uploaded.message}\n`);
    if(uploaded.report) output.err(formatReport(uploaded.report, options.file));
    return FAILED;
  }
  if(options.dryRun) {
    const report = uploaded.body as unknown as Report;
    output.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, options.file));
    return report.rows?.invalid === 0 && report.errors?.length === 0 ? EXIT.ok : FAILED;
  }

  const created = uploaded.body as Partial<BatchStatus>;
  if(typeof created.id !== 'string') {
    output.err('laurel: the server accepted the upload but did not say which batch it made\n');
    return FAILED;
  }
  const rows = rowsOf(created);
  if(options.progress !== 'none') {
    output.err(`Batch ${created.id}${uploaded.replayed ? ' (uploaded before: following it)' : ''}: `
      + (rows ? `${n(rows.total)} rows, ${n(rows.valid)} valid, ${n(rows.invalid)} invalid\n` : 'uploaded\n'));
  }
  const final = await follow(api, created.id, options, output);
  if(final === null) return FAILED;
  if(final === 'stopped') {
    output.err(`\nlaurel: stopped following batch ${created.id}; it goes on on the server: ${api.url(`api/v1/batches/${encodeURIComponent(created.id)}`)}\n`);
    return 130;
  }
  const invalid = rows?.invalid ?? rowsOf(final)?.invalid ?? 0;
  if(options.json) output.out(`${JSON.stringify(final, null, 2)}\n`);
  else output.out(formatSummary(final, invalid, api));
  return final.status === 'completed' && final.progress.failed === 0 && invalid === 0 ? EXIT.ok : FAILED;
}

/** The row counts of the file, as the server gives them: in `rows`, or beside the progress. */
function rowsOf(batch: Partial<BatchStatus>): BatchStatus['rows'] {
  if(batch.rows) return batch.rows;
  const p = batch.progress;
  return p && typeof p.valid === 'number' && typeof p.invalid === 'number' ? {total: p.total, valid: p.valid, invalid: p.invalid} : undefined;
}

/** Polls the batch until it ends; draws progress meanwhile. Null: it could not be followed (said on stderr). */
async function follow(api: Api, id: string, options: IssueOptions, output: Output): Promise<BatchStatus | 'stopped' | null> {
  const progress = new Progress(options.progress, output, options.lineIntervalMs ?? 5000);
  const interval = options.pollIntervalMs ?? 300;
  let failures = 0;
  try {
    for(;;) {
      if(options.signal?.aborted) return 'stopped';
      const response = await api.request('GET', `api/v1/batches/${encodeURIComponent(id)}`, {signal: options.signal});
      if(response.ok) {
        failures = 0;
        const batch = response.body as unknown as BatchStatus;
        if(typeof batch.status !== 'string' || typeof batch.progress !== 'object' || batch.progress === null) {
          progress.clear();
          output.err(`laurel: the server's answer for batch ${id} has no status and progress\n`);
          return null;
        }
        progress.update(batch);
        if(TERMINAL.has(batch.status)) return batch;
      } else if(options.signal?.aborted) {
        return 'stopped';
      } else if(response.status >= 400 && response.status < 500 && response.status !== 429 || ++failures >= MAX_POLL_FAILURES) {
        progress.clear();
        output.err(`laurel: cannot follow batch ${id}: ${response.message}\n`
          + `It goes on on the server: ${api.url(`api/v1/batches/${encodeURIComponent(id)}`)}\n`);
        return null;
      }
      await sleep(interval, options.signal);
    }
  } finally {
    progress.done();
  }
}

/** The progress display: a bar redrawn in place on a terminal, otherwise a plain line now and then. */
class Progress {
  private lastLine = 0;
  private lastStatus = '';
  private drawn = false;
  private readonly started = Date.now();

  constructor(private readonly mode: IssueOptions['progress'], private readonly output: Output, private readonly lineIntervalMs: number) {}

  update(batch: BatchStatus): void {
    if(this.mode === 'none') return;
    const {total, issued, failed} = batch.progress;
    const done = issued + failed;
    const rate = batch.progress.ratePerSecond ?? (done / Math.max((Date.now() - this.started) / 1000, 0.001));
    const eta = batch.progress.etaSeconds ?? (rate > 0 ? (total - done) / rate : null);
    const pct = total > 0 ? Math.floor(done / total * 100) : 0;
    const counts = `${n(issued)}/${n(total)} issued${failed ? `, ${n(failed)} failed` : ''}`;
    const speed = batch.status === 'running' ? `, ${n(Math.round(rate))}/s${eta !== null && done < total ? `, ETA ${duration(eta)}` : ''}` : '';
    if(this.mode === 'bar') {
      const width = 24;
      const full = total > 0 ? Math.round(done / total * width) : 0;
      const bar = `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
      this.output.err(`\r\x1b[2K${batch.status.padEnd(9)} ${bar} ${String(pct).padStart(3)}%  ${counts}${speed}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if(batch.status !== this.lastStatus || now - this.lastLine >= this.lineIntervalMs || TERMINAL.has(batch.status)) {
      this.output.err(`${batch.status}: ${counts} (${pct}%)${speed}\n`);
      this.lastLine = now;
      this.lastStatus = batch.status;
    }
  }

  /** Ends the bar's line before something else is written. */
  clear(): void {
    if(this.drawn) this.output.err('\n');
    this.drawn = false;
  }

  done(): void {
    this.clear();
  }
}

/** The summary printed when the batch has ended. */
function formatSummary(batch: BatchStatus, invalid: number, api: Api): string {
  const {total, issued, failed, emailed} = batch.progress;
  const lines = [`Batch ${batch.id} ${batch.status}: ${n(issued)} issued, ${n(failed)} failed, ${n(emailed)} emailed `
    + `(of ${n(total)}${invalid ? `; ${n(invalid)} row${invalid === 1 ? '' : 's'} of the file ${invalid === 1 ? 'was' : 'were'} invalid` : ''}).`];
  if((failed > 0 || invalid > 0 || batch.status !== 'completed') && batch.errorsUrl) {
    const url = api.url(batch.errorsUrl);
    lines.push(`The rows that were not issued, with the reason for each: ${url}`,
      `  curl -H "Authorization: Bearer $LAUREL_API_KEY" -o errors.csv '${url}'`);
  }
  return `${lines.join('\n')}\n`;
}

/** The human form of a dry-run report: how the file was read, the counts, then one line per problem. */
export function formatReport(report: Report, file: string): string {
  const how = [report.format.toUpperCase(), report.encoding, report.delimiter && `delimiter ${report.delimiter === '\t' ? 'tab' : `"${report.delimiter}"`}`,
    report.sheet && `sheet "${report.sheet}"`].filter(Boolean).join(', ');
  const r = report.rows;
  const lines = [`${r?.invalid === 0 && !report.errors?.length ? 'VALID' : 'NOT VALID'}: ${file} (${how})`,
    `  ${n(r?.total ?? 0)} rows: ${n(r?.valid ?? 0)} valid, ${n(r?.invalid ?? 0)} invalid, ${n(r?.warnings ?? 0)} with warnings`];
  if(report.unusedColumns?.length) lines.push(`  Columns not used: ${report.unusedColumns.map(c => `"${c}"`).join(', ')}`);
  const width = Math.max(0, ...[...report.errors ?? [], ...report.warnings ?? []].map(p => p.code.length));
  const where = (p: Problem) => `${p.row === null ? 'mapping' : `row ${p.row}`}${p.column === null ? '' : `, "${p.column}"`}`;
  for(const p of report.errors ?? []) lines.push(`  ✗ ${p.code.padEnd(width)}  ${where(p)}: ${p.message}`);
  if(report.errorsOmitted) lines.push(`  … and ${n(report.errorsOmitted)} more errors`);
  for(const p of report.warnings ?? []) lines.push(`  ! ${p.code.padEnd(width)}  ${where(p)}: ${p.message}`);
  if(report.warningsOmitted) lines.push(`  … and ${n(report.warningsOmitted)} more warnings`);
  return `${lines.join('\n')}\n`;
}

type ApiResponse =
  | {ok: true; status: number; body: Record<string, unknown>; replayed: boolean}
  | {ok: false; status: number; message: string; report?: Report};

/** The few requests this command makes: JSON answers, the API key, no redirects (they would carry the key elsewhere). */
class Api {
  private readonly base: URL;

  constructor(base: URL, private readonly apiKey: string) {
    this.base = base.href.endsWith('/') ? base : new URL(`${base.href}/`);
  }

  /** A path or URL from the server, absolute. */
  url(path: string): string {
    return new URL(path, this.base).href;
  }

  async request(method: 'GET' | 'POST', path: string, init: {body?: FormData; headers?: Record<string, string>; signal?: AbortSignal} = {}): Promise<ApiResponse> {
    const url = this.url(path);
    // An upload of a large file over a slow line may take a while; a poll should not.
    const timeout = AbortSignal.timeout(method === 'POST' ? 30 * 60_000 : 30_000);
    let response: Response;
    try {
      response = await fetch(url, {method, body: init.body, redirect: 'manual',
        headers: {...init.headers, authorization: `Bearer ${this.apiKey}`, accept: 'application/json, application/problem+json'},
        signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout});
    } catch(error) {
      const e = error as {name?: string; message?: string; cause?: {message?: string}};
      const reason = e?.name === 'TimeoutError' ? 'timed out' : e?.cause?.message ?? e?.message ?? String(error);
      return {ok: false, status: 0, message: `${method} ${url} failed: ${reason}`};
    }
    let text: string;
    try {
      text = await readCapped(response);
    } catch(error) {
      return {ok: false, status: response.status, message: `${method} ${url}: ${(error as Error).message}`};
    }
    const parsed = text ? parseJsonStrict(text) : {ok: false as const};
    const body = parsed.ok && typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)
      ? parsed.value as Record<string, unknown> : null;
    if(response.status >= 200 && response.status < 300) {
      // A replayed Idempotency-Key is flagged by a header (Laurel's idempotency convention) or answered 200 instead of 202.
      const replayed = response.headers.get('idempotent-replayed') === 'true' || (method === 'POST' && response.status === 200);
      return body ? {ok: true, status: response.status, body, replayed}
        : {ok: false, status: response.status, message: `${method} ${url} did not answer a JSON object`};
    }
    if(response.status >= 300 && response.status < 400) {
      return {ok: false, status: response.status, message: `${method} ${url} redirects to ${response.headers.get('location') ?? '?'}; use the server's own URL`};
    }
    // problem+json (RFC 9457): the code and detail say what to fix.
    const code = typeof body?.code === 'string' ? body.code : null;
    const detail = typeof body?.detail === 'string' ? body.detail : text.slice(0, 500);
    const errors = Array.isArray(body?.errors) ? (body!.errors as {path?: string; message?: string}[]).map(e => `\n  ${e.path ?? ''}: ${e.message ?? ''}`).join('') : '';
    const report = typeof body?.report === 'object' && body.report !== null && Array.isArray((body.report as Report).errors) ? body.report as Report : undefined;
    return {ok: false, status: response.status, report,
      message: `the server answered ${response.status}${code ? ` ${code}` : ''} to ${method} ${url}: ${detail}${report ? '' : errors}`};
  }
}

async function readCapped(response: Response): Promise<string> {
  if(!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for(;;) {
    const {done, value} = await reader.read();
    if(done) break;
    total += value.byteLength;
    if(total > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, {once: true});
  });
}

const n = (value: number) => value.toLocaleString('en');

/** 75 → "1:15", 3700 → "1:01:40". */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** Parses --map arguments ("name=Full Name", "fields.course=Course") into a mapping object. */
export function parseMapArguments(pairs: string[]): Record<string, unknown> {
  const mapping: Record<string, unknown> = {};
  const fields: Record<string, string> = {};
  for(const pair of pairs) {
    const eq = pair.indexOf('=');
    if(eq <= 0 || eq === pair.length - 1) throw new UsageError(`--map needs <field>=<column header>, e.g. --map "name=Full name", got ${JSON.stringify(pair)}`);
    const field = pair.slice(0, eq).trim();
    const column = pair.slice(eq + 1);
    if(field.startsWith('fields.')) {
      const name = field.slice('fields.'.length);
      if(!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new UsageError(`--map ${field}: a template field name is letters, digits and _, not starting with a digit`);
      if(name in fields) throw new UsageError(`--map ${field} is given twice`);
      fields[name] = column;
    } else if(MAPPING_FIELDS.includes(field)) {
      if(field in mapping) throw new UsageError(`--map ${field} is given twice`);
      mapping[field] = column;
    } else {
      throw new UsageError(`--map: unknown field ${JSON.stringify(field)}; use ${MAPPING_FIELDS.join(', ')} or fields.<template field>`);
    }
  }
  if(Object.keys(fields).length) mapping.fields = fields;
  return mapping;
}

/** The Laurel fields a column can be mapped to (besides fields.<name>). */
export const MAPPING_FIELDS = ['name', 'email', 'did', 'validFrom', 'validUntil', 'evidenceUrl'];
