// The bulk-issuance upload reader (services/batches/parse.ts) and row validator (validate.ts): every file is
// generated here (or is a small fixture whose bytes are the point, see fixtures/batches/README.md).
import {readdirSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {Readable} from 'node:stream';
import ExcelJS from 'exceljs';
import {describe, expect, it} from 'vitest';
import {openUpload, readRows, type ReadOptions, sniffDelimiter, UploadError, type UploadItem, type UploadRow} from '../src/services/batches/parse.js';
import {checkMapping, createRowValidator, dryRun, guessMapping, type Mapping, parseMapping, type RowValidation} from '../src/services/batches/validate.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The bytes as an async iterable, cut into chunks of `size` bytes (1: every character split across chunks). */
async function* chunked(bytes: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for(let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const CSV: ReadOptions = {format: 'csv', maxRows: 1000, maxFieldLength: 1000};

/** Reads a whole upload into its parts. */
async function read(bytes: Uint8Array | AsyncIterable<Uint8Array>, options: Partial<ReadOptions> = {}, chunk?: number) {
  const items: UploadItem[] = [];
  for await (const item of readRows(bytes instanceof Uint8Array ? chunked(bytes, chunk) : bytes, {...CSV, ...options})) items.push(item);
  const header = items[0];
  const end = items[items.length - 1];
  if(header.kind !== 'header' || end.kind !== 'end') throw new Error('header first, end last');
  return {header, rows: items.filter((i): i is UploadRow => i.kind === 'row'), end};
}

/** The UploadError a read ends with. */
async function refusal(bytes: Uint8Array | AsyncIterable<Uint8Array>, options: Partial<ReadOptions> = {}): Promise<UploadError> {
  try {
    await read(bytes, options);
  } catch(error) {
    if(error instanceof UploadError) return error;
    throw error;
  }
  throw new Error('the upload was accepted');
}

/** Encodes text as Windows-1252 (the characters these tests use). */
function windows1252(text: string): Uint8Array {
  const high: Record<string, number> = {'’': 0x92, '€': 0x80, '–': 0x96};
  return Uint8Array.from([...text].map(c => high[c] ?? (c.charCodeAt(0) < 256 ? c.charCodeAt(0) : 0x3f)));
}

const utf16le = (text: string) => new Uint8Array(Buffer.from(`\uFEFF${text}`, 'utf16le'));
const utf16be = (text: string) => new Uint8Array(Buffer.from(`\uFEFF${text}`, 'utf16le').swap16());

const NAMES = 'Name,Email\r\nÅsa Öberg,asa@example.se\r\nJérôme Dupont,jerome@example.fr\r\n';

describe('readRows: encodings', () => {
  it('reads UTF-8 without a BOM, numbering rows as a spreadsheet does (header 1, blank rows counted)', async () => {
    const {header, rows, end} = await read(utf8('Name,Email\nÅsa Öberg,asa@example.se\n\n,\nJérôme,j@example.fr'));
    expect(header).toEqual({kind: 'header', format: 'csv', columns: ['Name', 'Email'], encoding: 'utf-8', bom: false, delimiter: ','});
    expect(rows.map(r => [r.rowNumber, {...r.cells}])).toEqual([[2, {Name: 'Åsa Öberg', Email: 'asa@example.se'}], [5, {Name: 'Jérôme', Email: 'j@example.fr'}]]);
    expect(end).toEqual({kind: 'end', rows: 2, encoding: 'utf-8'});
  });

  it('reads UTF-8 with a BOM (Excel "CSV UTF-8"): the BOM is not part of the first header', async () => {
    const {header, rows} = await read(utf8(`\uFEFF${NAMES}`));
    expect(header).toMatchObject({columns: ['Name', 'Email'], encoding: 'utf-8', bom: true});
    expect(rows[0].cells.Name).toBe('Åsa Öberg');
  });

  it('reads UTF-16LE and UTF-16BE with a BOM (Excel "Unicode text" is UTF-16LE, tab-separated)', async () => {
    const text = NAMES.replace(/,/g, '\t');
    for(const [bytes, encoding] of [[utf16le(text), 'utf-16le'], [utf16be(text), 'utf-16be']] as const) {
      const {header, rows, end} = await read(bytes);
      expect(header).toMatchObject({encoding, bom: true, delimiter: '\t', columns: ['Name', 'Email']});
      expect(rows.map(r => r.cells.Name)).toEqual(['Åsa Öberg', 'Jérôme Dupont']);
      expect(end.encoding).toBe(encoding);
    }
  });

  it('reads bytes that are not UTF-8 as Windows-1252 (Excel "CSV" on Windows), including 0x80–0x9F such as ’', async () => {
    const {header, rows} = await read(windows1252("Name,Email\r\nÅsa Öberg,asa@example.se\r\nJérôme O’Brien – €,jerome@example.fr\r\n"));
    expect(header).toMatchObject({encoding: 'windows-1252', bom: false});
    expect(rows.map(r => r.cells.Name)).toEqual(['Åsa Öberg', 'Jérôme O’Brien – €']);
  });

  it('reads the Excel (sv-SE) fixture: Windows-1252, semicolons, CRLF', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('./fixtures/batches/excel-sv-se-windows-1252.csv', import.meta.url)));
    const {header, rows} = await read(bytes);
    expect(header).toMatchObject({encoding: 'windows-1252', delimiter: ';', columns: ['Namn', 'E-post', 'Giltig från', 'Kurs']});
    expect(rows.map(r => r.cells.Namn)).toEqual(['Åsa Öberg', 'Jérôme O’Brien']);
  });

  it('switches to Windows-1252 when the first non-ASCII byte comes after 64 KiB of ASCII, and says so at the end', async () => {
    const ascii = `Name,Email\n${Array.from({length: 4000}, (_, i) => `Person ${i},p${i}@example.org`).join('\n')}\n`;
    const bytes = new Uint8Array([...utf8(ascii), ...windows1252('Åsa Öberg,asa@example.se\n')]);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    const {header, rows, end} = await read(bytes, {maxRows: 5000}, 4096);
    expect(header.encoding).toBe('utf-8');
    expect(end.encoding).toBe('windows-1252');
    expect(rows[rows.length - 1].cells.Name).toBe('Åsa Öberg');
  });

  it('gives the same rows when every byte arrives in its own chunk (characters split across chunks)', async () => {
    const text = 'Name;Email;Note\n"Åsa; Öberg";asa@example.se;"two\nlines"\nJérôme 😀;j@example.fr;x\n';
    for(const bytes of [utf8(text), utf8(`\uFEFF${text}`), utf16le(text), utf16be(text)]) {
      const whole = await read(bytes);
      const split = await read(bytes, {}, 1);
      expect(split.rows).toEqual(whole.rows);
      expect(whole.rows.map(r => r.cells.Name)).toEqual(['Åsa; Öberg', 'Jérôme 😀']);
      expect(whole.rows[0].cells.Note).toBe('two\nlines');
    }
  });

  it('refuses UTF-16 without a BOM (NULs between the letters) with ENCODING_INVALID and how to fix it', async () => {
    const error = await refusal(new Uint8Array(Buffer.from(NAMES, 'utf16le')));
    expect(error.code).toBe('ENCODING_INVALID');
    expect(error.message).toMatch(/UTF-16 without a byte order mark.*CSV UTF-8/);
  });

  it('refuses a file that is UTF-8 at first and then is not, and NUL bytes, and UTF-32', async () => {
    const text = `${NAMES}${'x,y\n'.repeat(20_000)}`;
    expect((await refusal(new Uint8Array([...utf8(text), 0xff, 0x0a]))).code).toBe('ENCODING_INVALID');
    expect((await refusal(utf8('Name,Email\na\0b,c@d.ef\n'))).code).toBe('ENCODING_INVALID');
    expect((await refusal(new Uint8Array([0xff, 0xfe, 0, 0, 0x41, 0, 0, 0]))).message).toMatch(/UTF-32/);
  });
});

