/**
 * Reading a bulk-issuance upload (CSV or .xlsx) as a stream of rows, without
 * ever holding the file in memory. The header comes first, so a column mapping
 * can be checked before any row is read:
 *
 *   for await (const item of readRows(stream, {format: 'csv', maxRows, maxFieldLength, maxBytes})) {
 *     if(item.kind === 'header') …   // once, first: the columns, the detected encoding and delimiter
 *     if(item.kind === 'row') …      // each non-empty data row, with its spreadsheet row number
 *     if(item.kind === 'end') …      // once, last: the row count and the final encoding
 *   }
 *
 * A problem with the whole file (empty, too large, too many rows, undecodable,
 * malformed) throws an UploadError with a stable code, as early as it can be
 * known: reading stops there and the input is destroyed. Rows yielded before
 * such an error belong to a refused file and must be discarded. A problem with
 * one cell or row (a field too long, the wrong number of fields) is reported on
 * the row (`problems`) and reading goes on.
 *
 * Row numbers are the ones a spreadsheet shows: the header is row 1 (in a CSV)
 * and blank rows are counted, though never yielded.
 */
import {Readable} from 'node:stream';
import {CsvError, type Options as CsvOptions, parse as parseCsv} from 'csv-parse';
import type ExcelJS from 'exceljs';

/** The file formats an upload may have. */
export type UploadFormat = 'csv' | 'xlsx';

/** The text encodings a CSV upload is read in. */
export type UploadEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** The CSV delimiters recognised. Excel writes `;` in locales whose decimal separator is a comma (sv, de, fr, …). */
export type CsvDelimiter = ',' | ';' | '\t' | '|';

/** Why a whole upload is refused. Codes are public API. */
export type UploadErrorCode =
  | 'FILE_EMPTY' | 'HEADER_ONLY' | 'TOO_MANY_ROWS' | 'FILE_TOO_LARGE' | 'FIELD_TOO_LONG' | 'ENCODING_INVALID'
  | 'DUPLICATE_HEADER' | 'EMPTY_HEADER' | 'MIXED_DELIMITERS' | 'CSV_MALFORMED' | 'XLSX_MALFORMED' | 'FORMAT_MISMATCH';

/** A refused upload. `status` is the HTTP status that fits (413 for the size limits, otherwise 400). */
export class UploadError extends Error {
  override readonly name = 'UploadError';
  readonly status: number;
  constructor(readonly code: UploadErrorCode, message: string, readonly row: number | null = null) {
    super(message);
    this.status = code === 'FILE_TOO_LARGE' || code === 'TOO_MANY_ROWS' ? 413 : 400;
  }
}

/** Why one row is suspect, found while reading it (validate.ts adds the content checks). */
export type RowProblemCode = 'FIELD_TOO_LONG' | 'ROW_FIELD_COUNT' | 'MIXED_DELIMITERS';

/** A problem with a row or one of its cells. `column` is the header of the cell, or null for the whole row. */
export interface RowProblem {
  row: number;
  column: string | null;
  code: RowProblemCode;
  message: string;
}

/** The first item: the file's columns and how it was read. */
export interface UploadHeader {
  kind: 'header';
  format: UploadFormat;
  /** The column headers, trimmed, in file order; unique (case-insensitively) and non-empty. */
  columns: string[];
  /** CSV only: the encoding detected so far (see UploadEnd.encoding for the final word). */
  encoding?: UploadEncoding;
  /** CSV only: whether the file starts with a byte order mark. */
  bom?: boolean;
  /** CSV only: the delimiter detected from the header line. */
  delimiter?: CsvDelimiter;
  /** XLSX only: the name of the worksheet read (the workbook's first). */
  sheet?: string;
}

/** One non-empty data row. */
export interface UploadRow {
  kind: 'row';
  /** The row number a spreadsheet shows (header = 1 in a CSV, first data row = 2). */
  rowNumber: number;
  /**
   * Every column's cell, by header (a null-prototype object: a header such as
   * `__proto__` is just a key). Values are trimmed text; a missing cell is ''.
   * A cell longer than maxFieldLength is '' and reported in `problems`.
   */
  cells: Record<string, string>;
  /** Problems found while reading (field count, delimiter, over-long cells). */
  problems: RowProblem[];
  /** XLSX only: the columns whose cell held a formula (the cell's value is the formula's cached result). */
  formulaColumns?: string[];
}

