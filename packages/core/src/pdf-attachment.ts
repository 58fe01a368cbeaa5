/**
 * A credential attached to a PDF (a certificate with its signed credential inside):
 * the embedded files of a PDF (ISO 32000-2 §7.11.4), and the one that is a credential.
 * Pure and browser-safe: Uint8Array, TextDecoder and DecompressionStream('deflate')
 * (browsers and Node 20), no Buffer and no node: imports.
 *
 * The PDF is not read through its cross-reference table: every `N G obj` in the
 * file is scanned, the last definition of a number wins (incremental updates), and
 * object streams (§7.5.7) are unpacked when a file specification may hide in one.
 * This reads damaged or hand-made files too; what is found is only ever a
 * candidate, whose signature the verifier then checks.
 *
 * Untrusted input throughout: sizes are capped before anything is decoded,
 * decompression is streamed and stopped at a cap (a 10 KiB zip bomb cannot
 * allocate gigabytes), nesting depth is bounded, and nothing here throws for a bad file.
 */
import type {UnbakeProblemCode, Unbaked} from './unbake.js';

/** Largest PDF accepted (10 MiB, the baked-image cap): the whole file is held in memory and scanned. */
export const MAX_PDF_BYTES = 10 * 1024 * 1024;
/** Largest decoded stream (2 MiB): a credential is a few KiB; decompression stops past this. */
export const MAX_PDF_STREAM_BYTES = 2 * 1024 * 1024;
/** Largest total of decoded bytes for one PDF (8 MiB), so many small bombs cannot add up. */
export const MAX_PDF_DECODED_TOTAL = 8 * 1024 * 1024;
/** Most embedded files looked at in one PDF. */
export const MAX_PDF_ATTACHMENTS = 256;

/** A problem found while taking a credential out of a PDF. */
export interface PdfProblem {
  code: UnbakeProblemCode;
  message: string;
}

/** One embedded file: its name and media type as the PDF states them, and its decoded content or why it has none. */
export type PdfAttachment = {name: string | null; mediaType: string | null} &
  ({ok: true; bytes: Uint8Array} | {ok: false; problem: PdfProblem});

/** Whether bytes start with the PDF header `%PDF-` (ISO 32000-2 §7.5.2). */
export function isPdf(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46 && bytes[4] === 0x2d;
}

// ---- objects and the tokenizer (§7.2, §7.3) ----

/** A name object (`/Type`), its #xx escapes decoded. */
class PdfName {
  constructor(readonly name: string) {}
}
/** A string object (literal or hexadecimal), as bytes. */
class PdfString {
  constructor(readonly bytes: Uint8Array) {}
}
/** An indirect reference `N G R`. */
class PdfRef {
  constructor(readonly num: number, readonly gen: number) {}
  get key(): string {
    return `${this.num} ${this.gen}`;
  }
}
type PdfDict = Map<string, PdfValue>;
type PdfValue = null | boolean | number | PdfName | PdfString | PdfRef | PdfDict | PdfValue[];

class PdfSyntaxError extends Error {}

/** Deeper nesting than this is refused: no legitimate file needs it, and recursion must stay bounded. */
const MAX_DEPTH = 64;

const isWhite = (c: number) => c === 0x00 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
const isDelimiter = (c: number) => c === 0x28 || c === 0x29 || c === 0x3c || c === 0x3e || c === 0x5b || c === 0x5d ||
  c === 0x7b || c === 0x7d || c === 0x2f || c === 0x25;
const isRegular = (c: number | undefined) => c !== undefined && !isWhite(c) && !isDelimiter(c);
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

const latin1 = new TextDecoder('latin1');

/** Reads PDF objects from bytes, starting at `pos`. Throws PdfSyntaxError for anything it cannot read. */
class Parser {
  constructor(private readonly b: Uint8Array, public pos: number) {}