describe('readRows: delimiters and shape', () => {
  it('detects ; (Excel in Swedish, German, French locales), tab and | from the header line', async () => {
    for(const d of [';', '\t', '|']) {
      const {header, rows} = await read(utf8(`Name${d}Email\nSmith, John${d}john@example.org\n`));
      expect(header.delimiter).toBe(d);
      expect(rows[0].cells).toEqual({Name: 'Smith, John', Email: 'john@example.org'});
    }
    // A single column: a comma in the data does not split it.
    expect(sniffDelimiter('Name\nSmith, John\n')).not.toBe(',');
    // A quoted header cell may hold another delimiter.
    expect(sniffDelimiter('"Name; full",Email\na,b\n')).toBe(',');
  });

  it('settles a header with two candidate delimiters by the rows below, and refuses it when they cannot: MIXED_DELIMITERS', async () => {
    expect(sniffDelimiter('Name;Email;Notes, remarks\nÅsa;a@b.se;x\nBo;b@c.se;y, z\n')).toBe(';');
    const error = await refusal(utf8('Name;Email,DID\nÅsa;a@b.se,did:web:x.org\n'));
    expect(error).toMatchObject({code: 'MIXED_DELIMITERS', row: 1});
  });

  it('reports a data row written with another delimiter (MIXED_DELIMITERS) or with the wrong number of fields (ROW_FIELD_COUNT)', async () => {
    const {rows} = await read(utf8('Name,Email,Course\nÅsa,a@b.se,Welding\nBo;b@c.se;Welding\nCy,c@d.se\nDi,d@e.se,Welding,,\nEd,e@f.se,Welding,extra\n'));
    expect(rows.map(r => [r.rowNumber, r.problems.map(p => p.code)])).toEqual([
      [2, []], [3, ['MIXED_DELIMITERS']], [4, ['ROW_FIELD_COUNT']], [5, []], [6, ['ROW_FIELD_COUNT']],
    ]);
    expect(rows[1].problems[0]).toEqual({row: 3, column: null, code: 'MIXED_DELIMITERS',
      message: 'Row 3 seems to be separated by ";", but the header row uses ",".'});
  });

  it('refuses an empty file, a blank one, and one of only a header', async () => {
    expect((await refusal(new Uint8Array(0))).code).toBe('FILE_EMPTY');
    expect((await refusal(utf8('\uFEFF \r\n\r\n'))).code).toBe('FILE_EMPTY');
    expect((await refusal(utf8('Name,Email\r\n'))).code).toBe('HEADER_ONLY');
    expect((await refusal(utf8('Name,Email\r\n,\r\n\r\n'))).code).toBe('HEADER_ONLY');
  });

  it('refuses a repeated or an empty column name, but drops trailing empty ones', async () => {
    expect(await refusal(utf8('Name,Email,email\na,b,c\n'))).toMatchObject({code: 'DUPLICATE_HEADER', row: 1});
    const empty = await refusal(utf8('Name,,Email\na,b,c\n'));
    expect(empty).toMatchObject({code: 'EMPTY_HEADER', message: expect.stringContaining('Column B')});
    const {header, rows} = await read(utf8('Name,Email,,\na,b@c.de,,\n'));
    expect(header.columns).toEqual(['Name', 'Email']);
    expect(rows[0].problems).toEqual([]);
  });

  it('reports a cell longer than maxFieldLength on its row (the cell is emptied), and refuses a record over 1 MiB', async () => {
    const {rows} = await read(utf8(`Name,Notes\nÅsa,${'x'.repeat(1001)}\nBo,short\n`));
    expect(rows[0].problems).toEqual([{row: 2, column: 'Notes', code: 'FIELD_TOO_LONG', message: expect.stringContaining('1,001 characters')}]);
    expect(rows[0].cells.Notes).toBe('');
    expect(rows[1].problems).toEqual([]);
    // An unclosed quote swallows the rest of the file into one cell: refused once it passes 1 MiB, not read to the end.
    const unclosed = await refusal(chunked(utf8(`Name,Notes\nÅsa,"${'x'.repeat(2 * 1024 * 1024)}\n`)));
    expect(unclosed.code).toBe('FIELD_TOO_LONG');
  });

  it('refuses malformed quoting (CSV_MALFORMED) and explains how a quote is written', async () => {
    const error = await refusal(utf8('Name,Email\nBo,b@c.se\n\nÅsa "the welder" Öberg,a@b.se\nCy,c@d.se\n'));
    expect(error).toMatchObject({code: 'CSV_MALFORMED', row: 4});
    expect(error.message).toContain('"say ""hi"""');
  });

  it('refuses a workbook sent as CSV and a CSV sent as a workbook: FORMAT_MISMATCH', async () => {
    expect((await refusal(await workbook([['Name'], ['Åsa']]))).code).toBe('FORMAT_MISMATCH');
    expect((await refusal(utf8(NAMES), {format: 'xlsx'})).code).toBe('FORMAT_MISMATCH');
  });
});