/** The last item, after every row. */
export interface UploadEnd {
  kind: 'end';
  /** Data rows yielded. */
  rows: number;
  /** CSV only: the final encoding (utf-8 turns into windows-1252 when a non-UTF-8 byte first appears after 64 KiB of ASCII). */
  encoding?: UploadEncoding;
}

/** What readRows yields: one header, the rows, one end. */
export type UploadItem = UploadHeader | UploadRow | UploadEnd;

/** Limits and format for reading an upload. */
export interface ReadOptions {
  format: UploadFormat;
  /** Largest number of (non-empty) data rows; one more refuses the file with TOO_MANY_ROWS at once. */
  maxRows: number;
  /** Longest cell, in characters (a longer cell is a row problem). */
  maxFieldLength: number;
  /** Largest file, in bytes (FILE_TOO_LARGE as soon as it is exceeded). */
  maxBytes?: number;
}

/** Limits that suit a 2-core server (the lead may take them from configuration). */
export const DEFAULT_UPLOAD_LIMITS = {maxRows: 200_000, maxFieldLength: 4096, maxBytes: 100 * 1024 * 1024} as const;

/** The input: a Node stream (a multipart file part, a file) or any async iterable of bytes. */
export type UploadInput = AsyncIterable<Uint8Array> | Readable;

/** Bytes read before the encoding and the delimiter are decided. */
const SAMPLE_BYTES = 64 * 1024;

/** Lines of the sample looked at to choose a delimiter. */
const SAMPLE_LINES = 20;

const DELIMITERS: CsvDelimiter[] = [',', ';', '\t', '|'];

/** A record longer than this (bytes of UTF-8) is refused whole: it is the sign of an unclosed quote or of a hostile file. */
const MAX_RECORD_BYTES = 1024 * 1024;

/** Reads an upload as a header, its rows, and an end (see the module comment). */
export async function* readRows(input: UploadInput, options: ReadOptions): AsyncGenerator<UploadItem, void, undefined> {
  if(!(options.maxRows >= 0) || !(options.maxFieldLength > 0)) throw new TypeError('readRows needs maxRows >= 0 and maxFieldLength > 0');
  const bytes = countBytes(input, options.maxBytes);
  if(options.format === 'csv') yield* readCsv(bytes, options);
  else yield* readXlsx(bytes, options);
}

/** An upload opened for reading: its header known, its rows to come. */
export interface Upload {
  header: UploadHeader;
  /** The data rows; iterate once. Ends by returning the end item. Breaking off stops reading and destroys the input. */
  rows(): AsyncGenerator<UploadRow, UploadEnd, undefined>;
  /** Stops reading without iterating the rows (destroys the input). */
  close(): Promise<void>;
}

