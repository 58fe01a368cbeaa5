/**
 * Baked badges (Open Badges 3.0 §5.3): the credential carried inside a PNG or SVG
 * image (and, by unbakeFile, a PDF's attachments: pdf-attachment.ts). Pure functions, no I/O, browser-safe (Uint8Array, TextDecoder and a
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
import {isPdf, unbakePdf} from './pdf-attachment.js';

/** Largest baked image accepted (10 MiB): badge images are small, this bounds memory and CRC work. */
export const MAX_BAKED_BYTES = 10 * 1024 * 1024;

/** The iTXt keyword of an OB 3.0 baked PNG. */
export const PNG_KEYWORD = 'openbadgecredential';

/** The namespace of the OB 3.0 SVG credential element. */
export const OB3_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';

/** Why no credential could be taken out of an image or a PDF (pdf-attachment.ts). */
export type UnbakeProblemCode =
  | 'IMAGE_TOO_LARGE' | 'NOT_PNG' | 'PNG_MALFORMED' | 'PNG_BAD_CRC' | 'PNG_COMPRESSED_CREDENTIAL'
  | 'NOT_SVG' | 'SVG_MALFORMED' | 'SVG_DTD_REFUSED' | 'NOT_BAKED' | 'MULTIPLE_CREDENTIALS' | 'CREDENTIAL_NOT_UTF8'
  | 'PDF_TOO_LARGE' | 'NOT_PDF' | 'PDF_MALFORMED' | 'PDF_ENCRYPTED' | 'PDF_UNSUPPORTED_FILTER' | 'PDF_STREAM_TOO_LARGE'
  | 'PDF_NO_CREDENTIAL';

/** The embedded credential text (and, from a PDF, the name of the attachment it came from), or a coded problem. */
export type Unbaked = {ok: true; text: string; attachment?: string} | {ok: false; problem: {code: UnbakeProblemCode; message: string}};

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
  const element = elements[0];
  // OB 3.0 §5.3.2.1: a VC-JWT is baked into the `verify` attribute, an embedded-proof credential into the content.
  const verify = element.getAttribute('verify')?.trim() ?? '';
  let content = '';
  for(let node = element.firstChild; node; node = node.nextSibling) {
    if(node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) content += node.nodeValue ?? '';
    else if(node.nodeType === ELEMENT_NODE) return fail('SVG_MALFORMED', 'the credential element must hold only text or CDATA, not elements');
    else if(node.nodeType !== COMMENT_NODE) return fail('SVG_MALFORMED', 'the credential element holds unexpected content');
  }
  content = content.trim();
  if(verify !== '' && content !== '') {
    return fail('MULTIPLE_CREDENTIALS', 'the SVG credential element has both a verify attribute and content; exactly one is expected');
  }
  if(verify !== '') return {ok: true, text: verify};
  if(content === '') return fail('NOT_BAKED', 'the SVG credential element is empty');
  return {ok: true, text: content};
}

const firstLine = (message: string) => message.split('\n')[0];

/** A file that can carry a credential inside it. */
export type CredentialContainer = 'png' | 'svg' | 'pdf';

/**
 * Which container the bytes are, by content (magic bytes, never the file name):
 * the PNG signature, the PDF header `%PDF-`, or UTF-8 text that looks like SVG.
 * Null for anything else, such as credential JSON or a vc+jwt.
 */
export function sniffContainer(bytes: Uint8Array): CredentialContainer | null {
  if(isPng(bytes)) return 'png';
  if(isPdf(bytes)) return 'pdf';
  if(bytes.length > MAX_BAKED_BYTES) return null;
  try {
    return looksLikeSvg(new TextDecoder('utf-8', {fatal: true}).decode(bytes)) ? 'svg' : null;
  } catch {
    return null;
  }
}

/** Takes the credential out of a baked PNG or SVG or a PDF's attachments, whichever the bytes are (sniffContainer). */
export async function unbakeFile(bytes: Uint8Array): Promise<Unbaked> {
  switch(sniffContainer(bytes)) {
    case 'png': return unbakePng(bytes);
    case 'pdf': return unbakePdf(bytes);
    case 'svg': return unbakeSvg(new TextDecoder('utf-8').decode(bytes));
    default: return fail('NOT_BAKED', 'this is not a PNG, SVG or PDF file that could carry a credential');
  }
}