describe('readRows: limits', () => {
  /** A million-row CSV made as it is read: never in memory. Records how much was pulled and whether it was closed. */
  function millionRows() {
    const state = {bytesPulled: 0, closed: false, totalBytes: 0};
    const line = (j: number) => `Person ${j},person${j}@example.org,2026-03-01\n`;
    for(let d = 1, from = 0; from < 1_000_000; d++, from = 10 ** (d - 1)) {
      state.totalBytes += (Math.min(10 ** d, 1_000_000) - from) * (line(0).length + 2 * (d - 1));
    }
    async function* rows(): AsyncGenerator<Uint8Array> {
      try {
        yield utf8('Name,Email,Valid from\n');
        for(let i = 0; i < 1_000_000; i += 1000) {
          let chunk = '';
          for(let j = i; j < i + 1000; j++) chunk += line(j);
          const bytes = utf8(chunk);
          state.bytesPulled += bytes.length;
          yield bytes;
        }
      } finally {
        state.closed = true;
      }
    }
    return {state, rows};
  }

  it('refuses a 1,000,000-row CSV over a 200,000-row limit at row 200,001, without reading the rest', async () => {
    const {state, rows} = millionRows();
    let rowsSeen = 0;
    let error: unknown;
    const started = performance.now();
    try {
      for await (const item of readRows(rows(), {...CSV, maxRows: 200_000})) if(item.kind === 'row') rowsSeen++;
    } catch(e) {
      error = e;
    }
    console.log(`TOO_MANY_ROWS after ${rowsSeen.toLocaleString('en')} rows, ${(state.bytesPulled / 1e6).toFixed(1)} of ${(state.totalBytes / 1e6).toFixed(1)} MB read, `
      + `${Math.round(performance.now() - started)} ms`);
    expect(error).toMatchObject({code: 'TOO_MANY_ROWS', status: 413, message: expect.stringContaining('200,000')});
    expect(rowsSeen).toBe(200_000);
    expect(state.bytesPulled).toBeLessThan(state.totalBytes / 4);
    expect(state.closed).toBe(true);
  });

  it('destroys a Readable input when reading stops early (a refusal, or a consumer that breaks off)', async () => {
    const refused = Readable.from(millionRows().rows());
    await expect(read(refused, {maxRows: 10})).rejects.toMatchObject({code: 'TOO_MANY_ROWS'});
    expect(refused.destroyed).toBe(true);
    const abandoned = Readable.from(millionRows().rows());
    for await (const item of readRows(abandoned, CSV)) if(item.kind === 'row') break;
    expect(abandoned.destroyed).toBe(true);
  });

  it('refuses a file over maxBytes as soon as it passes the limit: FILE_TOO_LARGE', async () => {
    const {state, rows} = millionRows();
    const error = await refusal(rows(), {maxRows: 2_000_000, maxBytes: 1024 * 1024});
    expect(error).toMatchObject({code: 'FILE_TOO_LARGE', status: 413});
    expect(state.bytesPulled).toBeLessThan(2 * 1024 * 1024);
    expect(state.closed).toBe(true);
  });
});

