/**
 * RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, with a shape cache.
 *
 * Turning JSON-LD into RDF (jsonld.toRDF) costs ~3 ms for a credential; the
 * canonicalization itself costs ~0.05 ms. Credentials of one issuer share a handful
 * of shapes (same keys, same types, same contexts; only string values differ), so
 * we expand each *shape* once with jsonld.js and reuse it:
 *
 *  1. Every string leaf that is not a key, a type or a context is replaced by a
 *     sentinel of the same lexical class (an https/http/did/urn IRI keeps its
 *     scheme; anything else becomes `urn:laurel-t:<n>`).
 *  2. jsonld.toRDF (safe mode) runs once on the sentinel document. Each sentinel
 *     must come back exactly as a whole term value, either as an IRI (only allowed
 *     when the real value is an IRI of the same scheme) or as a literal. Anything
 *     else (a prefix expansion, a JSON literal, a vocab-relative IRI, a dropped
 *     value) marks the shape as uncacheable, and such documents always take the
 *     full jsonld.js path.
 *  3. Later documents of the shape are turned into RDF by substituting their
 *     values into the template quads, then canonicalized with rdf-canonize.
 *
 * The equivalence with jsonld.js is checked by property tests (canonize.test.ts).
 */
import {verifyEd25519} from './signer.js';
import jsonld from 'jsonld';
import canonizeLib from 'rdf-canonize';
import type {DocumentLoader} from './contexts/index.js';

interface Term {
  termType: 'NamedNode' | 'BlankNode' | 'Literal' | 'DefaultGraph';
  value: string;
  datatype?: {termType: 'NamedNode'; value: string};
  language?: string;
}
interface Quad {subject: Term; predicate: Term; object: Term; graph: Term}

/** A term in a template: a constant, or a slot filled from a leaf value. */
type TemplateTerm = Term | {slot: number; as: Term};
interface TemplateQuad {subject: TemplateTerm; predicate: TemplateTerm; object: TemplateTerm; graph: TemplateTerm}
interface Template {quads: TemplateQuad[] | null}

