/**
 * Baked badges (Open Badges 3.0 §5.3): the credential carried inside a PNG or SVG
 * image. Pure functions, no I/O, browser-safe (Uint8Array, TextDecoder and a
 * pure-JS XML parser), so the admin and web front ends can reuse them.
 *
 * - PNG (§5.3.1): an iTXt chunk, keyword `openbadgecredential`, compression flag 0,
 *   whose text is the credential JSON or a compact JWS.
 * - SVG (§5.3.2): an `<openbadges:credential>` element in the namespace
 *   https://purl.imsglobal.org/ob/v3p0 whose content (text or CDATA) is the credential.
 *
 * Both return the embedded string; parsing and verifying it is the caller's job.
 */
import {DOMParser} from '@xmldom/xmldom';

/** Largest baked image accepted (10 MiB): badge images are small, this bounds memory and CRC work. */
export const MAX_BAKED_BYTES = 10 * 1024 * 1024;

/** The iTXt keyword of an OB 3.0 baked PNG. */
export const PNG_KEYWORD = 'openbadgecredential';

/** The namespace of the OB 3.0 SVG credential element. */
export const OB3_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';

/** Why no credential could be taken out of an image. */
export type UnbakeProblemCode =
  | 'IMAGE_TOO_LARGE' | 'NOT_PNG' | 'PNG_MALFORMED' | 'PNG_BAD_CRC' | 'PNG_COMPRESSED_CREDENTIAL'
  | 'NOT_SVG' | 'SVG_MALFORMED' | 'SVG_DTD_REFUSED' | 'NOT_BAKED' | 'MULTIPLE_CREDENTIALS' | 'CREDENTIAL_NOT_UTF8';

/** The embedded credential text, or a coded problem. */
export type Unbaked = {ok: true; text: string} | {ok: false; problem: {code: UnbakeProblemCode; message: string}};

const fail = (code: UnbakeProblemCode, message: string): Unbaked => ({ok: false, problem: {code, message}});

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Whether bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Whether text looks like an SVG document: markup at the start, and an svg element somewhere. */
export function looksLikeSvg(text: string): boolean {
  return text.trimStart().startsWith('<') && /<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]/.test(text);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, as PNG uses it) of bytes. */