describe('readRows: .xlsx', () => {
  const XLSX: Partial<ReadOptions> = {format: 'xlsx'};
  /** exceljs's temporary copies of worksheets made by this process, once their (asynchronous) removal had time to finish. */
  async function pidFiles(): Promise<string[]> {
    const list = () => readdirSync(tmpdir()).filter(f => f.startsWith(`tmp-${process.pid}-`));
    for(let i = 0; i < 40 && list().length; i++) await new Promise(resolve => setTimeout(resolve, 25));
    return list();
  }

  it('reads the first worksheet: dates as ISO 8601 (UTC), numbers as text, formulas as their saved result and flagged', async () => {
    const bytes = await workbook([
      [],
      ['Name', 'Email', 'Valid from', 'Valid until', 'Score', 'Member', 'Full name'],
      ['Åsa Öberg', 'asa@example.se', new Date(Date.UTC(2026, 2, 1)), new Date(Date.UTC(2027, 2, 1, 9, 30)), 42.5, true,
        {formula: 'A3&" (welder)"', result: 'Åsa Öberg (welder)'}],
      [],
      ['Jérôme', 'jerome@example.fr', '2026-03-01', null, 1234567890123, false, {formula: '1+1'}],
    ], [['Other sheet'], ['not read']]);
    const {header, rows, end} = await read(bytes, XLSX, 997);
    expect(header).toEqual({kind: 'header', format: 'xlsx', columns: ['Name', 'Email', 'Valid from', 'Valid until', 'Score', 'Member', 'Full name'], sheet: 'Sheet 1'});
    expect(rows.map(r => [r.rowNumber, {...r.cells}, r.formulaColumns])).toEqual([
      [3, {'Name': 'Åsa Öberg', 'Email': 'asa@example.se', 'Valid from': '2026-03-01', 'Valid until': '2027-03-01T09:30:00Z', 'Score': '42.5',
        'Member': 'TRUE', 'Full name': 'Åsa Öberg (welder)'}, ['Full name']],
      [5, {'Name': 'Jérôme', 'Email': 'jerome@example.fr', 'Valid from': '2026-03-01', 'Valid until': '', 'Score': '1234567890123',
        'Member': 'FALSE', 'Full name': ''}, ['Full name']],
    ]);
    expect(end).toEqual({kind: 'end', rows: 2});
    expect(await pidFiles()).toEqual([]);
  });

  it('reports a value in a column without a header, and over-long cells, on the row', async () => {
    const {rows} = await read(await workbook([['Name', 'Email'], ['Åsa', 'a@b.se', 'stray'], ['x'.repeat(1001), 'b@c.se']]), XLSX);
    expect(rows[0].problems).toEqual([{row: 2, column: null, code: 'ROW_FIELD_COUNT', message: 'Row 2 has a value in column C, which has no header.'}]);
    expect(rows[1].problems).toMatchObject([{row: 3, column: 'Name', code: 'FIELD_TOO_LONG'}]);
  });

  it('refuses an empty first sheet, a header-only sheet, a repeated header, too many rows; and leaves no temporary file', async () => {
    expect((await refusal(await workbook([], [['Name'], ['Åsa']]), XLSX)).code).toBe('FILE_EMPTY');
    expect((await refusal(await workbook([['Name', 'Email']]), XLSX)).code).toBe('HEADER_ONLY');
    expect((await refusal(await workbook([['Name', 'name'], ['a', 'b']]), XLSX)).code).toBe('DUPLICATE_HEADER');
    const many = await workbook([['Name'], ...Array.from({length: 50}, (_, i) => [`P${i}`])], [['Other'], ['x']]);
    expect(await refusal(many, {...XLSX, maxRows: 10})).toMatchObject({code: 'TOO_MANY_ROWS'});
    for await (const item of readRows(chunked(many), {...CSV, ...XLSX} as ReadOptions)) if(item.kind === 'row') break;
    // exceljs copies sheets to temporary files; reading that stops early must still remove them.
    expect(await pidFiles()).toEqual([]);
  });

  it('refuses a file over maxBytes and a broken archive', async () => {
    const bytes = await workbook([['Name'], ...Array.from({length: 500}, (_, i) => [`Person ${i}`])]);
    expect(await refusal(bytes, {...XLSX, maxBytes: 2000})).toMatchObject({code: 'FILE_TOO_LARGE'});
    expect((await refusal(bytes.subarray(0, 1500), XLSX)).code).toBe('XLSX_MALFORMED');
  });

  it('opens an upload as a handle: the header first, then the rows', async () => {
    const upload = await openUpload(chunked(utf8(NAMES)), CSV);
    expect(upload.header.columns).toEqual(['Name', 'Email']);
    const rows: number[] = [];
    const it = upload.rows();
    for(let next = await it.next(); ; next = await it.next()) {
      if(next.done) {
        expect(next.value).toEqual({kind: 'end', rows: 2, encoding: 'utf-8'});
        break;
      }
      rows.push(next.value.rowNumber);
    }
    expect(rows).toEqual([2, 3]);
  });
});

/** Builds an .xlsx workbook in memory with exceljs: a sheet per argument, its rows as given. */
async function workbook(...sheets: unknown[][][]): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  sheets.forEach((rows, i) => {
    const ws = wb.addWorksheet(`Sheet ${i + 1}`);
    rows.forEach((row, r) => {
      if(row.length) ws.getRow(r + 1).values = row as ExcelJS.CellValue[];
    });
  });
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

