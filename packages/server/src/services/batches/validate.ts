/**
 * The column mapping of a bulk-issuance upload and the validation of its rows:
 * pure and fast (100,000 rows in well under a second). Each row becomes the
 * recipient part of an issuance command, or a list of problems that each name
 * the row (as the spreadsheet numbers it), the column (its header) and a code.
 *
 * Values are checked to the same rules as POST /api/v1/credentials
 * (http/schemas.ts IssueCredential), so a valid row is a valid request.
 */
import {parseJsonStrict} from '@laurel/core';
import {z} from 'zod';
import type {CsvDelimiter, RowProblemCode, UploadEncoding, UploadFormat, UploadHeader, UploadItem, UploadRow} from './parse.js';

/** Problem codes of mapping and row validation (public API, with parse.ts's row codes). */
export type ValidationCode = RowProblemCode
  | 'MAPPING_INVALID' | 'UNKNOWN_COLUMN' | 'UNUSED_COLUMN'
  | 'NAME_MISSING' | 'EMAIL_INVALID' | 'DID_INVALID' | 'DATE_INVALID' | 'VALIDITY_INVERTED' | 'URL_INVALID'
  | 'FIELD_TOO_LONG' | 'FORMULA_LIKE' | 'FORMULA_CELL' | 'DUPLICATE_RECIPIENT';

/**
 * One problem. `row` is the spreadsheet row (1 = the header row, for mapping
 * problems), null for a mapping that is not even well-formed; `column` is the
 * column's header, or null for the whole row.
 */
export interface ValidationProblem {
  row: number | null;
  column: string | null;
  code: ValidationCode;
  message: string;
}

/** A problem of one row: always with its row number. */
export interface RowValidationProblem extends ValidationProblem {
  row: number;
}

/** Which column (by its header) holds each Laurel field. `fields` are per-recipient template fields: name → header. */
export interface Mapping {
  name: string;
  email?: string;
  did?: string;
  validFrom?: string;
  validUntil?: string;
  evidenceUrl?: string;
  fields?: Record<string, string>;
}

const header = z.string().trim().min(1, 'must name a column').max(256);

/** A template field name: letters, digits and underscores, as a template refers to it (not a name every object has). */
const FIELD_NAME = /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Most per-recipient template fields in one mapping. */
export const MAX_TEMPLATE_FIELDS = 50;

/** The mapping as a client sends it (JSON: Laurel field → column header). */
export const MappingSchema = z.strictObject({
  name: header,
  email: header.optional(),
  did: header.optional(),
  validFrom: header.optional(),
  validUntil: header.optional(),
  evidenceUrl: header.optional(),
  fields: z.record(z.string().regex(FIELD_NAME, 'a template field name is letters, digits and _, up to 64, not starting with a digit'), header)
    .refine(f => Object.keys(f).length <= MAX_TEMPLATE_FIELDS, `at most ${MAX_TEMPLATE_FIELDS} template fields`)
    .optional(),
});

/** The mapping's standard fields, in report order. */
const STANDARD_FIELDS = ['name', 'email', 'did', 'validFrom', 'validUntil', 'evidenceUrl'] as const;
type StandardField = typeof STANDARD_FIELDS[number];

/** Longest value per field: the limits of IssueCredential (http/schemas.ts); template fields get FIELD_MAX. */
export const FIELD_LIMITS: Record<StandardField, number> = {name: 500, email: 320, did: 2048, validFrom: 64, validUntil: 64, evidenceUrl: 2048};
/** Longest value of a template field. */
export const FIELD_MAX = 2000;

/**
 * Parses a mapping: the JSON text of a multipart field (duplicate keys refused,
 * as everywhere in the API) or an already-parsed value (a JSON request body).
 */
export function parseMapping(input: unknown): {ok: true; mapping: Mapping} | {ok: false; problems: ValidationProblem[]} {
  let value = input;
  if(typeof input === 'string') {
    if(input.length > 64 * 1024) return {ok: false, problems: [mappingInvalid('The mapping is longer than 64 KiB.')]};
    const parsed = parseJsonStrict(input);
    if(!parsed.ok) return {ok: false, problems: [mappingInvalid(`The mapping is not valid JSON (${parsed.problem.code}): ${parsed.problem.message}`)]};
    value = parsed.value;
  }
  // zod builds plain objects, on which a "__proto__" key would vanish rather than be refused.
  const fields = (value as {fields?: unknown} | null)?.fields;
  for(const [where, object] of [['mapping', value], ['mapping.fields', fields]] as const) {
    if(typeof object === 'object' && object !== null && Object.hasOwn(object, '__proto__')) {
      return {ok: false, problems: [mappingInvalid(`${where}: "__proto__" is not a field name`)]};
    }
  }
  const result = MappingSchema.safeParse(value);
  if(result.success) return {ok: true, mapping: result.data};
  return {ok: false, problems: result.error.issues.map(i => mappingInvalid(`mapping${i.path.length ? `.${i.path.map(String).join('.')}` : ''}: ${i.message}`))};
}