export function crc32(bytes: Uint8Array): number {
  if(!crcTable) {
    crcTable = new Uint32Array(256);
    for(let n = 0; n < 256; n++) {
      let c = n;
      for(let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for(const b of bytes) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const latin1 = new TextDecoder('latin1');

/**
 * Takes the credential out of a baked PNG. Every chunk's CRC is checked, reading
 * stops at IEND, and a file with more than one credential chunk is refused (which
 * one would be "the" credential is ambiguous).
 */
export function unbakePng(bytes: Uint8Array): Unbaked {
  if(bytes.length > MAX_BAKED_BYTES) return fail('IMAGE_TOO_LARGE', `the image is larger than ${MAX_BAKED_BYTES} bytes`);
  if(!isPng(bytes)) return fail('NOT_PNG', 'the content does not start with the PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: Uint8Array[] = [];
  let sawOb2 = false;
  for(let offset = 8; ;) {
    if(offset + 12 > bytes.length) return fail('PNG_MALFORMED', 'the PNG is truncated: it ends before its IEND chunk');
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if(length > 0x7fffffff || end > bytes.length) return fail('PNG_MALFORMED', `the PNG is truncated: a chunk at byte ${offset} overruns the file`);
    const typeAndData = bytes.subarray(offset + 4, offset + 8 + length);
    const type = latin1.decode(typeAndData.subarray(0, 4));
    if(!/^[A-Za-z]{4}$/.test(type)) return fail('PNG_MALFORMED', `the PNG has an invalid chunk type at byte ${offset}`);
    if(crc32(typeAndData) !== view.getUint32(offset + 8 + length)) {
      return fail('PNG_BAD_CRC', `the PNG is corrupt: the CRC of its ${type} chunk at byte ${offset} does not match`);
    }
    if(type === 'IEND') break;
    if(type === 'iTXt') {
      const data = typeAndData.subarray(4);
      const nul = data.indexOf(0);
      const keyword = latin1.decode(data.subarray(0, nul < 0 ? data.length : nul));
      if(keyword === PNG_KEYWORD) {
        const itxt = parseItxt(data, nul);
        if(!itxt.ok) return itxt;
        found.push(itxt.text);
      } else if(keyword === 'openbadges') {
        sawOb2 = true;
      }
    } else if(type === 'tEXt' || type === 'zTXt') {
      const nul = typeAndData.indexOf(0, 4);
      if(latin1.decode(typeAndData.subarray(4, nul < 0 ? undefined : nul)) === 'openbadges') sawOb2 = true;
    }
    offset = end;
  }
  if(found.length > 1) return fail('MULTIPLE_CREDENTIALS', `the PNG holds ${found.length} ${PNG_KEYWORD} chunks; exactly one is expected`);
  if(found.length === 0) {
    return fail('NOT_BAKED', `no baked credential in this PNG (no iTXt chunk with keyword ${PNG_KEYWORD})${sawOb2
      ? '; it holds an Open Badges 2.0 assertion (keyword openbadges), which is not an OB 3.0 credential' : ''}`);
  }
  return decodeUtf8(found[0]);
}

/** iTXt data after the keyword: compression flag, method, language tag\0, translated keyword\0, text. */
function parseItxt(data: Uint8Array, keywordEnd: number): {ok: true; text: Uint8Array} | Extract<Unbaked, {ok: false}> {
  const malformed = () => fail('PNG_MALFORMED', `the ${PNG_KEYWORD} iTXt chunk is malformed`) as Extract<Unbaked, {ok: false}>;
  let p = keywordEnd + 1;
  if(p + 2 > data.length) return malformed();
  const compressed = data[p];
  p += 2;
  // The language tag and translated keyword should be empty (§5.3.1); any value is skipped, not refused.
  const languageEnd = data.indexOf(0, p);
  if(languageEnd < 0) return malformed();
  const translatedEnd = data.indexOf(0, languageEnd + 1);
  if(translatedEnd < 0) return malformed();
  if(compressed !== 0) {
    return fail('PNG_COMPRESSED_CREDENTIAL', `the ${PNG_KEYWORD} iTXt chunk is compressed; OB 3.0 requires compression flag 0`) as
      Extract<Unbaked, {ok: false}>;
  }
  return {ok: true, text: data.subarray(translatedEnd + 1)};
}

function decodeUtf8(bytes: Uint8Array): Unbaked {
  try {
    const text = new TextDecoder('utf-8', {fatal: true}).decode(bytes).trim();
    if(text === '') return fail('NOT_BAKED', 'the baked credential is empty');
    return {ok: true, text};
  } catch {
    return fail('CREDENTIAL_NOT_UTF8', 'the baked credential is not UTF-8 text');
  }
}

const ELEMENT_NODE = 1, TEXT_NODE = 3, CDATA_SECTION_NODE = 4, COMMENT_NODE = 8, DOCUMENT_TYPE_NODE = 10;

/**
 * Takes the credential out of a baked SVG. The XML parser never resolves external
 * entities or DTDs, and any DOCTYPE is refused outright (entity expansion attacks).
 * The element must be in the OB 3.0 namespace, whatever its prefix; its text and
 * CDATA sections are concatenated, so a `]]>` inside the JSON may be split across
 * CDATA sections.
 */
export function unbakeSvg(text: string): Unbaked {
  // The same cap, counted in UTF-16 code units rather than bytes.
  if(text.length > MAX_BAKED_BYTES) return fail('IMAGE_TOO_LARGE', `the image is larger than ${MAX_BAKED_BYTES} bytes`);
  const errors: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({onError: (level, message) => void (level !== 'warning' && errors.push(message))})
      .parseFromString(text, 'image/svg+xml') as unknown as Document;
  } catch(error) {
    return fail('SVG_MALFORMED', `the SVG is not well-formed XML: ${firstLine(errors[0] ?? (error as Error).message)}`);
  }
  // Checked before parse errors: xmldom reports the undefined entities of a refused DTD as errors.
  for(let node = doc.firstChild; node; node = node.nextSibling) {
    if(node.nodeType === DOCUMENT_TYPE_NODE) {
      return fail('SVG_DTD_REFUSED', 'the SVG has a DOCTYPE declaration; DTDs and entity declarations are refused');
    }
  }
  if(errors.length > 0) return fail('SVG_MALFORMED', `the SVG is not well-formed XML: ${firstLine(errors[0])}`);
  const root = doc.documentElement;
  if(!root || root.localName !== 'svg') return fail('NOT_SVG', 'the XML document is not an SVG image (its root is not an svg element)');
  const elements = Array.from(doc.getElementsByTagNameNS(OB3_NAMESPACE, 'credential'));
  if(elements.length > 1) return fail('MULTIPLE_CREDENTIALS', `the SVG holds ${elements.length} credential elements; exactly one is expected`);
  if(elements.length === 0) {
    const ob2 = doc.getElementsByTagNameNS('http://openbadges.org', 'assertion').length > 0;
    return fail('NOT_BAKED', `no baked credential in this SVG (no credential element in namespace ${OB3_NAMESPACE})${ob2
      ? '; it holds an Open Badges 2.0 assertion, which is not an OB 3.0 credential' : ''}`);
  }
  let content = '';
  for(let node = elements[0].firstChild; node; node = node.nextSibling) {
    if(node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) content += node.nodeValue ?? '';
    else if(node.nodeType === ELEMENT_NODE) return fail('SVG_MALFORMED', 'the credential element must hold only text or CDATA, not elements');
    else if(node.nodeType !== COMMENT_NODE) return fail('SVG_MALFORMED', 'the credential element holds unexpected content');
  }
  content = content.trim();
  if(content === '') return fail('NOT_BAKED', 'the SVG credential element is empty');
  return {ok: true, text: content};
}

const firstLine = (message: string) => message.split('\n')[0];

/** One PNG chunk (PNG §5.3): length, type, data, and the CRC over type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for(let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Bakes `text` (a credential's JSON or a compact JWS) into a PNG (OB 3.0 §5.3.1):
 * an uncompressed iTXt chunk with keyword `openbadgecredential`, inserted before
 * IEND. An existing credential chunk is replaced. Throws for input that is not a PNG.
 */
export function bakePng(png: Uint8Array, text: string): Uint8Array {
  if(!isPng(png)) throw new TypeError('not a PNG');
  const utf8 = new TextEncoder();
  const header = utf8.encode(`${PNG_KEYWORD}\0`);
  const body = utf8.encode(text);
  const data = new Uint8Array(header.length + 4 + body.length);
  data.set(header, 0);
  // compression flag 0, method 0, empty language tag \0, empty translated keyword \0
  data.set(body, header.length + 4);
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for(let at = 8; at + 12 <= png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const whole = png.subarray(at, at + 12 + length);
    at += 12 + length;
    const isCredential = type === 'iTXt' && startsWith(whole.subarray(8), header);
    if(type === 'IEND') {
      parts.push(pngChunk('iTXt', data), whole);
      break;
    }
    if(!isCredential) parts.push(whole);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for(const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if(bytes.length < prefix.length) return false;
  for(let i = 0; i < prefix.length; i++) if(bytes[i] !== prefix[i]) return false;
  return true;
}