// ---------------------------------------------------------------------------------------------------------------------
// Validation

const MAPPING: Mapping = {name: 'Name', email: 'Email', did: 'DID', validFrom: 'Valid from', validUntil: 'Valid until', evidenceUrl: 'Evidence',
  fields: {course: 'Course'}};
const COLUMNS = ['Name', 'Email', 'DID', 'Valid from', 'Valid until', 'Evidence', 'Course'];

/** A row as the parser gives it: cells by header, row number. */
function row(rowNumber: number, cells: Partial<Record<string, string>>, extra: Partial<UploadRow> = {}): UploadRow {
  const all: Record<string, string> = Object.create(null);
  for(const c of COLUMNS) all[c] = cells[c] ?? '';
  return {kind: 'row', rowNumber, cells: all, problems: [], ...extra};
}

/** Validates rows in order with a fresh validator; returns each outcome. */
function validate(rows: UploadRow[], options: {mapping?: Mapping; duplicatePolicy?: 'flag' | 'allow' | 'reject'} = {}): RowValidation[] {
  const v = createRowValidator({mapping: options.mapping ?? MAPPING, duplicatePolicy: options.duplicatePolicy ?? 'flag'});
  return rows.map(v);
}

/** The [row, column, code] of every error of one outcome. */
const errorsOf = (r: RowValidation) => r.ok ? [] : r.errors.map(e => [e.row, e.column, e.code]);