const mappingInvalid = (message: string): ValidationProblem => ({row: null, column: null, code: 'MAPPING_INVALID', message});

/** The columns a mapping reads, with the field each one feeds ("email", "fields.course"). */
function mappedColumns(mapping: Mapping): {field: string; column: string}[] {
  const out: {field: string; column: string}[] = [];
  for(const f of STANDARD_FIELDS) if(mapping[f] !== undefined) out.push({field: f, column: mapping[f]!});
  for(const [name, column] of Object.entries(mapping.fields ?? {})) out.push({field: `fields.${name}`, column});
  return out;
}

/**
 * Checks a mapping against the file's header: UNKNOWN_COLUMN for every mapped
 * header the file lacks (with the closest header as a suggestion), and the
 * file's columns no field reads (`unusedColumns`: a warning, not an error).
 * Headers match exactly (after trimming); the suggestion ignores case.
 */
export function checkMapping(mapping: Mapping, columns: string[]): {problems: ValidationProblem[]; unusedColumns: string[]} {
  const present = new Set(columns);
  const problems: ValidationProblem[] = [];
  const used = new Set<string>();
  for(const {field, column} of mappedColumns(mapping)) {
    if(present.has(column)) {
      used.add(column);
      continue;
    }
    const suggestion = closestColumn(column, columns);
    problems.push({row: 1, column, code: 'UNKNOWN_COLUMN',
      message: `The mapping reads ${field} from a column "${column}", which the file does not have${suggestion ? `: did you mean "${suggestion}"?` : '.'}`
        + (suggestion ? '' : ` Its columns are ${columns.map(c => `"${c}"`).join(', ')}.`)});
  }
  return {problems, unusedColumns: columns.filter(c => !used.has(c))};
}