// Characters that are never valid in an IRI, so such values never take the IRI fast path.
const IRI_LIKE = /^(https:\/\/|http:\/\/|did:|urn:)[^\s<>"{}|\\^`]*$/;
const SKIP_KEYS = new Set(['@context', 'type', '@type']);

function classify(value: string): string {
  const m = IRI_LIKE.exec(value);
  if(!m) return 't';
  return m[1] === 'https://' ? 'H' : m[1] === 'http://' ? 'h' : m[1] === 'did:' ? 'd' : 'u';
}

function sentinel(cls: string, n: number): string {
  switch(cls) {
    case 'H': return `https://laurel.invalid/s/${n}`;
    case 'h': return `http://laurel.invalid/s/${n}`;
    case 'd': return `did:laurelsentinel:${n}`;
    case 'u': return `urn:laurelsentinel:${n}`;
    default: return `urn:laurel-t:${n}`;
  }
}

/**
 * Walks a document once: returns its shape key, its string leaves, and a copy in
 * which each leaf is a sentinel. Leaves listed in `verbatim` (by index) keep their
 * real value, which then becomes part of the key: they sit where jsonld reads a
 * string as an IRI or vocabulary term (e.g. `proofPurpose: "assertionMethod"`).
 */
function shapeOf(doc: unknown, verbatim?: ReadonlySet<number>): {key: string; leaves: string[]; sentinelDoc: unknown} {
  const leaves: string[] = [];
  const parts: string[] = [];
  const walk = (node: unknown, keep: boolean): unknown => {
    if(typeof node === 'string') {
      if(keep) {
        parts.push(JSON.stringify(node));
        return node;
      }
      const cls = classify(node);
      const n = leaves.push(node) - 1;
      if(verbatim?.has(n)) {
        parts.push('=' + JSON.stringify(node));
        return node;
      }
      parts.push('$' + cls);
      return sentinel(cls, n);
    }
    if(node === null || typeof node !== 'object') {
      parts.push(JSON.stringify(node) ?? 'u');
      return node;
    }
    if(Array.isArray(node)) {
      parts.push('[');
      const out = node.map(v => walk(v, keep));
      parts.push(']');
      return out;
    }
    parts.push('{');
    const out: Record<string, unknown> = {};
    for(const k of Object.keys(node)) {
      parts.push(JSON.stringify(k), ':');
      // Keys starting with @ (other than @id) change how jsonld reads a value: keep verbatim.
      const keepChild = keep || SKIP_KEYS.has(k) || (k.startsWith('@') && k !== '@id');
      out[k] = walk((node as Record<string, unknown>)[k], keepChild);
    }
    parts.push('}');
    return out;
  };
  const sentinelDoc = walk(doc, false);
  return {key: parts.join(''), leaves, sentinelDoc};
}

const SENTINEL = /^(?:https:\/\/laurel\.invalid\/s\/|http:\/\/laurel\.invalid\/s\/|did:laurelsentinel:|urn:laurelsentinel:|urn:laurel-t:)(\d+)$/;
const SENTINEL_ANYWHERE = /laurel\.invalid\/s\/|laurelsentinel:|urn:laurel-t:/;

/**
 * Turns the quads of a sentinel document into a template. When plain-text leaves
 * came back as IRIs (vocabulary terms), returns them as `verbatim` so the caller
 * can re-key the shape with those values fixed.
 */
function compile(quads: Quad[], leaves: string[], verbatim: ReadonlySet<number>): Template | {verbatim: Set<number>} {
  const seen = new Set<number>();
  const needVerbatim = new Set<number>();
  let broken = false;
  const mapTerm = (term: Term): TemplateTerm | null => {
    if(term.termType === 'DefaultGraph') return term;
    if(term.language && SENTINEL_ANYWHERE.test(term.language)) return null;
    if(term.datatype && SENTINEL_ANYWHERE.test(term.datatype.value)) return null;
    const m = SENTINEL.exec(term.value);
    if(!m) return SENTINEL_ANYWHERE.test(term.value) ? null : term;
    const slot = Number(m[1]);
    const real = leaves[slot];
    if(real === undefined || term.termType === 'BlankNode') return null;
    // An IRI position is only substitutable when the real value is an IRI of the same class.
    if(term.termType === 'NamedNode' && classify(real) === 't') {
      needVerbatim.add(slot);
      return term;
    }
    seen.add(slot);
    return {slot, as: term};
  };
  const out: TemplateQuad[] = [];
  for(const q of quads) {
    const s = mapTerm(q.subject), p = mapTerm(q.predicate), o = mapTerm(q.object), g = mapTerm(q.graph);
    if(!s || !p || !o || !g || 'slot' in p) {
      broken = true;
      break;
    }
    out.push({subject: s, predicate: p, object: o, graph: g});
  }
  if(broken) return {quads: null};
  if(needVerbatim.size) return {verbatim: new Set([...verbatim, ...needVerbatim])};
  // Every substituted leaf must have come back, or jsonld treated it in a way we do not model.
  if(seen.size + verbatim.size !== leaves.length) return {quads: null};
  return {quads: out};
}

function fill(template: TemplateQuad[], leaves: string[]): Quad[] {
  const term = (t: TemplateTerm): Term => 'slot' in t ? {...t.as, value: leaves[t.slot]} : t;
  // Leaves whose values coincide (two nodes with one @id, e.g. an achievement creator that
  // is the issuer; a repeated tag) are one node / one value in jsonld's node map, so its
  // RDF holds each quad once. The template has one per occurrence: keep only the first.
  const termKey = (t: Term) => `${t.termType}\u0001${t.value}\u0001${t.datatype?.value ?? ''}\u0001${t.language ?? ''}`;
  const seen = new Set<string>();
  const out: Quad[] = [];
  for(const q of template) {
    const quad = {subject: term(q.subject), predicate: term(q.predicate), object: term(q.object), graph: term(q.graph)};
    const key = `${termKey(quad.subject)}\u0000${termKey(quad.predicate)}\u0000${termKey(quad.object)}\u0000${termKey(quad.graph)}`;
    if(seen.has(key)) continue;
    seen.add(key);
    out.push(quad);
  }
  return out;
}

/** Options for the canonicalizer. */
export interface CanonizeOptions {
  documentLoader: DocumentLoader;
  /** Skip the shape cache (used by tests to compare with plain jsonld.js). */
  noCache?: boolean;
}

/** Error carrying the JSON-LD processing failure in safe mode. */
export class JsonLdError extends Error {
  readonly code = 'JSONLD_ERROR';
  constructor(message: string, readonly cause?: unknown) {
    super(message);
  }
}

async function jsonldToRdf(doc: unknown, documentLoader: DocumentLoader): Promise<Quad[]> {
  try {
    return await (jsonld as any).toRDF(doc, {documentLoader, safe: true, base: null}) as Quad[];
  } catch(error: any) {
    const detail = error?.details?.event?.message ?? error?.message ?? String(error);
    throw new JsonLdError(`JSON-LD processing failed: ${detail}`, error);
  }
}

const EMPTY_MARK = 'urn:laurel-empty:';

/** A copy of `doc` with every empty-string value (not key) replaced by a numbered marker; null when there is none. */
function markEmptyStrings(doc: unknown): unknown | null {
  let n = 0;
  const walk = (node: unknown): unknown => {
    if(node === '') return `${EMPTY_MARK}${n++}`;
    if(Array.isArray(node)) return node.map(walk);
    if(node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for(const [k, v] of Object.entries(node)) out[k] = k === '@context' ? v : walk(v);
    return out;
  };
  const marked = walk(doc);
  return n === 0 ? null : marked;
}

/**
 * Turns a JSON-LD document into RDF quads with jsonld.js in safe mode. Safe mode
 * refuses a relative IRI but lets an empty one through, and toRDF then drops the
 * triple: JSON a reader sees that the RDF (and so an RDFC proof) does not carry.
 * So when a document has empty strings, each must come back as a literal.
 */
async function toRdf(doc: unknown, documentLoader: DocumentLoader): Promise<Quad[]> {
  const marked = markEmptyStrings(doc);
  if(marked !== null) {
    const quads = await jsonldToRdf(marked, documentLoader);
    const asLiteral = new Set(quads.filter(q => q.object.termType === 'Literal' && q.object.value.startsWith(EMPTY_MARK)).map(q => q.object.value));
    const count = (JSON.stringify(marked).split(`"${EMPTY_MARK}`).length - 1);
    if(asLiteral.size !== count) throw new JsonLdError('JSON-LD processing failed: an empty string stands where an IRI is expected.');
  }
  return jsonldToRdf(doc, documentLoader);
}

/** Canonicalizes RDF quads to RDFC-1.0 N-Quads. */
async function canonizeQuads(quads: Quad[]): Promise<string> {
  return (canonizeLib as any).canonize(quads, {algorithm: 'RDFC-1.0', messageDigestAlgorithm: 'SHA-256'});
}

/** Options of a Canonicalizer. */
export interface CanonicalizerOptions {
  /** How many document shapes to remember (default 1024). */
  maxShapes?: number;
  /**
   * SHA-256 over UTF-8 text. Defaults to WebCrypto (browser-safe); a server can
   * pass a synchronous node:crypto hash, several times faster per call.
   */
  sha256?: (text: string) => Uint8Array | Promise<Uint8Array>;
  /**
   * Ed25519 signature check over a raw 32-byte public key. Defaults to WebCrypto
   * (browser-safe, asynchronous); a server or CLI can pass node:crypto's synchronous
   * verify, which keeps the check on the calling thread (see `@laurel/core/node`).
   */
  verifyEd25519?: (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;
  /**
   * ECDSA P-256 / SHA-256 signature check (IEEE P1363 r‖s) over a SEC1 compressed public
   * key, for the ecdsa-*-2019 suites. Defaults to WebCrypto (suites/ecdsa-2019.ts); a
   * server or CLI can pass node:crypto's (see `@laurel/core/node`). Must return false,
   * never throw, for a key off the curve or a malformed signature.
   */
  verifyP256?: (compressedPublicKey: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;
}

const utf8 = new TextEncoder();

/** SHA-256 with WebCrypto: native in Node and browsers. */
async function webCryptoSha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', utf8.encode(text)));
}

/** A cache entry: a template, or "re-key this shape with these leaves verbatim". */
type Entry = Template | {verbatim: Set<number>};

/**
 * A canonicalizer with its own bounded shape cache. One instance per document
 * loader: the cache is only valid for the contexts that loader serves.
 */
export class Canonicalizer {
  private readonly cache = new Map<string, Entry>();
  private readonly maxShapes: number;
  /** SHA-256 of UTF-8 text, used for proof hashing (VC-DI-EDDSA §3.3.4). */
  readonly sha256: (text: string) => Uint8Array | Promise<Uint8Array>;
  /** Ed25519 signature check (raw public key), used by the Ed25519 proof suites. */
  readonly verifyEd25519: (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;
  /** P-256 signature check when one was passed; the ECDSA suites fall back to WebCrypto. */
  readonly verifyP256?: (compressedPublicKey: Uint8Array, data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>;

  constructor(private readonly documentLoader: DocumentLoader, options: CanonicalizerOptions = {}) {
    this.maxShapes = options.maxShapes ?? 1024;
    this.sha256 = options.sha256 ?? webCryptoSha256;
    this.verifyEd25519 = options.verifyEd25519 ?? verifyEd25519;
    this.verifyP256 = options.verifyP256;
  }

  /** RDFC-1.0 canonical N-Quads of a JSON-LD document (JSON-LD safe mode). */
  async canonize(doc: unknown, options: {noCache?: boolean} = {}): Promise<string> {
    if(options.noCache) return canonizeQuads(await toRdf(doc, this.documentLoader));
    let verbatim: ReadonlySet<number> = new Set();
    // At most two levels: the plain shape, then the shape with vocabulary leaves fixed.
    for(let level = 0; level < 2; level++) {
      const {key, leaves, sentinelDoc} = shapeOf(doc, verbatim);
      let entry = this.cache.get(key);
      if(!entry) {
        entry = await this.compileShape(sentinelDoc, leaves, verbatim);
        if(this.cache.size >= this.maxShapes) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(key, entry);
      }
      if('verbatim' in entry) {
        verbatim = entry.verbatim;
        continue;
      }
      if(!entry.quads) break;
      return canonizeQuads(fill(entry.quads, leaves));
    }
    return canonizeQuads(await toRdf(doc, this.documentLoader));
  }

  private async compileShape(sentinelDoc: unknown, leaves: string[], verbatim: ReadonlySet<number>): Promise<Entry> {
    try {
      const compiled = compile(await toRdf(sentinelDoc, this.documentLoader), leaves, verbatim);
      // A second round that still finds vocabulary leaves is not modelled: never cache it.
      if('verbatim' in compiled && verbatim.size > 0) return {quads: null};
      return compiled;
    } catch {
      // The sentinel document failed where the real one may not (or vice versa): never cache.
      return {quads: null};
    }
  }
}