describe('createRowValidator', () => {
  it('turns a valid row into the recipient part of an issuance: email domain lower-cased, dates in UTC, evidence, template fields', () => {
    const [result] = validate([row(2, {'Name': 'Åsa Öberg', 'Email': 'Asa.Oberg@Example.SE', 'DID': 'did:web:example.se:people:asa',
      'Valid from': '2026-03-01', 'Valid until': '2027-03-01T09:30:00+01:00', 'Evidence': 'https://example.se/work/42', 'Course': 'Welding 1'})]);
    expect(result).toEqual({ok: true, row: 2, warnings: [], value: {
      recipient: {name: 'Åsa Öberg', email: 'Asa.Oberg@example.se', did: 'did:web:example.se:people:asa'},
      validFrom: '2026-03-01T00:00:00Z', validUntil: '2027-03-01T08:30:00Z', evidence: [{id: 'https://example.se/work/42'}], fields: {course: 'Welding 1'},
    }});
    // Optional fields may be empty; empty template fields are left out.
    expect(validate([row(7, {Name: 'Bo'})])[0]).toEqual({ok: true, row: 7, warnings: [], value: {recipient: {name: 'Bo'}, fields: {}}});
  });

  it('reports every problem of a row with its row number, column and code', () => {
    const [result] = validate([row(9, {'Email': 'not-an-email', 'DID': 'did:key:abc', 'Valid from': '03/01/2026', 'Valid until': '2026-13-01',
      'Evidence': 'ftp://example.org/x', 'Course': 'x'.repeat(2001)})]);
    expect(errorsOf(result)).toEqual([
      [9, 'Name', 'NAME_MISSING'], [9, 'Email', 'EMAIL_INVALID'], [9, 'DID', 'DID_INVALID'], [9, 'Valid from', 'DATE_INVALID'],
      [9, 'Valid until', 'DATE_INVALID'], [9, 'Evidence', 'URL_INVALID'], [9, 'Course', 'FIELD_TOO_LONG'],
    ]);
  });

  it('EMAIL_INVALID: a sane check, the same as the API', () => {
    const bad = ['a@b', 'a@@b.se', 'a b@c.se', 'a..b@c.se', '.a@b.se', 'a@-b.se', 'åsa@example.se', 'a@b.s', 'a@b.se.'];
    for(const email of bad) expect(errorsOf(validate([row(2, {Name: 'A', Email: email})])[0]), email).toEqual([[2, 'Email', 'EMAIL_INVALID']]);
    for(const email of ['a@b.se', "o'brien+tag@mail.example.co.uk", 'A_B-C@EXAMPLE.ORG']) expect(validate([row(2, {Name: 'A', Email: email})])[0].ok, email).toBe(true);
  });

  it('DID_INVALID: did:key, did:web and the generic did:<method>:<id> syntax', () => {
    const good = ['did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', 'did:web:example.org', 'did:web:localhost%3A8443:users:alice',
      'did:example:123456789abcdefghi', 'did:ion:EiClkZMDxPKqC9c-umQfTkR8vvZ9JPhl_xLDI9Nfk38w5w'];
    for(const did of good) expect(validate([row(2, {Name: 'A', DID: did})])[0].ok, did).toBe(true);
    const bad = ['did:key:abc', 'did:key:z0OIl', 'did:web:', 'did:web:exa mple.org', 'did:Web:example.org', 'did:example:', 'did:example:a%zz', 'web:example.org', 'DID:web:x.org'];
    for(const did of bad) expect(errorsOf(validate([row(2, {Name: 'A', DID: did})])[0]), did).toEqual([[2, 'DID', 'DID_INVALID']]);
  });

  it('DATE_INVALID: ISO 8601 dates and date-times with a zone only; each refusal says what to write', () => {
    const ok: [string, string][] = [['2026-03-01', '2026-03-01T00:00:00Z'], ['2024-02-29', '2024-02-29T00:00:00Z'],
      ['2026-03-01T09:00Z', '2026-03-01T09:00:00Z'], ['2026-03-01T09:00:00.250-05:00', '2026-03-01T14:00:00.250Z']];
    for(const [input, output] of ok) expect(validate([row(2, {'Name': 'A', 'Valid from': input})])[0], input).toMatchObject({ok: true, value: {validFrom: output}});
    const bad: [string, RegExp][] = [
      ['03/01/2026', /day\/month orders.*YYYY-MM-DD/],
      ['1.3.2026', /day\/month orders/],
      ['2026-02-29', /not a date in the calendar/],
      ['2026-03-01T09:00:00', /no time zone/],
      ['2026-03-01 09:00', /no time zone/],
      ['46082', /serial number/],
      ['next Monday', /not an ISO 8601 date: write it as YYYY-MM-DD/],
      ['0999-01-01', /calendar/],
    ];
    for(const [input, message] of bad) {
      const [result] = validate([row(4, {'Name': 'A', 'Valid until': input})]);
      expect(result.ok ? [] : result.errors, input).toEqual([{row: 4, column: 'Valid until', code: 'DATE_INVALID', message: expect.stringMatching(message)}]);
    }
  });

  it('VALIDITY_INVERTED: the end before (or at) the start', () => {
    const [result] = validate([row(3, {'Name': 'A', 'Valid from': '2027-01-01', 'Valid until': '2026-12-31T23:59:59Z'})]);
    expect(errorsOf(result)).toEqual([[3, 'Valid until', 'VALIDITY_INVERTED']]);
    expect(validate([row(3, {'Name': 'A', 'Valid from': '2027-01-01', 'Valid until': '2027-01-01T00:00:00.001Z'})])[0].ok).toBe(true);
  });

  it('URL_INVALID: evidence must be an http(s) URL', () => {
    for(const url of ['javascript:alert(1)', 'ftp://example.org/x', 'example.org/x', 'https://', 'mailto:a@b.se']) {
      expect(errorsOf(validate([row(2, {Name: 'A', Evidence: url})])[0]), url).toEqual([[2, 'Evidence', 'URL_INVALID']]);
    }
    expect(validate([row(2, {Name: 'A', Evidence: 'http://intranet.example/work?id=1'})])[0].ok).toBe(true);
  });

  it('FIELD_TOO_LONG: the API\'s limits per field', () => {
    expect(errorsOf(validate([row(2, {Name: 'x'.repeat(501)})])[0])).toEqual([[2, 'Name', 'FIELD_TOO_LONG']]);
    expect(validate([row(2, {Name: 'x'.repeat(500)})])[0].ok).toBe(true);
    expect(errorsOf(validate([row(2, {Name: 'A', Email: `${'a'.repeat(310)}@example.org`})])[0])).toEqual([[2, 'Email', 'FIELD_TOO_LONG']]);
  });

  it('FORMULA_LIKE: refuses cells a spreadsheet would run, and explains why; names with hyphens are fine', () => {
    const formulas = ['=HYPERLINK("http://x")', '+1', '@SUM(A1)', '-2+3', '-A1', '-SUM(A1:A2)', '=1+1', '\t=1', '\rx', '＝1', '+Smith'];
    for(const value of formulas) {
      const [result] = validate([row(6, {Name: value})]);
      expect(result.ok ? [] : result.errors, JSON.stringify(value)).toEqual([{row: 6, column: 'Name', code: 'FORMULA_LIKE',
        message: expect.stringMatching(/starts like a spreadsheet formula.*could run when the file.*opened in a spreadsheet/)}]);
    }
    for(const value of ['-Smith', 'Anne-Marie', 'Jean-Luc Picard', '-', 'Smith=Jones', 'A+B', 'x@y']) {
      expect(validate([row(6, {Name: value})])[0].ok, value).toBe(true);
    }
    // Every mapped column is checked, template fields too.
    expect(errorsOf(validate([row(6, {Name: 'A', Course: '=cmd|\' /C calc\'!A0'})])[0])).toEqual([[6, 'Course', 'FORMULA_LIKE']]);
  });

  it('DUPLICATE_RECIPIENT: the same email (any case), DID, or (with neither) name as an earlier row; by policy', () => {
    const rows = [
      row(2, {Name: 'Åsa', Email: 'asa@example.se'}),
      row(3, {Name: 'Åsa Ö', Email: 'ASA@Example.se'}),
      row(4, {Name: 'Bo', DID: 'did:web:bo.example'}),
      row(5, {Name: 'Bo again', DID: 'did:web:bo.example'}),
      row(6, {Name: 'Cy  Dahl'}),
      row(7, {Name: 'cy dahl'}),
      row(8, {Name: 'Cy Dahl', Email: 'cy@example.se'}),
      row(9, {Name: '', Email: 'dy@example.se'}),
      row(10, {Name: 'Dy', Email: 'dy@example.se'}),
    ];
    const flagged = validate(rows, {duplicatePolicy: 'flag'});
    expect(flagged.map(r => r.ok)).toEqual([true, true, true, true, true, true, true, false, true]);
    expect(flagged.flatMap(r => r.warnings.map(w => [w.row, w.column, w.code]))).toEqual([
      [3, 'Email', 'DUPLICATE_RECIPIENT'], [5, 'DID', 'DUPLICATE_RECIPIENT'], [7, 'Name', 'DUPLICATE_RECIPIENT'],
    ]);
    expect(flagged[1].warnings[0].message).toBe('The same recipient (email) as row 2: one credential of this achievement per recipient.');
    // Row 9 is invalid, so row 10 (the first that can be issued) is not a duplicate of it.
    const rejected = validate(rows, {duplicatePolicy: 'reject'});
    expect(rejected.map(r => r.ok)).toEqual([true, false, true, false, true, false, true, false, true]);
    expect(errorsOf(rejected[1])).toEqual([[3, 'Email', 'DUPLICATE_RECIPIENT']]);
    const allowed = validate(rows, {duplicatePolicy: 'allow'});
    expect(allowed.map(r => r.ok)).toEqual([true, true, true, true, true, true, true, false, true]);
    expect(allowed.flatMap(r => r.warnings)).toEqual([]);
  });

  it('takes over the parser\'s problems: errors in mapped columns or the whole row, warnings in unused columns', () => {
    const mapping: Mapping = {name: 'Name'};
    const problems = [
      {row: 2, column: 'Name', code: 'FIELD_TOO_LONG' as const, message: 'long'},
      {row: 2, column: 'Notes', code: 'FIELD_TOO_LONG' as const, message: 'long'},
    ];
    const [a] = validate([row(2, {Name: ''}, {problems})], {mapping});
    // The emptied Name cell is not also reported as NAME_MISSING.
    expect(a).toEqual({ok: false, row: 2, errors: [problems[0]], warnings: [problems[1]]});
    const [b] = validate([row(3, {Name: 'A'}, {problems: [{row: 3, column: null, code: 'ROW_FIELD_COUNT', message: 'n'}]})], {mapping});
    expect(errorsOf(b)).toEqual([[3, null, 'ROW_FIELD_COUNT']]);
  });

  it('FORMULA_CELL: an .xlsx formula in a mapped column is a warning naming the saved result it used', () => {
    const [result] = validate([row(2, {Name: 'Åsa Öberg (welder)', Course: 'c'}, {formulaColumns: ['Name', 'Course', 'Score']})]);
    expect(result).toMatchObject({ok: true, warnings: [
      {row: 2, column: 'Name', code: 'FORMULA_CELL', message: 'The cell in column "Name" holds a formula; its saved result "Åsa Öberg (welder)" is used.'},
      {row: 2, column: 'Course', code: 'FORMULA_CELL'},
    ]});
  });
});