  skipSpace(): void {
    const b = this.b;
    while(this.pos < b.length) {
      const c = b[this.pos];
      if(isWhite(c)) this.pos++;
      else if(c === 0x25) while(this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
      else break;
    }
  }

  /** The keyword at the current position (after space), without consuming it. */
  peekKeyword(): string {
    this.skipSpace();
    let end = this.pos;
    while(isRegular(this.b[end])) end++;
    return latin1.decode(this.b.subarray(this.pos, end));
  }

  parse(depth = 0): PdfValue {
    if(depth > MAX_DEPTH) throw new PdfSyntaxError('nested too deeply');
    this.skipSpace();
    const b = this.b;
    const c = b[this.pos];
    if(c === undefined) throw new PdfSyntaxError('unexpected end of file');
    if(c === 0x2f) return this.name();
    if(c === 0x28) return this.literalString();
    if(c === 0x3c && b[this.pos + 1] === 0x3c) {
      this.pos += 2;
      const dict: PdfDict = new Map();
      for(;;) {
        this.skipSpace();
        if(b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
          this.pos += 2;
          return dict;
        }
        const key = this.parse(depth + 1);
        if(!(key instanceof PdfName)) throw new PdfSyntaxError('a dictionary key is not a name');
        dict.set(key.name, this.parse(depth + 1));
      }
    }
    if(c === 0x3c) return this.hexString();
    if(c === 0x5b) {
      this.pos++;
      const array: PdfValue[] = [];
      for(;;) {
        this.skipSpace();
        if(b[this.pos] === 0x5d) {
          this.pos++;
          return array;
        }
        array.push(this.parse(depth + 1));
      }
    }
    if(isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) return this.numberOrRef();
    const word = this.peekKeyword();
    if(word === 'true' || word === 'false' || word === 'null') {
      this.pos += word.length;
      return word === 'null' ? null : word === 'true';
    }
    throw new PdfSyntaxError(`unexpected ${word ? `keyword ${word}` : `byte 0x${c.toString(16)}`}`);
  }

  private name(): PdfName {
    const b = this.b;
    let p = this.pos + 1;
    const out: number[] = [];
    while(isRegular(b[p])) {
      if(b[p] === 0x23 && isHex(b[p + 1]) && isHex(b[p + 2])) {
        out.push(parseInt(String.fromCharCode(b[p + 1], b[p + 2]), 16));
        p += 3;
      } else {
        out.push(b[p++]);
      }
    }
    this.pos = p;
    return new PdfName(latin1.decode(Uint8Array.from(out)));
  }

  private literalString(): PdfString {
    const b = this.b;
    const out: number[] = [];
    let p = this.pos + 1;
    let depth = 1;
    for(;;) {
      if(p >= b.length) throw new PdfSyntaxError('unterminated string');
      const c = b[p++];
      if(c === 0x5c) {
        const e = b[p++];
        if(e === undefined) throw new PdfSyntaxError('unterminated string');
        const simple: Record<number, number> = {0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09, 0x62: 0x08, 0x66: 0x0c};
        if(e in simple) out.push(simple[e]);
        else if(e >= 0x30 && e <= 0x37) {
          let value = e - 0x30;
          for(let i = 0; i < 2 && b[p] >= 0x30 && b[p] <= 0x37; i++) value = value * 8 + b[p++] - 0x30;
          out.push(value & 0xff);
        } else if(e === 0x0d) {
          if(b[p] === 0x0a) p++; // a backslash before an end of line continues the string (§7.3.4.2)
        } else if(e !== 0x0a) {
          out.push(e);
        }
      } else if(c === 0x28) {
        depth++;
        out.push(c);
      } else if(c === 0x29) {
        if(--depth === 0) break;
        out.push(c);
      } else if(c === 0x0d) {
        // An unescaped end of line is read as a line feed, whatever its form.
        if(b[p] === 0x0a) p++;
        out.push(0x0a);
      } else {
        out.push(c);
      }
    }
    this.pos = p;
    return new PdfString(Uint8Array.from(out));
  }

  private hexString(): PdfString {
    const b = this.b;
    let p = this.pos + 1;
    let digits = '';
    for(;;) {
      const c = b[p++];
      if(c === undefined) throw new PdfSyntaxError('unterminated hex string');
      if(c === 0x3e) break;
      if(isWhite(c)) continue;
      if(!isHex(c)) throw new PdfSyntaxError('bad hex string');
      digits += String.fromCharCode(c);
    }
    if(digits.length % 2) digits += '0';
    this.pos = p;
    const out = new Uint8Array(digits.length / 2);
    for(let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
    return new PdfString(out);
  }

  private numberOrRef(): number | PdfRef {
    const first = this.number();
    if(!Number.isInteger(first) || first < 0) return first;
    const save = this.pos;
    this.skipSpace();
    if(isDigit(this.b[this.pos])) {
      const second = this.number();
      this.skipSpace();
      if(Number.isInteger(second) && this.b[this.pos] === 0x52 && !isRegular(this.b[this.pos + 1])) {
        this.pos++;
        return new PdfRef(first, second);
      }
    }
    this.pos = save;
    return first;
  }

  private number(): number {
    const b = this.b;
    let p = this.pos;
    if(b[p] === 0x2b || b[p] === 0x2d) p++;
    while(isDigit(b[p]) || b[p] === 0x2e) p++;
    const text = latin1.decode(b.subarray(this.pos, p));
    const value = Number(text);
    if(!Number.isFinite(value) || p === this.pos) throw new PdfSyntaxError(`bad number ${text}`);
    this.pos = p;
    return value;
  }
}

const isHex = (c: number | undefined) => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));

