/**
 * Reading an upload into a batch: the file (or JSON rows) is streamed through the
 * parser and the row validator, and stored as it goes — never held whole in memory.
 * A dry run does the same reading and stores nothing.
 */
import {createHash} from 'node:crypto';
import type {OrganizationRow} from '../../db/rows.js';
import {DomainError} from '../../errors.js';
import type {Actor} from '../actor.js';
import type {BatchService, BatchView, IncomingRow} from './batches.js';
import {readRows, UploadError, type UploadFormat, type UploadInput, type UploadItem, type UploadRow} from './parse.js';
import {type DuplicatePolicy, guessMapping, type Mapping, ReportBuilder, type RowValidation, type ValidationReport} from './validate.js';

/** Limits of one upload (configuration). */
export interface UploadLimits {
  maxRows: number;
  maxBytes: number;
  maxFieldLength: number;
}

/** What an upload comes with. */
export interface IngestOptions {
  achievementId: string;
  /** Laurel field → column; when absent it is guessed from the header (Name, E-mail, …). */
  mapping?: Mapping;
  sendEmail: boolean;
  duplicatePolicy: DuplicatePolicy;
  locale?: string;
  filename?: string;
  idempotencyKey?: string;
  dryRun: boolean;
}

/** The outcome: a dry run's report, or the batch created (or replayed) and the report of its file. */
export type IngestResult = {dryRun: true; report: ValidationReport} | {dryRun: false; replayed: boolean; batch: BatchView; report: ValidationReport | null};

const STORE_EVERY = 1000;

/** Counts bytes into a SHA-256 as they pass (the file's fingerprint, stored with the batch). */
async function* hashing(input: UploadInput, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for await (const chunk of input as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    yield chunk;
  }
}

/** The row as stored: valid (its value and warnings) or invalid (its cells and errors). */
function incoming(row: UploadRow, v: RowValidation | null, mappingProblem: boolean): IncomingRow {
  const plain = (ps: {row: number; column?: string | null; code: string; message: string}[]) =>
    ps.map(e => ({row: e.row, ...(e.column ? {column: e.column} : {}), code: e.code, message: e.message}));
  if(v?.ok) return {rowNumber: row.rowNumber, ok: true, value: v.value, warnings: plain(v.warnings)};
  const errors = v ? v.errors : mappingProblem ? [{row: row.rowNumber, code: 'MAPPING_INVALID', message: 'The column mapping does not fit this file.'}] : [];
  return {rowNumber: row.rowNumber, ok: false, cells: {...row.cells}, errors: plain(errors)};
}

