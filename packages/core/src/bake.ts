/**
 * Baking (Open Badges 3.0 §5.3): putting a credential into a PNG or SVG badge image,
 * the inverse of unbake.ts. Pure and browser-safe (Uint8Array, TextEncoder and the
 * same pure-JS XML parser), so a credential can be baked wherever it is shown.
 *
 * Both functions return a new image and never change their input. Baking again
 * replaces the credential already there: OB 3.0 lets the implementer choose between
 * an error and overwriting, and re-issuing a badge image is the common case.
 */
import {DOMParser} from '@xmldom/xmldom';
import {crc32, isPng, MAX_BAKED_BYTES, OB3_NAMESPACE, PNG_KEYWORD, PNG_SIGNATURE} from './unbake.js';

/** Why an image could not be baked. */
export type BakeErrorCode =
  | 'IMAGE_TOO_LARGE' | 'NOT_PNG' | 'PNG_MALFORMED' | 'PNG_BAD_CRC'
  | 'NOT_SVG' | 'SVG_MALFORMED' | 'SVG_DTD_REFUSED'
  | 'CREDENTIAL_EMPTY' | 'CREDENTIAL_NOT_UNICODE' | 'CREDENTIAL_NOT_XML_TEXT';

/** An image that cannot be baked, or a credential text that cannot be baked into it. */
export class BakeError extends Error {
  constructor(readonly code: BakeErrorCode, message: string) {
    super(message);
    this.name = 'BakeError';
  }
}

/** A compact JWS (RFC 7515 §7.1): baked into an SVG's `verify` attribute rather than its content (OB 3.0 §5.3.2.1). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The text must survive encoding unchanged: no lone surrogates (TextEncoder would
 * silently turn them into U+FFFD, and the signed bytes would change), and not
 * blank (an empty credential reads back as "not baked").
 */
function checkCredentialText(text: string): void {
  if(text.trim() === '') throw new BakeError('CREDENTIAL_EMPTY', 'the credential text is empty');
  // With the u flag a well-formed surrogate pair is one code point, so \p{Cs} matches only lone halves.
  if(/\p{Cs}/u.test(text)) throw new BakeError('CREDENTIAL_NOT_UNICODE', 'the credential text holds a lone UTF-16 surrogate');
}

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

const latin1 = new TextDecoder('latin1');

/**
 * Bakes `credential` (a credential's JSON or a compact JWS) into a PNG (OB 3.0
 * §5.3.1): one uncompressed iTXt chunk, keyword `openbadgecredential`, empty
 * language tag and translated keyword, UTF-8 text, placed right after IHDR.
 * Every existing `openbadgecredential` chunk is dropped (re-baking), and so is
 * anything after IEND. Throws BakeError when the input is not a sound PNG
 * (every chunk's CRC is checked: baking must not bless a corrupt image).
 */