/** Reads the header of an upload (throws UploadError for a refused file) and returns a handle for its rows. */
export async function openUpload(input: UploadInput, options: ReadOptions): Promise<Upload> {
  const items = readRows(input, options);
  const first = await items.next();
  if(first.done || first.value.kind !== 'header') throw new Error('readRows yields its header first');
  return {
    header: first.value,
    async* rows() {
      for(;;) {
        const next = await items.next();
        if(next.done) throw new Error('readRows ends with an end item');
        if(next.value.kind === 'end') return next.value;
        if(next.value.kind === 'row') yield next.value;
      }
    },
    async close() {
      await items.return();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Bytes

/** Passes the input's bytes through, counting them: FILE_TOO_LARGE the moment maxBytes is passed. */
async function* countBytes(input: UploadInput, maxBytes = Infinity): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.byteLength;
    if(total > maxBytes) throw new UploadError('FILE_TOO_LARGE', `The file is larger than the limit of ${formatBytes(maxBytes)}.`);
    if(bytes.byteLength) yield bytes;
  }
}

/** Reads from the byte stream until `want` bytes (or the end) and returns them with whether the stream ended. */
async function readSample(bytes: AsyncGenerator<Uint8Array>, want: number): Promise<{sample: Uint8Array; ended: boolean}> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while(total < want) {
    const next = await bytes.next();
    if(next.done) return {sample: concat(chunks, total), ended: true};
    chunks.push(next.value);
    total += next.value.byteLength;
  }
  return {sample: concat(chunks, total), ended: false};
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if(chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for(const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6);

// ---------------------------------------------------------------------------------------------------------------------
// CSV

/**
 * Decodes the byte stream by the encoding sniffed from its start (WHATWG
 * Encoding: TextDecoder with `stream: true`, so a character split between
 * chunks is decoded whole):
 * - a BOM says UTF-8, UTF-16LE or UTF-16BE (Excel's "CSV UTF-8", "Unicode text");
 * - no BOM: UTF-8 if the bytes are valid UTF-8, otherwise Windows-1252, which
 *   is what Excel's plain "CSV" is on Windows in Western locales. While only
 *   ASCII has been seen the choice is open: ASCII reads the same in both.
 */
class CsvDecoder {
  encoding: UploadEncoding;
  readonly bom: boolean;
  private decoder: {decode(input?: Uint8Array, options?: {stream?: boolean}): string};
  /** Only ASCII so far, without a BOM: UTF-8 and Windows-1252 are still both possible. */
  private open: boolean;
  private offset = 0;

  constructor(sample: Uint8Array) {
    const [a, b, c, d] = sample;
    if(a === 0xff && b === 0xfe && c === 0 && d === 0 || a === 0 && b === 0 && c === 0xfe && d === 0xff) {
      throw new UploadError('ENCODING_INVALID', 'The file is UTF-32, which is not supported: save it as "CSV UTF-8".');
    }
    if(a === 0xef && b === 0xbb && c === 0xbf) [this.encoding, this.bom] = ['utf-8', true];
    else if(a === 0xff && b === 0xfe) [this.encoding, this.bom] = ['utf-16le', true];
    else if(a === 0xfe && b === 0xff) [this.encoding, this.bom] = ['utf-16be', true];
    else {
      this.bom = false;
      const nuls = countNuls(sample);
      if(nuls > 0) {
        // UTF-16 without a BOM puts a NUL beside every ASCII character; text never holds NULs.
        throw new UploadError('ENCODING_INVALID', nuls * 4 >= Math.min(sample.length, SAMPLE_BYTES)
          ? 'The file looks like UTF-16 without a byte order mark, which cannot be read reliably: save it as "CSV UTF-8" (or UTF-16 with a BOM).'
          : 'The file holds NUL bytes, so it is not a text (CSV) file.');
      }
      this.encoding = isUtf8Prefix(sample) ? 'utf-8' : 'windows-1252';
    }
    this.decoder = this.encoding === 'windows-1252' ? new Windows1252Decoder() : new TextDecoder(this.encoding, {fatal: true});
    this.open = this.encoding === 'utf-8' && !this.bom;
  }

  /** Decodes the next chunk (or flushes, with `final`). */
  decode(chunk: Uint8Array | undefined, final = false): string {
    let text: string;
    try {
      text = this.decoder.decode(chunk, {stream: !final});
    } catch {
      if(!this.open) {
        throw new UploadError('ENCODING_INVALID', `The file is not valid ${this.encoding.toUpperCase()} (near byte ${this.offset}): save it as "CSV UTF-8".`);
      }
      // Everything before this chunk was ASCII, which Windows-1252 reads the same way.
      this.encoding = 'windows-1252';
      this.open = false;
      this.decoder = new Windows1252Decoder();
      text = this.decoder.decode(chunk, {stream: !final});
    }
    const length = chunk?.byteLength ?? 0;
    // A UTF-8 chunk that decodes to fewer characters than bytes held a multi-byte character: it is UTF-8 after all.
    if(this.open && text.length !== length) this.open = false;
    this.offset += length;
    if(text.includes('\0')) throw new UploadError('ENCODING_INVALID', `The file holds NUL characters (near byte ${this.offset}), so it is not a text (CSV) file.`);
    return text;
  }
}

/**
 * Windows-1252 as the WHATWG Encoding standard defines it. Node 20's
 * TextDecoder('windows-1252') decodes ISO-8859-1 instead, so 0x80–0x9F (€, ’,
 * “ ”, –, …, Š, Ž: O’Brien is common in a name list) would become C1 control
 * characters; they are mapped here.
 */
class Windows1252Decoder {
  decode(input?: Uint8Array): string {
    if(!input || input.byteLength === 0) return '';
    const latin1 = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
    return latin1.replace(/[\x80-\x9f]/g, c => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]);
  }
}

/** Windows-1252 0x80–0x9F (WHATWG index-windows-1252); the five unassigned bytes keep their C1 code points. */
const WINDOWS_1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
].map(c => String.fromCharCode(c));