/** Reads `items` (a parsed upload) into a new batch, or only reports on it (dry run). */
export async function ingest(batches: BatchService, org: OrganizationRow, source: {format: UploadFormat | 'json'; items: AsyncIterable<UploadItem>},
  options: IngestOptions, actor: Actor, fileSha256?: () => string): Promise<IngestResult> {
  let mapping = options.mapping;
  let builder = mapping ? new ReportBuilder({mapping, duplicatePolicy: options.duplicatePolicy}) : null;
  const writer = options.dryRun ? null : await batches.begin(org, {achievementId: options.achievementId, source: source.format,
    filename: options.filename, mapping: options.mapping ?? 'guessed from the header', sendEmail: options.sendEmail, duplicatePolicy: options.duplicatePolicy,
    locale: options.locale, idempotencyKey: options.idempotencyKey}, actor);
  if(writer?.replayed) return {dryRun: false, replayed: true, batch: await writer.finish(null), report: null};
  let report: ValidationReport | null = null;
  let mappingProblems = 0;
  const buffer: IncomingRow[] = [];
  try {
    for await (const item of source.items) {
      if(item.kind === 'header') {
        if(!mapping) {
          mapping = guessMapping(item.columns) ?? undefined;
          if(!mapping) {
            throw new DomainError('VALIDATION_FAILED', 422,
              `No mapping was sent and none of the columns (${item.columns.join(', ')}) looks like the recipient's name: send a mapping, e.g. {"name": "<column>", "email": "<column>"}.`,
              {errors: [{path: 'mapping', message: 'required: no column looks like a name'}]});
          }
          builder = new ReportBuilder({mapping, duplicatePolicy: options.duplicatePolicy});
        }
        mappingProblems = builder!.header(item).length;
        if(mappingProblems && writer) {
          // Nothing in this file can be issued with this mapping: refuse it before reading on.
          const partial = builder!.end();
          throw new DomainError('VALIDATION_FAILED', 422, `The column mapping does not fit the file: ${partial.errors.map(e => e.message).join(' ')}`,
            {report: partial, errors: partial.errors.map(e => ({path: `mapping.${e.column ?? ''}`, message: e.message}))});
        }
      } else if(item.kind === 'row') {
        const v = builder!.row(item);
        if(writer) {
          buffer.push(incoming(item, v, mappingProblems > 0));
          if(buffer.length >= STORE_EVERY) await writer.add(buffer.splice(0));
        }
      } else {
        report = builder!.end(item);
      }
    }
    if(!builder) throw new UploadError('FILE_EMPTY', 'The file is empty.');
    report ??= builder.end();
    if(!writer) return {dryRun: true, report};
    await writer.add(buffer.splice(0));
    if(report.rows.total === 0) throw new UploadError('HEADER_ONLY', 'The file has a header row but no data rows.');
    if(report.rows.valid === 0) {
      // Nothing could be issued: refuse the upload with the report rather than keep an empty batch.
      throw new DomainError('BATCH_FILE_INVALID', 422, `No row of the file can be issued (${report.rows.invalid} invalid): see the report.`,
        {reason: 'NO_VALID_ROWS', report});
    }
    return {dryRun: false, replayed: false, batch: await writer.finish(report, fileSha256?.()), report};
  } catch(error) {
    await writer?.abort();
    throw error;
  }
}

/** Reads a file upload (CSV or .xlsx) into a batch: see {@link ingest}. */
export function ingestFile(batches: BatchService, org: OrganizationRow, input: UploadInput, format: UploadFormat, limits: UploadLimits,
  options: IngestOptions, actor: Actor): Promise<IngestResult> {
  const hash = createHash('sha256');
  const items = readRows(hashing(input, hash), {format, maxRows: limits.maxRows, maxFieldLength: limits.maxFieldLength, maxBytes: limits.maxBytes});
  return ingest(batches, org, {format, items}, options, actor, () => hash.digest('hex'));
}

/** The columns JSON rows are read with: each standard field by its own name, template fields as `fields.<name>`. */
export const JSON_MAPPING: Mapping = {name: 'name', email: 'email', did: 'did', validFrom: 'validFrom', validUntil: 'validUntil', evidenceUrl: 'evidenceUrl'};

/** JSON rows as an upload: a header of every key used, then one row per object (row numbers from 1). */
export async function* jsonRows(rows: Record<string, unknown>[], fieldNames: string[]): AsyncGenerator<UploadItem> {
  const columns = [...Object.values(JSON_MAPPING) as string[], ...fieldNames.map(f => `fields.${f}`)];
  yield {kind: 'header', format: 'csv', columns};
  let n = 0;
  for(const row of rows) {
    const cells: Record<string, string> = Object.create(null);
    for(const c of Object.values(JSON_MAPPING) as string[]) cells[c] = typeof row[c] === 'string' ? (row[c] as string).trim() : '';
    const fields = (row.fields ?? {}) as Record<string, unknown>;
    for(const f of fieldNames) cells[`fields.${f}`] = typeof fields[f] === 'string' ? (fields[f] as string).trim() : '';
    yield {kind: 'row', rowNumber: ++n, cells, problems: []};
  }
  yield {kind: 'end', rows: n};
}