export function bakePng(png: Uint8Array, credential: string): Uint8Array {
  if(png.length > MAX_BAKED_BYTES) throw new BakeError('IMAGE_TOO_LARGE', `the image is larger than ${MAX_BAKED_BYTES} bytes`);
  if(!isPng(png)) throw new BakeError('NOT_PNG', 'not a PNG: the content does not start with the PNG signature');
  checkCredentialText(credential);
  const keyword = new TextEncoder().encode(`${PNG_KEYWORD}\0`);
  const text = new TextEncoder().encode(credential);
  // keyword\0, compression flag 0, compression method 0, empty language tag \0, empty translated keyword \0, text.
  const data = new Uint8Array(keyword.length + 4 + text.length);
  data.set(keyword, 0);
  data.set(text, keyword.length + 4);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  for(let at = 8, first = true; ; first = false) {
    if(at + 12 > png.length) throw new BakeError('PNG_MALFORMED', 'the PNG is truncated: it ends before its IEND chunk');
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if(length > 0x7fffffff || end > png.length) throw new BakeError('PNG_MALFORMED', `the PNG is truncated: a chunk at byte ${at} overruns the file`);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    const type = latin1.decode(typeAndData.subarray(0, 4));
    if(!/^[A-Za-z]{4}$/.test(type)) throw new BakeError('PNG_MALFORMED', `the PNG has an invalid chunk type at byte ${at}`);
    if(crc32(typeAndData) !== view.getUint32(at + 8 + length)) {
      throw new BakeError('PNG_BAD_CRC', `the PNG is corrupt: the CRC of its ${type} chunk at byte ${at} does not match`);
    }
    // PNG §5.6: IHDR comes first; the credential goes straight after it, before any IDAT.
    if(first && type !== 'IHDR') throw new BakeError('PNG_MALFORMED', 'the PNG does not start with an IHDR chunk');
    const isCredential = type === 'iTXt' && startsWith(typeAndData.subarray(4), keyword);
    if(!isCredential) parts.push(png.subarray(at, end));
    if(first) parts.push(pngChunk('iTXt', data));
    at = end;
    if(type === 'IEND') break;
  }
  return concat(parts);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if(bytes.length < prefix.length) return false;
  for(let i = 0; i < prefix.length; i++) if(bytes[i] !== prefix[i]) return false;
  return true;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for(const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Characters XML 1.0 cannot carry at all (§2.2 Char), not even as a character
 * reference. JSON.stringify escapes C0 controls and lone surrogates, so in
 * practice only a raw U+FFFE or U+FFFF in a string can land here.
 */
const NOT_XML_CHAR = /[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

/**
 * The credential as CDATA that reads back exactly (OB 3.0 §5.3.2.1 wraps the JSON
 * in CDATA). A `]]>` would end the section early, so it is split across two
 * sections (`]]]]><![CDATA[>`): a recipient name cannot break out of the element.
 * A carriage return would be turned into a line feed by every XML parser (XML
 * §2.11), and some parsers (@xmldom/xmldom among them) also treat U+0085, U+2028
 * and U+2029 as line ends (XML 1.1 §2.11), so these are written as character
 * references between sections, which no parser normalizes.
 */
function toCdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')
    .replace(/[\r\u0085\u2028\u2029]/g, c => `]]>&#${c.charCodeAt(0)};<![CDATA[`)}]]>`;
}

/**
 * Bakes `credential` into an SVG (OB 3.0 §5.3.2.1): the root `<svg>` gets
 * `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` if it lacks it, and an
 * `<openbadges:credential>` element becomes its first child. JSON goes in the
 * element's content as CDATA; a compact JWS (VC-JWT) goes in its `verify`
 * attribute, with no content, as the spec asks. Existing credential elements in
 * that namespace (any prefix) are removed; every other byte of the SVG is kept.
 *
 * The SVG is parsed first with the same rules as unbakeSvg (no DOCTYPE, well-formed,
 * svg root), and the result is read back before it is returned. Throws BakeError.
 */
export function bakeSvg(svg: string, credential: string): string {
  if(svg.length > MAX_BAKED_BYTES) throw new BakeError('IMAGE_TOO_LARGE', `the image is larger than ${MAX_BAKED_BYTES} bytes`);
  checkCredentialText(credential);
  if(NOT_XML_CHAR.test(credential)) {
    throw new BakeError('CREDENTIAL_NOT_XML_TEXT', 'the credential text holds a character XML cannot carry (a C0 control, U+FFFE or U+FFFF)');
  }
  checkSvg(svg);
  const tags = scanXml(svg);
  const root = tags.find(t => t.depth === 0);
  if(!root) throw new BakeError('NOT_SVG', 'the document has no root element');
  // Keep the prefix `openbadges` (the spec's); declare it on the element itself when the root binds it to
  // something else, such as an Open Badges 2.0 image's http://openbadges.org.
  const bound = root.attributes.get('xmlns:openbadges');
  const declareOnRoot = bound === undefined;
  const localDeclaration = bound !== undefined && bound !== OB3_NAMESPACE ? ` xmlns:openbadges="${OB3_NAMESPACE}"` : '';
  const jws = COMPACT_JWS.test(credential);
  const element = jws
    ? `<openbadges:credential${localDeclaration} verify="${credential}"></openbadges:credential>`
    : `<openbadges:credential${localDeclaration}>${toCdata(credential)}</openbadges:credential>`;
  type Edit = {start: number; end: number; text: string};
  const edits: Edit[] = tags
    .filter(t => t.namespace === OB3_NAMESPACE && t.localName === 'credential')
    .map(t => ({start: t.start, end: t.end, text: ''}));
  const namespace = declareOnRoot ? ` xmlns:openbadges="${OB3_NAMESPACE}"` : '';
  edits.push(root.selfClosing
    ? {start: root.attributesEnd, end: root.startTagEnd, text: `${namespace}>${element}</${root.qName}>`}
    : {start: root.attributesEnd, end: root.attributesEnd, text: namespace},
  );
  if(!root.selfClosing) edits.push({start: root.startTagEnd, end: root.startTagEnd, text: element});
  // Credential elements lie inside the root, after its start tag: applying edits from the end keeps offsets valid.
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = svg;
  for(const edit of edits) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  assertReadsBack(out, credential);
  return out;
}

const DOCUMENT_TYPE_NODE = 10;

/** The parse checks of unbakeSvg: well-formed, no DOCTYPE, an svg root. */
function checkSvg(svg: string): void {
  const errors: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({onError: (level, message) => void (level !== 'warning' && errors.push(message))})
      .parseFromString(svg, 'image/svg+xml') as unknown as Document;
  } catch(error) {
    throw new BakeError('SVG_MALFORMED', `the SVG is not well-formed XML: ${firstLine(errors[0] ?? (error as Error).message)}`);
  }
  for(let node = doc.firstChild; node; node = node.nextSibling) {
    if(node.nodeType === DOCUMENT_TYPE_NODE) throw new BakeError('SVG_DTD_REFUSED', 'the SVG has a DOCTYPE declaration; DTDs are refused');
  }
  if(errors.length > 0) throw new BakeError('SVG_MALFORMED', `the SVG is not well-formed XML: ${firstLine(errors[0])}`);
  if(doc.documentElement?.localName !== 'svg') throw new BakeError('NOT_SVG', 'the XML document is not an SVG image (its root is not an svg element)');
}

const firstLine = (message: string) => message.split('\n')[0];

/** A start tag found by scanXml, with where its element ends. */
interface ScannedElement {
  qName: string;
  localName: string;
  /** The element's namespace, after resolving its prefix against the xmlns attributes in scope. */
  namespace: string | undefined;
  depth: number;
  /** Attribute values, entity references decoded. */
  attributes: Map<string, string>;
  /** Offset of `<`. */
  start: number;
  /** Offset just after the last attribute (where a new attribute is inserted). */
  attributesEnd: number;
  /** Offset just after the start tag's `>`. */
  startTagEnd: number;
  /** Offset just after the end tag (or the self-closing start tag). */
  end: number;
  selfClosing: boolean;
}

const XML_SPACE = /[ \t\r\n]/;

/**
 * A minimal XML tokenizer that reports every element with its source offsets, so
 * baking can edit the text in place rather than re-serialize the document. It
 * only ever runs on text that @xmldom/xmldom has already accepted as well-formed
 * and DOCTYPE-free, so it need not diagnose errors: it fails closed if it is lost.
 */
function scanXml(text: string): ScannedElement[] {
  const elements: ScannedElement[] = [];
  const open: {element: ScannedElement; scope: Map<string, string>}[] = [];
  const lost = () => new BakeError('SVG_MALFORMED', 'the SVG could not be scanned');
  const skipPast = (from: number, marker: string) => {
    const at = text.indexOf(marker, from);
    if(at < 0) throw lost();
    return at + marker.length;
  };
  let at = 0;
  for(;;) {
    const lt = text.indexOf('<', at);
    if(lt < 0) break;
    if(text.startsWith('<!--', lt)) at = skipPast(lt + 4, '-->');
    else if(text.startsWith('<![CDATA[', lt)) at = skipPast(lt + 9, ']]>');
    else if(text.startsWith('<?', lt)) at = skipPast(lt + 2, '?>');
    else if(text.startsWith('</', lt)) {
      const gt = skipPast(lt + 2, '>');
      const closed = open.pop();
      if(!closed || text.slice(lt + 2, gt - 1).trim() !== closed.element.qName) throw lost();
      closed.element.end = gt;
      at = gt;
    } else if(text.startsWith('<!', lt)) {
      throw lost();
    } else {
      let p = lt + 1;
      while(p < text.length && !XML_SPACE.test(text[p]) && text[p] !== '>' && !text.startsWith('/>', p)) p++;
      const qName = text.slice(lt + 1, p);
      const attributes = new Map<string, string>();
      let attributesEnd = p;
      for(;;) {
        while(p < text.length && XML_SPACE.test(text[p])) p++;
        if(text[p] === '>' || text.startsWith('/>', p) || p >= text.length) break;
        const eq = text.indexOf('=', p);
        if(eq < 0) throw lost();
        const name = text.slice(p, eq).trim();
        p = eq + 1;
        while(p < text.length && XML_SPACE.test(text[p])) p++;
        const quote = text[p];
        if(quote !== '"' && quote !== "'") throw lost();
        const close = text.indexOf(quote, p + 1);
        if(close < 0) throw lost();
        attributes.set(name, decodeEntities(text.slice(p + 1, close)));
        p = close + 1;
        attributesEnd = p;
      }
      if(p >= text.length) throw lost();
      const selfClosing = text[p] === '/';
      const startTagEnd = p + (selfClosing ? 2 : 1);
      const parentScope = open.at(-1)?.scope ?? new Map<string, string>();
      let scope = parentScope;
      for(const [name, value] of attributes) {
        if(name === 'xmlns' || name.startsWith('xmlns:')) {
          if(scope === parentScope) scope = new Map(parentScope);
          scope.set(name === 'xmlns' ? '' : name.slice(6), value);
        }
      }
      const colon = qName.indexOf(':');
      const prefix = colon < 0 ? '' : qName.slice(0, colon);
      const element: ScannedElement = {qName, localName: qName.slice(colon + 1), namespace: scope.get(prefix) || undefined,
        depth: open.length, attributes, start: lt, attributesEnd, startTagEnd, end: startTagEnd, selfClosing};
      elements.push(element);
      if(!selfClosing) open.push({element, scope});
      at = startTagEnd;
    }
  }
  if(open.length > 0) throw lost();
  return elements;
}

const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"};

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if(!ref.startsWith('#')) return ENTITIES[ref] ?? whole;
    const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** The baked SVG must give the credential back exactly (modulo the trimming unbakeSvg does); anything else is a bug here. */
function assertReadsBack(svg: string, credential: string): void {
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml') as unknown as Document;
  const elements = Array.from(doc.getElementsByTagNameNS(OB3_NAMESPACE, 'credential'));
  const element = elements[0];
  let text = element?.getAttribute('verify') ?? '';
  if(element && !element.hasAttribute('verify')) {
    for(let node = element.firstChild; node; node = node.nextSibling) text += node.nodeValue ?? '';
  }
  if(elements.length !== 1 || text !== credential) throw new Error('bakeSvg: the baked SVG does not read back the credential');
}