function countNuls(bytes: Uint8Array): number {
  let n = 0;
  for(let i = bytes.indexOf(0); i !== -1; i = bytes.indexOf(0, i + 1)) n++;
  return n;
}

/** Whether the bytes are UTF-8, allowing a character cut off at the end of the sample. */
function isUtf8Prefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', {fatal: true}).decode(bytes, {stream: true});
    return true;
  } catch {
    return false;
  }
}

async function* readCsv(bytes: AsyncGenerator<Uint8Array>, options: ReadOptions): AsyncGenerator<UploadItem, void, undefined> {
  let columns: string[] | null = null;
  let rowNumber = 0;
  let rows = 0;
  let maxRecordBytes = MAX_RECORD_BYTES;
  try {
    const {sample, ended} = await readSample(bytes, SAMPLE_BYTES);
    if(sample.byteLength === 0) throw new UploadError('FILE_EMPTY', 'The file is empty.');
    if(isZip(sample)) throw new UploadError('FORMAT_MISMATCH', 'The file is a ZIP archive (an .xlsx workbook?), not a CSV file: upload it as .xlsx.');
    const decoder = new CsvDecoder(sample);
    const head = decoder.decode(sample, ended);
    if(ended && head.replace(/^\uFEFF/, '').trim() === '') throw new UploadError('FILE_EMPTY', 'The file holds no text.');
    const delimiter = sniffDelimiter(head.replace(/^\uFEFF/, ''));
    maxRecordBytes = Math.max(MAX_RECORD_BYTES, options.maxFieldLength * 4);
    const engine = new CsvEngine({
      delimiter,
      bom: true,
      trim: true,
      relax_quotes: false,
      // The field count is checked here, per row, so that a bad row is reported rather than ending the file.
      relax_column_count: true,
      // Blank lines are skipped below rather than by the parser, so that row numbers match the spreadsheet's.
      skip_empty_lines: false,
      max_record_size: maxRecordBytes,
    });
    // The parser reads UTF-8 bytes: UTF-8 input goes through as it came (decoding above only checked it), the rest re-encoded.
    const forParser = (chunk: Uint8Array, text: string) => decoder.encoding === 'utf-8' ? chunk : Buffer.from(text, 'utf8');
    let records = engine.parse(forParser(sample, head), ended);
    for(;;) {
      for(const record of records) {
        rowNumber++;
        if(isBlank(record)) continue;
        if(columns === null) {
          columns = checkHeader(record, rowNumber);
          yield {kind: 'header', format: 'csv', columns, encoding: decoder.encoding, bom: decoder.bom, delimiter};
          continue;
        }
        if(++rows > options.maxRows) throw tooManyRows(options.maxRows);
        yield csvRow(record, rowNumber, columns, delimiter, options.maxFieldLength);
      }
      // A parse error comes after the records before it, so that its row number is right.
      if(engine.error) throw engine.error;
      if(engine.ended) break;
      const next = await bytes.next();
      if(next.done) {
        const last = decoder.decode(undefined, true);
        records = engine.parse(last ? Buffer.from(last, 'utf8') : undefined, true);
      } else {
        records = engine.parse(forParser(next.value, decoder.decode(next.value)), false);
      }
    }
    if(columns === null) throw new UploadError('FILE_EMPTY', 'The file holds no header row and no data.');
    if(rows === 0) throw new UploadError('HEADER_ONLY', 'The file has a header row but no data rows.');
    yield {kind: 'end', rows, encoding: decoder.encoding};
  } catch(error) {
    throw toUploadError(error, rowNumber + 1, maxRecordBytes);
  } finally {
    // Stops reading the input when reading ends early: a refused file, or a consumer that broke off.
    await bytes.return(undefined);
  }
}