describe('mapping', () => {
  it('parses the JSON of a multipart field: MAPPING_INVALID for bad JSON, duplicate keys, unknown fields, bad names', () => {
    expect(parseMapping('{"name": "Full name", "email": "E-mail", "fields": {"course": "Course"}}'))
      .toEqual({ok: true, mapping: {name: 'Full name', email: 'E-mail', fields: {course: 'Course'}}});
    expect(parseMapping({name: ' Name '})).toEqual({ok: true, mapping: {name: 'Name'}});
    for(const bad of ['{"name": "A"', '{"name": "A", "name": "B"}', '{"email": "E"}', '{"name": "A", "phone": "P"}', '{"name": ""}',
      '{"name": "A", "fields": {"1st": "X"}}', '{"name": "A", "fields": {"__proto__": "X"}}', '{"name": "A", "__proto__": {"x": 1}}', '["name"]', {name: 42}]) {
      const result = parseMapping(bad);
      expect(result.ok, JSON.stringify(bad)).toBe(false);
      if(!result.ok) expect(result.problems.every(p => p.code === 'MAPPING_INVALID' && p.row === null)).toBe(true);
    }
  });

  it('checkMapping: UNKNOWN_COLUMN for each mapped header the file lacks, with a suggestion; unmapped columns listed', () => {
    const {problems, unusedColumns} = checkMapping({name: 'Full name', email: 'email', validFrom: 'Issued', fields: {course: 'Kurs'}},
      ['Full Name', 'E-mail', 'Issued', 'Shoe size']);
    expect(problems).toEqual([
      {row: 1, column: 'Full name', code: 'UNKNOWN_COLUMN', message: 'The mapping reads name from a column "Full name", which the file does not have: did you mean "Full Name"?'},
      {row: 1, column: 'email', code: 'UNKNOWN_COLUMN', message: 'The mapping reads email from a column "email", which the file does not have: did you mean "E-mail"?'},
      {row: 1, column: 'Kurs', code: 'UNKNOWN_COLUMN', message: expect.stringMatching(/fields\.course .*"Kurs".* Its columns are "Full Name", "E-mail", "Issued", "Shoe size"\./)},
    ]);
    expect(unusedColumns).toEqual(['Full Name', 'E-mail', 'Shoe size']);
  });

  it('guesses a mapping from usual headers', () => {
    expect(guessMapping(['Full name', 'E-mail', 'Valid until', 'Evidence URL', 'Notes'])).toEqual({name: 'Full name', email: 'E-mail', validUntil: 'Valid until', evidenceUrl: 'Evidence URL'});
    expect(guessMapping(['Given', 'Family'])).toBeNull();
  });
});