// ---- the file: objects, streams, object streams ----

/** Where a stream's raw bytes are, or that they run off the end of the file. */
type StreamData = {start: number; end: number} | {truncated: true};

interface IndirectObject {
  value: PdfValue;
  stream?: StreamData;
}

// `N G obj`, not preceded by a digit and followed by a delimiter, white space or the end.
const OBJECT_HEADER = /(?<![0-9])(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+obj(?![^\0\t\n\f\r ()<>[\]{}/%])/g;
// `N G obj 123 endobj`: a stream's /Length is often such an object, defined after the stream.
const INTEGER_OBJECT = /(?<![0-9])(\d{1,10})[\0\t\n\f\r ]+(\d{1,5})[\0\t\n\f\r ]+obj[\0\t\n\f\r ]*(\d{1,10})[\0\t\n\f\r ]*endobj/g;

/** Every indirect object in the file, the last definition of each number winning, and whether it is encrypted. */
function scanObjects(bytes: Uint8Array, text: string): {objects: Map<string, IndirectObject>; encrypted: boolean} {
  const integers = new Map<string, number>();
  for(const m of text.matchAll(INTEGER_OBJECT)) integers.set(`${Number(m[1])} ${Number(m[2])}`, Number(m[3]));
  const objects = new Map<string, IndirectObject>();
  let encrypted = false;
  OBJECT_HEADER.lastIndex = 0;
  for(let m = OBJECT_HEADER.exec(text); m; m = OBJECT_HEADER.exec(text)) {
    const key = `${Number(m[1])} ${Number(m[2])}`;
    const parser = new Parser(bytes, m.index + m[0].length);
    let value: PdfValue;
    try {
      value = parser.parse();
    } catch {
      continue; // an unreadable object is skipped; scanning goes on after its header
    }
    const object: IndirectObject = {value};
    objects.set(key, object);
    if(value instanceof Map && parser.peekKeyword() === 'stream') {
      let start = parser.pos + 'stream'.length;
      if(bytes[start] === 0x0d) start++;
      if(bytes[start] === 0x0a) start++;
      const length = value.get('Length');
      const declared = typeof length === 'number' ? length : length instanceof PdfRef ? integers.get(length.key) : undefined;
      let end = -1;
      if(declared !== undefined && Number.isInteger(declared) && declared >= 0 && start + declared <= bytes.length) {
        let after = start + declared;
        while(after < bytes.length && isWhite(bytes[after])) after++;
        if(text.startsWith('endstream', after)) end = start + declared;
      }
      if(end < 0) {
        // A wrong or indirect /Length: the data ends at the next `endstream`, less the end of line before it.
        const at = text.indexOf('endstream', start);
        if(at >= 0) end = at - (text.startsWith('\r\n', at - 2) ? 2 : text[at - 1] === '\n' || text[at - 1] === '\r' ? 1 : 0);
      }
      object.stream = end >= start ? {start, end} : {truncated: true};
      if(end < start) break;
      OBJECT_HEADER.lastIndex = end;
      if(isName(value.get('Type'), 'XRef') && value.has('Encrypt')) encrypted = true;
    } else {
      OBJECT_HEADER.lastIndex = Math.max(OBJECT_HEADER.lastIndex, parser.pos);
    }
  }
  // Classic trailers (§7.5.5): /Encrypt there means every string and stream is encrypted.
  for(let at = text.indexOf('trailer'); at >= 0; at = text.indexOf('trailer', at + 7)) {
    try {
      const trailer = new Parser(bytes, at + 7).parse();
      if(trailer instanceof Map && trailer.has('Encrypt')) encrypted = true;
    } catch {
      // not a trailer after all
    }
  }
  return {objects, encrypted};
}

const isName = (value: PdfValue | undefined, name: string) => value instanceof PdfName && value.name === name;

/** The stream filters this reader decodes (§7.4.4), with no predictor. */
function filtersOf(dict: PdfDict): string[] | {unsupported: string} {
  const filter = dict.get('Filter');
  const names = filter === undefined || filter === null ? [] : Array.isArray(filter) ? filter : [filter];
  const parms = dict.get('DecodeParms');
  const parmList = Array.isArray(parms) ? parms : [parms];
  const out: string[] = [];
  for(const [i, name] of names.entries()) {
    if(!(name instanceof PdfName)) return {unsupported: 'a malformed /Filter'};
    if(name.name !== 'FlateDecode' && name.name !== 'Fl') return {unsupported: `the ${name.name} filter`};
    const p = parmList[i];
    const predictor = p instanceof Map ? p.get('Predictor') : undefined;
    if(typeof predictor === 'number' && predictor > 1) return {unsupported: `the FlateDecode predictor ${predictor}`};
    out.push('FlateDecode');
  }
  return out;
}

/** The decoded-byte budget shared by every stream of one PDF. */
interface Budget {
  remaining: number;
}

type Decoded = {ok: true; bytes: Uint8Array} | {ok: false; problem: PdfProblem};

/** Decodes a stream's data through its filters, within the per-stream cap and the PDF's budget. */
async function decodeStream(dict: PdfDict, raw: Uint8Array, budget: Budget, what: string): Promise<Decoded> {
  const filters = filtersOf(dict);
  if(!Array.isArray(filters)) {
    return {ok: false, problem: {code: 'PDF_UNSUPPORTED_FILTER', message: `${what} is encoded with ${filters.unsupported}, which Laurel does not decode`}};
  }
  let data = raw;
  for(let i = 0; i < filters.length; i++) {
    const cap = Math.min(MAX_PDF_STREAM_BYTES, budget.remaining);
    const inflated = await inflateCapped(data, cap);
    if(inflated === 'too-large') {
      return {ok: false, problem: {code: 'PDF_STREAM_TOO_LARGE', message: cap < MAX_PDF_STREAM_BYTES
        ? `${what} would take this PDF's decompressed data past ${MAX_PDF_DECODED_TOTAL} bytes`
        : `${what} decompresses to more than ${MAX_PDF_STREAM_BYTES} bytes`}};
    }
    if(inflated === 'corrupt') return {ok: false, problem: {code: 'PDF_MALFORMED', message: `${what} could not be decompressed: its data is damaged`}};
    data = inflated;
  }
  if(data.length > MAX_PDF_STREAM_BYTES) {
    return {ok: false, problem: {code: 'PDF_STREAM_TOO_LARGE', message: `${what} is larger than ${MAX_PDF_STREAM_BYTES} bytes`}};
  }
  budget.remaining -= filters.length ? data.length : 0;
  return {ok: true, bytes: data};
}

/** Input is fed in small slices, so that one slice of a bomb inflates to at most about 1 MiB (deflate's ratio is ≤ 1032:1). */
const INFLATE_SLICE = 1024;

/**
 * zlib inflation (FlateDecode is RFC 1950 zlib) that stops as soon as the output
 * passes `cap`: the output is read as it is produced and the stream is cancelled,
 * so memory stays bounded whatever the input claims.
 */
async function inflateCapped(data: Uint8Array, cap: number): Promise<Uint8Array | 'too-large' | 'corrupt'> {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const pump = (async () => {
    for(let at = 0; at < data.length; at += INFLATE_SLICE) {
      await writer.ready;
      // Copied: a stream may take ownership of what it is given, and `data` is a view into the caller's file.
      await writer.write(data.slice(at, at + INFLATE_SLICE));
    }
    await writer.close();
  })().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for(;;) {
      const {done, value} = await reader.read();
      if(done) break;
      total += value.length;
      if(total > cap) {
        await reader.cancel().catch(() => undefined);
        await pump;
        return 'too-large';
      }
      chunks.push(value);
    }
  } catch {
    await writer.abort().catch(() => undefined);
    await pump;
    return 'corrupt';
  }
  await pump;
  const out = new Uint8Array(total);
  let offset = 0;
  for(const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The objects packed in an object stream (§7.5.7): `N` pairs of object number and offset, then the objects from `First`. */
function unpackObjectStream(dict: PdfDict, data: Uint8Array): Map<number, PdfValue> {
  const out = new Map<number, PdfValue>();
  const n = dict.get('N');
  const first = dict.get('First');
  if(typeof n !== 'number' || typeof first !== 'number' || n < 0 || first < 0 || first > data.length) return out;
  const header = new Parser(data, 0);
  const entries: [number, number][] = [];
  try {
    for(let i = 0; i < n; i++) {
      const num = header.parse();
      const offset = header.parse();
      if(typeof num !== 'number' || typeof offset !== 'number') break;
      entries.push([num, offset]);
    }
  } catch {
    // a damaged header: keep the entries read so far
  }
  for(const [num, offset] of entries) {
    try {
      out.set(num, new Parser(data, first + offset).parse());
    } catch {
      // skip an unreadable object
    }
  }
  return out;
}

// ---- text strings (§7.9.2.2) ----

// PDFDocEncoding 0x80–0x9F and 0x18–0x1F (Annex D.3); other bytes are their Latin-1 code points.
const PDF_DOC_HIGH = '\u2022\u2020\u2021\u2026\u2014\u2013\u0192\u2044\u2039\u203a\u2212\u2030\u201e\u201c\u201d\u2018\u2019\u201a\u2122' +
  '\ufb01\ufb02\u0141\u0152\u0160\u0178\u017d\u0131\u0142\u0153\u0161\u017e\ufffd';
const PDF_DOC_LOW = '\u02d8\u02c7\u02c6\u02d9\u02dd\u02db\u02da\u02dc';

/** A PDF text string: UTF-16BE or UTF-8 with their byte order marks, else PDFDocEncoding. */
function decodeTextString(bytes: Uint8Array): string {
  if(bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  let out = '';
  for(const b of bytes) {
    out += b >= 0x80 && b <= 0x9f ? PDF_DOC_HIGH[b - 0x80] : b >= 0x18 && b <= 0x1f ? PDF_DOC_LOW[b - 0x18] : String.fromCharCode(b);
  }
  return out;
}

// ---- embedded files ----

/**
 * Lists the embedded files of a PDF (ISO 32000-2 §7.11.4): every stream a file
 * specification's /EF points to, named by the specification's /UF or /F (or its
 * key in the /EmbeddedFiles name tree), and every `/Type /EmbeddedFile` stream
 * no specification names. Content is decoded (no filter, or FlateDecode) within
 * the caps; an attachment that cannot be decoded is listed with its problem.
 * Never throws for a bad file.
 */
export async function listPdfAttachments(bytes: Uint8Array): Promise<{ok: true; attachments: PdfAttachment[]} | {ok: false; problem: PdfProblem}> {
  const fail = (code: UnbakeProblemCode, message: string) => ({ok: false as const, problem: {code, message}});
  if(bytes.length > MAX_PDF_BYTES) return fail('PDF_TOO_LARGE', `the PDF is larger than ${MAX_PDF_BYTES} bytes`);
  if(!isPdf(bytes)) return fail('NOT_PDF', 'the content does not start with the PDF header %PDF-');
  const text = latin1.decode(bytes); // one character per byte: offsets in the text are offsets in the file
  // §7.5.5: a PDF ends with %%EOF; readers tolerate some bytes after it, not a file cut short.
  if(text.lastIndexOf('%%EOF') < Math.max(0, text.length - 1024)) {
    return fail('PDF_MALFORMED', 'the PDF is truncated: it does not end with %%EOF');
  }
  const {objects, encrypted} = scanObjects(bytes, text);
  if(encrypted) return fail('PDF_ENCRYPTED', 'the PDF is encrypted; its attachments cannot be read without decrypting it');
  if(objects.size === 0) return fail('PDF_MALFORMED', 'no PDF object could be read in this file');
  const budget: Budget = {remaining: MAX_PDF_DECODED_TOTAL};

  const packed = new Map<number, PdfValue>();
  const resolve = (value: PdfValue | undefined): PdfValue | undefined => {
    if(!(value instanceof PdfRef)) return value;
    const direct = objects.get(value.key);
    if(direct) return direct.value;
    return value.gen === 0 ? packed.get(value.num) : undefined;
  };

  /** Stream object key → the names file specifications give it. */
  const names = new Map<string, string>();
  /** File specification key → its key in a name tree. */
  const treeNames = new Map<string, string>();
  const specs: {key: string | null; dict: PdfDict}[] = [];
  const seen = new Set<PdfValue>();
  const walk = (value: PdfValue, key: string | null, depth: number) => {
    if(depth > MAX_DEPTH || value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if(Array.isArray(value)) {
      for(const v of value) walk(v, null, depth + 1);
      return;
    }
    if(!(value instanceof Map)) return;
    if(value.get('EF') instanceof Map || resolve(value.get('EF')) instanceof Map) specs.push({key, dict: value});
    // A name tree leaf (§7.9.6): [key1 value1 key2 value2 …]; an /EmbeddedFiles tree maps names to file specifications.
    const pairs = resolve(value.get('Names'));
    if(Array.isArray(pairs)) {
      for(let i = 0; i + 1 < pairs.length; i += 2) {
        const [k, v] = [pairs[i], pairs[i + 1]];
        if(k instanceof PdfString && v instanceof PdfRef && !treeNames.has(v.key)) treeNames.set(v.key, decodeTextString(k.bytes));
      }
    }
    for(const v of value.values()) walk(v, null, depth + 1);
  };
  const collect = () => {
    specs.length = 0;
    seen.clear();
    for(const [key, object] of objects) walk(object.value, key, 0);
    for(const [num, value] of packed) walk(value, `${num} 0`, 0);
  };
  collect();

  const streamKeyOf = (spec: PdfDict): string | null => {
    const ef = resolve(spec.get('EF'));
    if(!(ef instanceof Map)) return null;
    for(const entry of ['UF', 'F', ...ef.keys()]) {
      const ref = ef.get(entry);
      if(ref instanceof PdfRef && objects.get(ref.key)?.stream) return ref.key;
    }
    return null;
  };
  const embeddedTyped = () => [...objects].filter(([, o]) => o.stream && o.value instanceof Map && isName(o.value.get('Type'), 'EmbeddedFile'))
    .map(([k]) => k);
  const unnamed = () => embeddedTyped().some(k => !specs.some(s => streamKeyOf(s.dict) === k));

  // File specifications may be packed in object streams (PDF 1.5+); unpack them only when something is missing.
  const objectStreams = [...objects.values()].filter(o => o.stream && o.value instanceof Map && isName(o.value.get('Type'), 'ObjStm'));
  if(objectStreams.length > 0 && (specs.length === 0 || unnamed())) {
    for(const o of objectStreams) {
      if(!o.stream || 'truncated' in o.stream) continue;
      const dict = o.value as PdfDict;
      const decoded = await decodeStream(dict, bytes.subarray(o.stream.start, o.stream.end), budget, 'an object stream');
      if(!decoded.ok) continue;
      for(const [num, value] of unpackObjectStream(dict, decoded.bytes)) if(!objects.has(`${num} 0`)) packed.set(num, value);
    }
    collect();
  }

  for(const spec of specs) {
    const key = streamKeyOf(spec.dict);
    if(!key || names.has(key)) continue;
    const name = [spec.dict.get('UF'), spec.dict.get('F')].map(resolve).find(v => v instanceof PdfString);
    const fromTree = spec.key ? treeNames.get(spec.key) : undefined;
    names.set(key, name instanceof PdfString ? decodeTextString(name.bytes) : fromTree ?? '');
  }
  const keys = [...new Set([...names.keys(), ...embeddedTyped()])];
  if(keys.length > MAX_PDF_ATTACHMENTS) return fail('PDF_TOO_LARGE', `the PDF holds more than ${MAX_PDF_ATTACHMENTS} embedded files`);

  const attachments: PdfAttachment[] = [];
  for(const key of keys) {
    const object = objects.get(key)!;
    const dict = object.value as PdfDict;
    const name = names.get(key) || null;
    const subtype = dict.get('Subtype');
    const mediaType = subtype instanceof PdfName ? subtype.name : null;
    const what = name ? `the attachment ${JSON.stringify(name)}` : 'an attachment';
    if(!object.stream || 'truncated' in object.stream) {
      attachments.push({name, mediaType, ok: false, problem: {code: 'PDF_MALFORMED', message: `${what} runs past the end of the file`}});
      continue;
    }
    const decoded = await decodeStream(dict, bytes.subarray(object.stream.start, object.stream.end), budget, what);
    attachments.push({name, mediaType, ...decoded});
  }
  return {ok: true, attachments};
}

/** The W3C VC base contexts (VC 2.0 §4.3, VC 1.1). */
const VC_CONTEXTS = new Set(['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/2018/credentials/v1']);
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** How strongly an attachment's text looks like a credential: 1 best, 0 not at all. */
function rank(name: string | null, text: string): 0 | 1 | 2 | 3 {
  if(text.startsWith('{')) {
    let value: unknown;
    try {
      // Lenient here: only to classify. The caller parses strictly, and reports duplicate keys as such.
      value = JSON.parse(text);
    } catch {
      return 0;
    }
    if(typeof value !== 'object' || value === null || Array.isArray(value)) return 0;
    const record = value as Record<string, unknown>;
    const contexts = ([] as unknown[]).concat(record['@context']);
    const vcContext = contexts.some(c => typeof c === 'string' && VC_CONTEXTS.has(c));
    if(vcContext && name?.toLowerCase().endsWith('.json')) return 1;
    const types = ([] as unknown[]).concat(record.type);
    return vcContext || types.includes('VerifiableCredential') ? 2 : 0;
  }
  if(COMPACT_JWS.test(text)) {
    // A JOSE header (RFC 7515 §4) with an alg, so that a version string such as 1.2.3 is not taken for a token.
    try {
      const header = JSON.parse(atob(text.slice(0, text.indexOf('.')).replaceAll('-', '+').replaceAll('_', '/'))) as unknown;
      if(typeof header === 'object' && header !== null && typeof (header as {alg?: unknown}).alg === 'string') return 3;
    } catch {
      return 0;
    }
  }
  return 0;
}

/**
 * Takes the credential out of a PDF's attachments. Preferred, in order: a `*.json`
 * attachment holding a JSON object with a W3C VC context; any attachment holding a
 * JSON object that looks like a credential (a VC context, or type
 * VerifiableCredential); an attachment holding a compact JWS (a vc+jwt). Two
 * different credentials of the best kind found are refused (MULTIPLE_CREDENTIALS),
 * as in a baked image. Never throws for a bad file.
 */
export async function unbakePdf(bytes: Uint8Array): Promise<Unbaked> {
  const listed = await listPdfAttachments(bytes);
  if(!listed.ok) return listed;
  const {attachments} = listed;
  const found: {name: string | null; text: string; rank: number}[] = [];
  const failures: PdfProblem[] = [];
  for(const a of attachments) {
    if(!a.ok) {
      failures.push(a.problem);
      continue;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', {fatal: true}).decode(a.bytes).trim(); // the decoder drops a byte order mark
    } catch {
      continue; // not text: an image, a spreadsheet…
    }
    const r = rank(a.name, text);
    if(r > 0) found.push({name: a.name, text, rank: r});
  }
  if(found.length === 0) {
    if(failures.length > 0) return {ok: false, problem: failures[0]};
    const listing = attachments.map(a => a.name ? JSON.stringify(a.name) : '(unnamed)').join(', ');
    return {ok: false, problem: {code: 'PDF_NO_CREDENTIAL', message: attachments.length === 0
      ? 'this PDF has no attached files, so no credential'
      : `none of this PDF's ${attachments.length} attached file${attachments.length === 1 ? '' : 's'} (${listing}) is a credential`}};
  }
  const best = Math.min(...found.map(f => f.rank));
  const chosen = found.filter(f => f.rank === best);
  const distinct = new Set(chosen.map(f => f.text));
  if(distinct.size > 1) {
    return {ok: false, problem: {code: 'MULTIPLE_CREDENTIALS',
      message: `the PDF holds ${distinct.size} different credentials (${chosen.map(f => f.name ? JSON.stringify(f.name) : '(unnamed)').join(', ')}); exactly one is expected`}};
  }
  return {ok: true, text: chosen[0].text, ...(chosen[0].name ? {attachment: chosen[0].name} : {})};
}