/** The header closest to `wanted` (case-insensitive edit distance), if it is close enough to be a likely typo. */
function closestColumn(wanted: string, columns: string[]): string | null {
  const w = wanted.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for(const c of columns) {
    const d = editDistance(w, c.toLowerCase());
    if(d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(w.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  if(a === b) return 0;
  let prev = Array.from({length: b.length + 1}, (_, i) => i);
  for(let i = 1; i <= a.length; i++) {
    const cur = [i];
    for(let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Usual header names per field, compared lower-cased without spaces, dashes or underscores. */
const USUAL_HEADERS: Record<StandardField, string[]> = {
  name: ['name', 'fullname', 'recipientname', 'recipient', 'participant', 'learner', 'student'],
  email: ['email', 'emailaddress', 'mail', 'recipientemail'],
  did: ['did', 'recipientdid'],
  validFrom: ['validfrom', 'issuedon', 'issuancedate', 'startdate', 'from'],
  validUntil: ['validuntil', 'expires', 'expirationdate', 'expirydate', 'enddate', 'until'],
  evidenceUrl: ['evidence', 'evidenceurl', 'evidencelink'],
};

/** A mapping guessed from usual header names ("Name", "E-mail", "Valid until", …), or null without a name column. */
export function guessMapping(columns: string[]): Mapping | null {
  const key = (c: string) => c.toLowerCase().replace(/[\s_-]+/g, '');
  const find = (f: StandardField) => columns.find(c => USUAL_HEADERS[f].includes(key(c)));
  const name = find('name');
  if(name === undefined) return null;
  const mapping: Mapping = {name};
  for(const f of STANDARD_FIELDS.slice(1)) {
    const column = find(f);
    if(column !== undefined) mapping[f] = column;
  }
  return mapping;
}

// ---------------------------------------------------------------------------------------------------------------------
// Rows

/** What to do with a recipient seen earlier in the same file: refuse the row, warn, or say nothing. */
export type DuplicatePolicy = 'flag' | 'allow' | 'reject';

/** A valid row: the recipient part of an issuance command. Dates are ISO 8601 date-times in UTC. */
export interface BatchRecipient {
  recipient: {name: string; email?: string; did?: string};
  validFrom?: string;
  validUntil?: string;
  evidence?: {id: string}[];
  /** Template fields with a value (empty cells are left out). */
  fields: Record<string, string>;
}

/** The outcome for one row. Warnings never make a row invalid. */
export type RowValidation =
  | {ok: true; row: number; value: BatchRecipient; warnings: RowValidationProblem[]}
  | {ok: false; row: number; errors: RowValidationProblem[]; warnings: RowValidationProblem[]};

/** Options of a row validator. */
export interface RowValidatorOptions {
  mapping: Mapping;
  duplicatePolicy: DuplicatePolicy;
}

/**
 * A spreadsheet would read these as formulas (OWASP "CSV Injection"): =, +, @
 * and their full-width forms; a minus that starts a number, a cell reference,
 * a function call or another operator (so "-Smith" is a name and "-2+3" is
 * not); and a leading tab or carriage return, which hides such a start.
 */
const FORMULA_LIKE = /^(?:[=+@\uFF1D\uFF0B\uFF20]|[-\uFF0D](?:[\d.(=+\-@$"]|[A-Za-z_][\w.]*\s*\(|[A-Za-z]{1,3}\$?\d)|[\t\r\n])/;

/** IssueCredential's email check (zod 4's z.email()), for the same verdict here and in the API. */
const EMAIL = z.regexes.email;

/** DID syntax (DID Core §3.1): did:<method>:<method-specific-id>, percent-escapes well-formed, no trailing colon. */
const DID = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*(?::(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*)*$/;
/** did:key: a multibase base58btc key (z…). */
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{32,}$/;
/** did:web: a host (an optional %3A port), then optional path segments. */
const DID_WEB = /^did:web:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?:%3[Aa]\d{1,5})?(?::[A-Za-z0-9._%-]+)*$/;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Creates a validator for the rows of one file. It keeps the recipients of the
 * valid rows seen so far (a 64-bit hash per key, so 200,000 rows cost a few
 * MB), so rows must be given in file order, each once.
 */
export function createRowValidator(options: RowValidatorOptions): (row: UploadRow) => RowValidation {
  const validator = new RowValidator(options);
  return row => validator.validate(row);
}

class RowValidator {
  private readonly mapping: Mapping;
  private readonly policy: DuplicatePolicy;
  private readonly mapped: Set<string>;
  private readonly fieldEntries: [string, string][];
  /** Hashed recipient key → the row that first used it. */
  private readonly seen = new Map<string, number>();
  /** Dates repeat down a column (one course, one date): parsed once. */
  private readonly dates = new Map<string, string | {error: string}>();

  constructor(options: RowValidatorOptions) {
    this.mapping = options.mapping;
    this.policy = options.duplicatePolicy;
    this.mapped = new Set(mappedColumns(options.mapping).map(m => m.column));
    this.fieldEntries = Object.entries(options.mapping.fields ?? {});
  }

  validate(row: UploadRow): RowValidation {
    const {mapping} = this;
    const r = row.rowNumber;
    const errors: RowValidationProblem[] = [];
    const warnings: RowValidationProblem[] = [];
    /** Columns already reported by the parser: not checked again. */
    let reported: Set<string> | null = null;
    for(const p of row.problems) {
      if(p.column === null || this.mapped.has(p.column)) {
        errors.push(p);
        if(p.column !== null) (reported ??= new Set()).add(p.column);
      } else {
        // A cell in a column that is not used: nothing of it reaches a credential.
        warnings.push(p);
      }
    }
    if(row.formulaColumns) {
      for(const column of row.formulaColumns) {
        if(!this.mapped.has(column)) continue;
        const value = row.cells[column];
        warnings.push({row: r, column, code: 'FORMULA_CELL', message: value === ''
          ? `The cell in column "${column}" holds a formula with no saved result: open the file in Excel and save it, or paste the values.`
          : `The cell in column "${column}" holds a formula; its saved result "${truncate(value)}" is used.`});
      }
    }

    const name = readCell(row, mapping.name, FIELD_LIMITS.name, reported, errors);
    if(name === '') errors.push({row: r, column: mapping.name, code: 'NAME_MISSING', message: `The recipient's name (column "${mapping.name}") is empty.`});

    let email = readCell(row, mapping.email, FIELD_LIMITS.email, reported, errors);
    if(email) {
      if(EMAIL.test(email)) {
        const at = email.lastIndexOf('@');
        email = email.slice(0, at + 1) + email.slice(at + 1).toLowerCase();
      } else {
        errors.push({row: r, column: mapping.email!, code: 'EMAIL_INVALID',
          message: `"${truncate(email)}" is not an email address${/[^\x00-\x7f]/.test(email) ? ' Laurel accepts (ASCII only)' : ''}.`});
        email = null;
      }
    }

    let did = readCell(row, mapping.did, FIELD_LIMITS.did, reported, errors);
    if(did) {
      const problem = didProblem(did);
      if(problem) {
        errors.push({row: r, column: mapping.did!, code: 'DID_INVALID', message: `"${truncate(did)}" ${problem}`});
        did = null;
      }
    }

    const validFrom = this.readDate(row, mapping.validFrom, reported, errors);
    const validUntil = this.readDate(row, mapping.validUntil, reported, errors);
    if(validFrom && validUntil && Date.parse(validUntil) <= Date.parse(validFrom)) {
      errors.push({row: r, column: mapping.validUntil!, code: 'VALIDITY_INVERTED',
        message: `The credential would expire (${validUntil}) before it becomes valid (${validFrom}).`});
    }

    const evidenceUrl = readCell(row, mapping.evidenceUrl, FIELD_LIMITS.evidenceUrl, reported, errors);
    if(evidenceUrl && !isHttpUrl(evidenceUrl)) {
      errors.push({row: r, column: mapping.evidenceUrl!, code: 'URL_INVALID', message: `"${truncate(evidenceUrl)}" is not an http(s) URL (e.g. https://example.org/work/42).`});
    }

    const fields: Record<string, string> = {};
    for(const [field, column] of this.fieldEntries) {
      const value = readCell(row, column, FIELD_MAX, reported, errors);
      if(value) fields[field] = value;
    }

    if(errors.length === 0 && this.policy !== 'allow') {
      const duplicate = this.findDuplicate(r, email || null, did || null, name!);
      if(duplicate) (this.policy === 'reject' ? errors : warnings).push(duplicate);
    }
    if(errors.length) return {ok: false, row: r, errors, warnings};
    const value: BatchRecipient = {recipient: {name: name!}, fields};
    if(email) value.recipient.email = email;
    if(did) value.recipient.did = did;
    if(validFrom) value.validFrom = validFrom;
    if(validUntil) value.validUntil = validUntil;
    if(evidenceUrl) value.evidence = [{id: evidenceUrl}];
    return {ok: true, row: r, value, warnings};
  }

  /** A date cell as an ISO date-time in UTC (see parseIsoDate), or null (empty, or reported). */
  private readDate(row: UploadRow, column: string | undefined, reported: Set<string> | null, errors: RowValidationProblem[]): string | null {
    const value = readCell(row, column, FIELD_LIMITS.validFrom, reported, errors);
    if(!value) return null;
    let result = this.dates.get(value);
    if(result === undefined) {
      const parsed = parseIsoDate(value);
      result = typeof parsed === 'number' ? new Date(parsed).toISOString().replace('.000Z', 'Z') : {error: parsed};
      if(this.dates.size >= 4096) this.dates.clear();
      this.dates.set(value, result);
    }
    if(typeof result === 'string') return result;
    errors.push({row: row.rowNumber, column: column!, code: 'DATE_INVALID', message: `"${truncate(value)}" ${result.error}`});
    return null;
  }

  /**
   * Looks the row's recipient up among the earlier valid rows, then records it:
   * the same email, or the same DID, or (with neither) the same name. Only valid
   * rows are recorded, so the first row that can be issued is the one kept.
   */
  private findDuplicate(row: number, email: string | null, did: string | null, name: string): RowValidationProblem | null {
    let problem: RowValidationProblem | null = null;
    const check = (key: string, column: string, what: string) => {
      const hashed = hashKey(key);
      const earlier = this.seen.get(hashed);
      if(earlier === undefined) this.seen.set(hashed, row);
      else problem ??= {row, column, code: 'DUPLICATE_RECIPIENT', message: `The same recipient (${what}) as row ${earlier}: one credential of this achievement per recipient.`};
    };
    if(email) check(`e:${email.toLowerCase()}`, this.mapping.email!, 'email');
    if(did) check(`d:${did}`, this.mapping.did!, 'DID');
    if(!email && !did) check(`n:${name.normalize('NFC').toLowerCase().replace(/\s+/g, ' ')}`, this.mapping.name, 'name');
    return problem;
  }
}

/** A mapped cell's text ('' when unmapped or empty), or null when it cannot be used (reported by the parser, or refused here). */
function readCell(row: UploadRow, column: string | undefined, limit: number, reported: Set<string> | null, errors: RowValidationProblem[]): string | null {
  if(column === undefined) return '';
  if(reported?.has(column)) return null;
  const value = row.cells[column] ?? '';
  if(value === '') return '';
  if(FORMULA_LIKE.test(value)) {
    errors.push({row: row.rowNumber, column, code: 'FORMULA_LIKE', message: `The cell in column "${column}" starts like a spreadsheet formula (${describeStart(value)}), `
      + 'which could run when the file or a report of it is opened in a spreadsheet: it is refused. Remove the leading character, or write the value differently.'});
    return null;
  }
  if(value.length > limit) {
    errors.push({row: row.rowNumber, column, code: 'FIELD_TOO_LONG',
      message: `The cell in column "${column}" is ${value.length.toLocaleString('en')} characters long; the limit is ${limit.toLocaleString('en')}.`});
    return null;
  }
  return value;
}

/**
 * A 64-bit hash of a key (two 32-bit multiply-xorshift lanes over its UTF-16
 * code units) as a 4-character string. Not cryptographic: a file can only
 * collide with itself, and two real recipients collide with odds of about
 * n²/2⁶⁵ (10⁻⁸ for 200,000 rows). SHA-256 cost a quarter of the validation.
 */
function hashKey(key: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for(let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return String.fromCharCode(h1 >>> 16, h1 & 0xffff, h2 >>> 16, h2 & 0xffff);
}

function didProblem(did: string): string | null {
  if(!DID.test(did) || did.endsWith(':')) return 'is not a DID (did:<method>:<identifier>, e.g. did:key:z6Mk… or did:web:example.org).';
  if(did.startsWith('did:key:') && !DID_KEY.test(did)) return 'is not a did:key (did:key:z followed by a base58btc key, e.g. did:key:z6Mk…).';
  if(did.startsWith('did:web:') && !DID_WEB.test(did)) return 'is not a did:web (did:web:<host>[%3A<port>][:<path>…], e.g. did:web:example.org).';
  return null;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const EXPECTED_DATE = 'write it as YYYY-MM-DD (e.g. 2026-03-01) or as a date-time with a time zone (e.g. 2026-03-01T09:00:00Z)';

/** A date's time in milliseconds, or why it is not an acceptable date. */
export function parseIsoDate(value: string): number | string {
  let m = ISO_DATE.exec(value);
  if(m) return calendarTime(+m[1], +m[2], +m[3], 0, 0, 0, 0, 0) ?? `is not a date in the calendar: ${EXPECTED_DATE}.`;
  m = ISO_DATE_TIME.exec(value);
  if(m) {
    const offset = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (+m[10] * 60 + +m[11]);
    if(!m[8] && (+m[10] > 23 || +m[11] > 59)) return `has an impossible time zone offset: ${EXPECTED_DATE}.`;
    const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
    return calendarTime(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] ? +m[6] : 0, ms, offset) ?? `is not a date and time in the calendar: ${EXPECTED_DATE}.`;
  }
  if(/^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/.test(value)) {
    return `is not an ISO 8601 date: day/month orders such as 03/01/2026 mean different days in different countries, so ${EXPECTED_DATE}.`;
  }
  if(/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return `has no time zone: add one (Z for UTC, or an offset such as +01:00), or ${EXPECTED_DATE}.`;
  if(/^\d{4,6}(\.\d+)?$/.test(value)) return `looks like a spreadsheet date serial number: format the column as dates or text, and ${EXPECTED_DATE}.`;
  return `is not an ISO 8601 date: ${EXPECTED_DATE}.`;
}

/** UTC milliseconds of a calendar date-time (minus a zone offset in minutes), or null when a part is out of range. */
function calendarTime(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMinutes: number): number | null {
  if(y < 1900 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate() - (mo === 2 && !isLeap(y) ? 1 : 0);
  if(d > days) return null;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000;
}

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

function describeStart(value: string): string {
  const c = value[0];
  return c === '\t' ? 'a tab' : c === '\r' || c === '\n' ? 'a line break' : `"${value.slice(0, 2)}"`;
}

function truncate(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

// ---------------------------------------------------------------------------------------------------------------------
// The report

/** What a dry run answers: how the file was read, what the mapping left out, and every problem by row and column. */
export interface ValidationReport {
  format: UploadFormat;
  encoding?: UploadEncoding;
  bom?: boolean;
  delimiter?: CsvDelimiter;
  sheet?: string;
  columns: string[];
  unusedColumns: string[];
  rows: {total: number; valid: number; invalid: number; warnings: number};
  /** The first maxProblems errors, in row order (mapping problems first). */
  errors: ValidationProblem[];
  /** Errors beyond the first maxProblems. */
  errorsOmitted: number;
  warnings: ValidationProblem[];
  warningsOmitted: number;
}

/** Problems listed in a report before the rest are only counted. */
export const MAX_REPORTED_PROBLEMS = 1000;

/** Options of a dry run (and of a report built by hand). */
export interface ReportOptions {
  mapping: Mapping;
  duplicatePolicy: DuplicatePolicy;
  maxProblems?: number;
}

/**
 * Builds a report while rows are validated: give it the header, then every row
 * (each is validated here and its outcome returned, for a caller that also
 * keeps the valid ones), then the end. With a mapping that does not fit the
 * header, rows are counted as invalid without being validated: every one would
 * fail the same way.
 */
export class ReportBuilder {
  private report: ValidationReport | null = null;
  private validate: ((row: UploadRow) => RowValidation) | null = null;
  private readonly max: number;

  constructor(private readonly options: ReportOptions) {
    this.max = options.maxProblems ?? MAX_REPORTED_PROBLEMS;
  }

  /** Starts the report from the header; returns the mapping's problems (none: rows will be validated). */
  header(header: UploadHeader): ValidationProblem[] {
    const {problems, unusedColumns} = checkMapping(this.options.mapping, header.columns);
    this.report = {format: header.format, ...pick(header), columns: header.columns, unusedColumns,
      rows: {total: 0, valid: 0, invalid: 0, warnings: 0}, errors: [], errorsOmitted: 0, warnings: [], warningsOmitted: 0};
    for(const p of problems) this.error(p);
    for(const column of unusedColumns) {
      this.warning({row: 1, column, code: 'UNUSED_COLUMN', message: `Column "${column}" is not mapped to any field: its values are not used.`});
    }
    if(problems.length === 0) this.validate = createRowValidator(this.options);
    return problems;
  }

  /** Validates and counts one row; null when the mapping does not fit and rows are only counted. */
  row(row: UploadRow): RowValidation | null {
    const report = this.started();
    report.rows.total++;
    if(!this.validate) {
      report.rows.invalid++;
      return null;
    }
    const result = this.validate(row);
    if(result.ok) report.rows.valid++;
    else {
      report.rows.invalid++;
      for(const e of result.errors) this.error(e);
    }
    if(result.warnings.length) {
      report.rows.warnings++;
      for(const w of result.warnings) this.warning(w);
    }
    return result;
  }

  /** Finishes the report (the encoding may have been settled only at the end). */
  end(end?: {encoding?: UploadEncoding}): ValidationReport {
    const report = this.started();
    if(end?.encoding) report.encoding = end.encoding;
    return report;
  }

  private started(): ValidationReport {
    if(!this.report) throw new Error('ReportBuilder: header() first');
    return this.report;
  }

  private error(p: ValidationProblem): void {
    const report = this.started();
    if(report.errors.length < this.max) report.errors.push(p);
    else report.errorsOmitted++;
  }

  private warning(p: ValidationProblem): void {
    const report = this.started();
    if(report.warnings.length < this.max) report.warnings.push(p);
    else report.warningsOmitted++;
  }
}

function pick(header: UploadHeader): Partial<ValidationReport> {
  const out: Partial<ValidationReport> = {};
  if(header.encoding !== undefined) out.encoding = header.encoding;
  if(header.bom !== undefined) out.bom = header.bom;
  if(header.delimiter !== undefined) out.delimiter = header.delimiter;
  if(header.sheet !== undefined) out.sheet = header.sheet;
  return out;
}

/**
 * Validates a whole upload without issuing anything: `source` is readRows(…).
 * A refused file (UploadError) is thrown, not reported: it has no rows to list.
 */
export async function dryRun(source: AsyncIterable<UploadItem>, options: ReportOptions): Promise<ValidationReport> {
  const builder = new ReportBuilder(options);
  let report: ValidationReport | null = null;
  for await (const item of source) {
    if(item.kind === 'header') builder.header(item);
    else if(item.kind === 'row') builder.row(item);
    else report = builder.end(item);
  }
  return report ?? builder.end();
}