describe('dryRun', () => {
  it('reports how the file was read, counts rows, and lists every problem by row and column', async () => {
    const csv = 'Name;E-mail;Valid from;Notes\r\nÅsa Öberg;asa@example.se;2026-03-01;\r\n;bo@example.se;2026-03-01;\r\nCy;cy@example;03/01/2026;\r\n'
      + 'Åsa Ö;ASA@example.se;;\r\n"=HYPERLINK(""http://x"")";dy@example.se;;\r\n';
    const report = await dryRun(readRows(chunked(windows1252(csv)), CSV), {mapping: {name: 'Name', email: 'E-mail', validFrom: 'Valid from'}, duplicatePolicy: 'flag'});
    expect(report).toEqual({
      format: 'csv', encoding: 'windows-1252', bom: false, delimiter: ';', columns: ['Name', 'E-mail', 'Valid from', 'Notes'], unusedColumns: ['Notes'],
      rows: {total: 5, valid: 2, invalid: 3, warnings: 1},
      errors: [
        {row: 3, column: 'Name', code: 'NAME_MISSING', message: 'The recipient\'s name (column "Name") is empty.'},
        {row: 4, column: 'E-mail', code: 'EMAIL_INVALID', message: '"cy@example" is not an email address.'},
        {row: 4, column: 'Valid from', code: 'DATE_INVALID', message: expect.stringContaining('YYYY-MM-DD')},
        {row: 6, column: 'Name', code: 'FORMULA_LIKE', message: expect.any(String)},
      ],
      errorsOmitted: 0,
      warnings: [
        {row: 1, column: 'Notes', code: 'UNUSED_COLUMN', message: 'Column "Notes" is not mapped to any field: its values are not used.'},
        {row: 5, column: 'E-mail', code: 'DUPLICATE_RECIPIENT', message: expect.stringContaining('as row 2')},
      ],
      warningsOmitted: 0,
    });
  });

  it('lists the first 1,000 errors and counts the rest', async () => {
    const csv = `Name,Email\n${Array.from({length: 1500}, (_, i) => `Person ${i},bad-${i}`).join('\n')}\n`;
    const report = await dryRun(readRows(chunked(utf8(csv)), {...CSV, maxRows: 2000}), {mapping: {name: 'Name', email: 'Email'}, duplicatePolicy: 'reject'});
    expect(report.rows).toEqual({total: 1500, valid: 0, invalid: 1500, warnings: 0});
    expect(report.errors).toHaveLength(1000);
    expect(report.errors[999]).toMatchObject({row: 1001, code: 'EMAIL_INVALID'});
    expect(report.errorsOmitted).toBe(500);
  });

  it('with a mapping that does not fit the file: the mapping\'s problems, and rows counted as invalid', async () => {
    const report = await dryRun(readRows(chunked(utf8(NAMES)), CSV), {mapping: {name: 'Full name', email: 'Email'}, duplicatePolicy: 'flag'});
    expect(report.rows).toEqual({total: 2, valid: 0, invalid: 2, warnings: 0});
    expect(report.errors.map(e => [e.row, e.column, e.code])).toEqual([[1, 'Full name', 'UNKNOWN_COLUMN']]);
  });

  it('reads an .xlsx the same way', async () => {
    const bytes = await workbook([['Name', 'Email', 'Valid from'], ['Åsa', 'asa@example.se', new Date(Date.UTC(2026, 2, 1))], ['Bo', 'bo@example', 46082]]);
    const report = await dryRun(readRows(chunked(bytes), {...CSV, format: 'xlsx'}), {mapping: {name: 'Name', email: 'Email', validFrom: 'Valid from'}, duplicatePolicy: 'flag'});
    expect(report).toMatchObject({format: 'xlsx', sheet: 'Sheet 1', rows: {total: 2, valid: 1, invalid: 1}});
    expect(report.errors.map(e => [e.row, e.column, e.code])).toEqual([[3, 'Email', 'EMAIL_INVALID'], [3, 'Valid from', 'DATE_INVALID']]);
    expect(report.encoding).toBeUndefined();
  });

  it('parses and validates 100,000 rows in a few seconds with modest memory', async () => {
    const line = (i: number) => `Person ${i} Åberg,person${i}@example.org,2026-03-01,2029-03-01T00:00:00Z,https://example.org/evidence/${i},Course ${i % 7}\n`;
    let bytes = 0;
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    async function* rows(): AsyncGenerator<Uint8Array> {
      yield utf8('Name,Email,Valid from,Valid until,Evidence,Course\n');
      for(let i = 0; i < 100_000; i += 1000) {
        let chunk = '';
        for(let j = i; j < i + 1000; j++) chunk += line(j);
        const b = utf8(chunk);
        bytes += b.length;
        yield b;
        // Sampled here, as reading goes on (a timer would not fire: the whole run is one chain of promises).
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    const started = performance.now();
    const report = await dryRun(readRows(rows(), {format: 'csv', maxRows: 200_000, maxFieldLength: 4096}),
      {mapping: {name: 'Name', email: 'Email', validFrom: 'Valid from', validUntil: 'Valid until', evidenceUrl: 'Evidence', fields: {course: 'Course'}}, duplicatePolicy: 'flag'});
    const ms = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    console.log(`100,000 rows (${(bytes / 1e6).toFixed(1)} MB) parsed and validated in ${Math.round(ms)} ms; heap grew at most ${((peak - before) / 1e6).toFixed(0)} MB`);
    expect(report.rows).toEqual({total: 100_000, valid: 100_000, invalid: 0, warnings: 0});
    expect(peak - before).toBeLessThan(200e6);
  });
});