/**
 * csv-parse's incremental engine, the one its stream Parser drives (RFC 4180,
 * chunk by chunk, a partial record carried over), called directly: going
 * through the stream cost 2.5 times the parsing itself (a promise per record),
 * which mattered for 100,000 rows and for refusing a million early.
 */
class CsvEngine {
  ended = false;
  /** The CsvError that stopped parsing, after the records before it were returned. */
  error: Error | null = null;
  private readonly api: {parse(buf: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined};

  constructor(options: CsvOptions) {
    const parser = parseCsv(options) as unknown as {api?: CsvEngine['api']};
    if(typeof parser.api?.parse !== 'function') throw new Error('csv-parse no longer exposes Parser.api: see CsvEngine');
    this.api = parser.api;
  }

  /** Parses the next bytes (undefined at the end) and returns the records they complete; a CsvError is left in `error`. */
  parse(bytes: Uint8Array | undefined, end: boolean): string[][] {
    const records: string[][] = [];
    const buf = bytes === undefined ? undefined : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.error = this.api.parse(buf, end, record => records.push(record), () => { this.ended = true; }) ?? null;
    if(end) this.ended = true;
    return records;
  }
}

const isBlank = (cells: string[]) => cells.every(c => c === '');

const tooManyRows = (max: number) => new UploadError('TOO_MANY_ROWS',
  `The file has more than ${max.toLocaleString('en')} data rows, the limit for one upload: split it into several files.`);

function toUploadError(error: unknown, row: number, maxRecordBytes: number): unknown {
  if(error instanceof UploadError) return error;
  if(!(error instanceof CsvError)) return error;
  if(error.code === 'CSV_MAX_RECORD_SIZE') {
    return new UploadError('FIELD_TOO_LONG', `Row ${row} is longer than ${formatBytes(maxRecordBytes)}: a quote that is never closed?`, row);
  }
  // Quotes are strict (RFC 4180 §2): a quote inside an unquoted cell is refused rather than guessed at.
  return new UploadError('CSV_MALFORMED', `The CSV is malformed at row ${row}: ${error.message}. `
    + 'A cell that holds a quote must be quoted as a whole, with the quote doubled: "say ""hi""".', row);
}

/** Builds one CSV row: cells by header, and the problems of field count and length. */
function csvRow(record: string[], rowNumber: number, columns: string[], delimiter: CsvDelimiter, maxFieldLength: number): UploadRow {
  const problems: RowProblem[] = [];
  if(record.length !== columns.length) {
    // Extra empty cells (trailing delimiters, as Excel writes for formatted empty columns) are harmless.
    const extra = record.slice(columns.length);
    if(record.length < columns.length || extra.some(c => c !== '')) problems.push(fieldCountProblem(record, rowNumber, columns, delimiter));
  }
  const cells: Record<string, string> = Object.create(null);
  for(let i = 0; i < columns.length; i++) {
    const value = record[i] ?? '';
    if(value.length > maxFieldLength) {
      problems.push(fieldTooLong(rowNumber, columns[i], value.length, maxFieldLength));
      cells[columns[i]] = '';
    } else {
      cells[columns[i]] = value;
    }
  }
  return {kind: 'row', rowNumber, cells, problems};
}

function fieldCountProblem(record: string[], row: number, columns: string[], delimiter: CsvDelimiter): RowProblem {
  // A row written with another delimiter reads as fewer (often one) fields, holding the other delimiter.
  const joined = record.join(delimiter);
  for(const other of DELIMITERS) {
    if(other === delimiter) continue;
    const fields = joined.split(other).length;
    if(fields > record.length && fields >= columns.length) {
      return {row, column: null, code: 'MIXED_DELIMITERS',
        message: `Row ${row} seems to be separated by ${describeDelimiter(other)}, but the header row uses ${describeDelimiter(delimiter)}.`};
    }
  }
  return {row, column: null, code: 'ROW_FIELD_COUNT',
    message: `Row ${row} has ${record.length} field${record.length === 1 ? '' : 's'}, but the header row has ${columns.length}.`};
}

const fieldTooLong = (row: number, column: string, length: number, max: number): RowProblem => ({row, column, code: 'FIELD_TOO_LONG',
  message: `The cell in column "${column}" is ${length.toLocaleString('en')} characters long; the limit is ${max.toLocaleString('en')}.`});

const describeDelimiter = (d: CsvDelimiter) => d === '\t' ? 'tabs' : `"${d}"`;

/**
 * Chooses the delimiter from the first lines of the text: the candidate found
 * in the header line; when the header holds several, the one that splits the
 * following lines into as many fields as the header. A header without any is
 * a single column.
 */
export function sniffDelimiter(text: string): CsvDelimiter {
  const lines = sampleLines(text, SAMPLE_LINES);
  if(lines.length === 0) return ',';
  const counts = lines.map(line => countOutsideQuotes(line));
  const header = counts[0];
  const present = DELIMITERS.filter(d => header[d] > 0);
  if(present.length === 0) {
    // One column: pick a delimiter the data does not use, so a value such as "Smith, John" stays one cell.
    return DELIMITERS.find(d => counts.every(c => c[d] === 0)) ?? ',';
  }
  if(present.length === 1) return present[0];
  const data = counts.slice(1);
  const consistent = data.length ? present.filter(d => data.every(c => c[d] === header[d])) : present;
  const best = Math.max(...consistent.map(d => header[d]));
  const winners = consistent.filter(d => header[d] === best);
  if(winners.length === 1) return winners[0];
  throw new UploadError('MIXED_DELIMITERS', `The header row mixes delimiters (${present.map(describeDelimiter).join(' and ')}), and the rows after it do not settle which one separates the columns: save the file with one delimiter.`, 1);
}

/** The first lines of the text, split outside quotes, skipping blank lines; the last line only if the text ends there. */
function sampleLines(text: string, max: number): string[] {
  const lines: string[] = [];
  let quoted = false;
  let start = 0;
  for(let i = 0; i < text.length && lines.length < max; i++) {
    const ch = text[i];
    if(ch === '"') quoted = !quoted;
    else if(!quoted && (ch === '\n' || ch === '\r')) {
      const line = text.slice(start, i);
      if(line.trim() !== '') lines.push(line);
      if(ch === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
    }
  }
  // The text sampled may end in the middle of a line: use it only when there is nothing else.
  if(lines.length === 0 && text.slice(start).trim() !== '') lines.push(text.slice(start));
  return lines;
}

function countOutsideQuotes(line: string): Record<CsvDelimiter, number> {
  const counts: Record<CsvDelimiter, number> = {',': 0, ';': 0, '\t': 0, '|': 0};
  let quoted = false;
  for(const ch of line) {
    if(ch === '"') quoted = !quoted;
    else if(!quoted && ch in counts) counts[ch as CsvDelimiter]++;
  }
  return counts;
}

/** Checks a header row: trailing empty cells are dropped; an empty cell before a named one, or a repeated name, refuses the file. */
function checkHeader(cells: string[], row: number): string[] {
  const columns = cells.map(c => c.trim());
  while(columns.length && columns[columns.length - 1] === '') columns.pop();
  const seen = new Map<string, number>();
  for(let i = 0; i < columns.length; i++) {
    const name = columns[i];
    if(name === '') {
      throw new UploadError('EMPTY_HEADER', `Column ${columnLetter(i)} of the header row (row ${row}) is empty: every column needs a name.`, row);
    }
    const key = name.toLowerCase();
    const earlier = seen.get(key);
    if(earlier !== undefined) {
      throw new UploadError('DUPLICATE_HEADER', `The header row names two columns "${columns[earlier]}" (${columnLetter(earlier)} and ${columnLetter(i)}): column names must be unique.`, row);
    }
    seen.set(key, i);
  }
  return columns;
}

/** A column's spreadsheet letter: 0 → A, 26 → AA. */
export function columnLetter(index: number): string {
  let s = '';
  for(let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + (n - 1) % 26) + s;
  return s;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toLocaleString('en', {maximumFractionDigits: 1})} MiB` : `${n.toLocaleString('en')} bytes`;
}

// ---------------------------------------------------------------------------------------------------------------------
// XLSX

/** The exceljs worksheet reader, as far as it is used here (its typings do not declare `iterator`, `id` and `name`). */
interface SheetReader extends AsyncIterable<ExcelJS.Row> {
  id: number | string;
  name: string;
  /** The sheet's XML source: an fs.ReadStream of a temporary file when exceljs had to set the sheet aside. */
  iterator?: {destroy?: () => void; path?: string | Buffer};
}

/**
 * Reads the first worksheet with exceljs's streaming reader. Styles are read
 * (`styles: 'cache'`, a small part of the file): without them exceljs cannot
 * tell a date cell from a number and gives the date's serial number.
 */
async function* readXlsx(bytes: AsyncGenerator<Uint8Array>, options: ReadOptions): AsyncGenerator<UploadItem, void, undefined> {
  const {sample, ended} = await readSample(bytes, 4);
  if(sample.byteLength === 0) throw new UploadError('FILE_EMPTY', 'The file is empty.');
  if(!isZip(sample)) {
    throw new UploadError('FORMAT_MISMATCH', 'The file is not an .xlsx workbook (an .xlsx file is a ZIP archive): upload a CSV file as CSV; .xls (Excel 97–2003) is not supported.');
  }
  // An error from the input cannot reach exceljs through its stream.pipe (pipe does not forward errors, and it would wait
  // forever): the input is ended instead, exceljs fails on the truncated archive, and the real error is thrown here.
  let inputError: unknown = null;
  async function* guarded(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      yield sample;
      if(!ended) yield* bytes;
    } catch(error) {
      inputError = error;
    }
  }
  const source = Readable.from(guarded(), {objectMode: false});
  // Loaded on the first workbook (~20 MB resident), not with the server: most instances never see one.
  const {default: excel} = await import('exceljs');
  const reader = new excel.stream.xlsx.WorkbookReader(source, {sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', worksheets: 'emit', entries: 'ignore'});
  const model = () => (reader as unknown as {model?: {sheets?: {id: number; name: string}[]}}).model;
  const sheets = (reader as unknown as AsyncIterable<SheetReader>)[Symbol.asyncIterator]();
  let found = false;
  let rows = 0;
  let reading: SheetReader | null = null;
  try {
    for(let next = await sheets.next(); !next.done; next = await sheets.next()) {
      const sheet = next.value;
      const first = model()?.sheets?.[0];
      if(found || (first !== undefined && String(first.id) !== String(sheet.id))) {
        // Another worksheet, not read: its source is closed, and exceljs deletes its temporary copy as iteration goes on.
        closeSheetSource(sheet);
        continue;
      }
      found = true;
      reading = sheet;
      rows = yield* readSheet(sheet, options);
      reading = null;
    }
  } catch(error) {
    if(inputError) throw inputError;
    if(error instanceof UploadError) throw error;
    throw new UploadError('XLSX_MALFORMED', `The .xlsx file cannot be read (${(error as Error)?.message ?? String(error)}): is it a complete Excel workbook?`);
  } finally {
    if(reading) await abandonWorkbook(reading, sheets);
    source.destroy();
  }
  if(inputError) throw inputError;
  if(!found) throw new UploadError('XLSX_MALFORMED', 'The .xlsx file holds no worksheet.');
  yield {kind: 'end', rows};
}

/**
 * Cleans up after reading stopped inside a worksheet (too many rows, or the
 * consumer broke off). exceljs copies the worksheets that precede the shared
 * strings in the archive (as Excel writes them) to temporary files, then reads
 * them one by one, and closes and deletes each only when iteration moves past
 * it. So: close the sheet's source, and move on through the other sheets
 * without reading them. The archive has been read whole by then, so this reads
 * no more input. A sheet read straight from the archive has no copy to clean.
 */
async function abandonWorkbook(sheet: SheetReader, sheets: AsyncIterator<SheetReader>): Promise<void> {
  if(!closeSheetSource(sheet)) return;
  try {
    for(let next = await sheets.next(); !next.done; next = await sheets.next()) closeSheetSource(next.value);
  } catch {
    // Reading is over either way.
  }
}

/** Closes a worksheet's source when it is a temporary copy (an fs.ReadStream); returns whether it was one. */
function closeSheetSource(sheet: SheetReader): boolean {
  const source = sheet.iterator;
  if(!source || typeof source.destroy !== 'function' || source.path === undefined) return false;
  source.destroy();
  return true;
}

/** Reads one worksheet: the first non-empty row is the header. Returns the number of data rows. */
async function* readSheet(sheet: SheetReader, options: ReadOptions): AsyncGenerator<UploadItem, number, undefined> {
  let columns: string[] | null = null;
  let rows = 0;
  for await (const row of sheet) {
    const values = row.values as unknown[];
    if(columns === null) {
      const cells: string[] = [];
      for(let i = 1; i < values.length; i++) cells.push(cellText(values[i]).text);
      if(isBlank(cells)) continue;
      columns = checkHeader(cells, row.number);
      yield {kind: 'header', format: 'xlsx', columns, sheet: sheet.name};
      continue;
    }
    const problems: RowProblem[] = [];
    const cells: Record<string, string> = Object.create(null);
    let formulaColumns: string[] | undefined;
    let blank = true;
    for(let i = 0; i < columns.length; i++) {
      const {text, formula} = cellText(values[i + 1]);
      if(text !== '') blank = false;
      if(formula) (formulaColumns ??= []).push(columns[i]);
      if(text.length > options.maxFieldLength) {
        problems.push(fieldTooLong(row.number, columns[i], text.length, options.maxFieldLength));
        cells[columns[i]] = '';
      } else {
        cells[columns[i]] = text;
      }
    }
    for(let i = columns.length + 1; i < values.length; i++) {
      if(cellText(values[i]).text === '') continue;
      blank = false;
      problems.push({row: row.number, column: null, code: 'ROW_FIELD_COUNT',
        message: `Row ${row.number} has a value in column ${columnLetter(i - 1)}, which has no header.`});
      break;
    }
    if(blank) continue;
    if(++rows > options.maxRows) throw tooManyRows(options.maxRows);
    yield {kind: 'row', rowNumber: row.number, cells, problems, ...(formulaColumns ? {formulaColumns} : {})};
  }
  if(columns === null) throw new UploadError('FILE_EMPTY', `The first worksheet ("${sheet.name}") is empty.`);
  if(rows === 0) throw new UploadError('HEADER_ONLY', `The first worksheet ("${sheet.name}") has a header row but no data rows.`);
  return rows;
}

/**
 * A cell as text: strings trimmed, numbers as JavaScript writes them, dates as
 * ISO 8601 UTC (a date alone when the time is midnight: Excel dates have no
 * zone, exceljs reads them as UTC), booleans TRUE / FALSE, rich text joined,
 * error values as Excel shows them. A formula gives its cached result.
 */
function cellText(value: unknown): {text: string; formula: boolean} {
  if(value === null || value === undefined) return {text: '', formula: false};
  if(typeof value === 'object' && !(value instanceof Date)) {
    const v = value as {formula?: string; sharedFormula?: string; result?: unknown; richText?: {text?: string}[]; error?: string; text?: unknown};
    if('formula' in v || 'sharedFormula' in v) {
      const result = v.result;
      // An error result (#N/A) comes through as NaN.
      const text = typeof result === 'number' && Number.isNaN(result) ? '' : cellText(result).text;
      return {text, formula: true};
    }
    if(Array.isArray(v.richText)) return {text: v.richText.map(r => r.text ?? '').join('').trim(), formula: false};
    if(typeof v.error === 'string') return {text: v.error, formula: false};
    if('text' in v) return cellText(v.text);
    return {text: '', formula: false};
  }
  if(value instanceof Date) return {text: Number.isNaN(value.getTime()) ? '' : isoDate(value), formula: false};
  if(typeof value === 'number') return {text: Number.isFinite(value) ? String(value) : '', formula: false};
  if(typeof value === 'boolean') return {text: value ? 'TRUE' : 'FALSE', formula: false};
  return {text: String(value).trim(), formula: false};
}

function isoDate(date: Date): string {
  // Excel stores times as fractions of a day: round away the floating-point noise to the second.
  const rounded = new Date(Math.round(date.getTime() / 1000) * 1000);
  const iso = rounded.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 19)}Z`;
}
