/**
 * W3C Bitstring Status List v1.0: the bitstring and its encoding, status entries,
 * list credentials, and the revocation / suspension check that verification runs
 * (the `checkStatus` port of verify.ts). Pure and browser-safe: fetching the list,
 * verifying it and the clock are injected; GZIP is the WHATWG CompressionStream.
 */
import {base64urlnopad} from '@scure/base';
import {VC_V2_CONTEXT} from './contexts/index.js';
import {isDateTimeStamp} from './data-integrity.js';
import {type Check, type CheckCode, idOf, issuerIdOf, type VerificationResult} from './verify.js';

/** minimumNumberOfEntries of the Validate Algorithm (§3.2 step 2): 131,072 bits = 16 KiB. */
export const STATUS_LIST_MIN_BITS = 131_072;
/** Default cap on an `encodedList` before anything is decoded: 2 MiB of text. */
export const STATUS_LIST_MAX_ENCODED_LENGTH = 2 * 1024 * 1024;
/** Default cap on a decompressed list: 16 MiB (134 million entries). */
export const STATUS_LIST_MAX_DECODED_BYTES = 16 * 1024 * 1024;
/** How long a list is cached when it states no `ttl`: 5 minutes. */
export const STATUS_LIST_DEFAULT_TTL_MS = 300_000;
/** The longest a list is cached, whatever its `ttl` says: 1 day. */
export const STATUS_LIST_MAX_TTL_MS = 86_400_000;

/** Codes of {@link StatusListError}; the last two are the spec's own (§3.5, VC 2.0 RANGE_ERROR). */
export type StatusListErrorCode = 'STATUS_LIST_DECODE_ERROR' | 'STATUS_LIST_TOO_LARGE' | 'STATUS_LIST_LENGTH_ERROR' | 'RANGE_ERROR';

/** A status list that cannot be decoded or used, or an index outside it. */
export class StatusListError extends Error {
  constructor(readonly code: StatusListErrorCode, message: string) {
    super(message);
    this.name = 'StatusListError';
  }
}

/**
 * A status bitstring (§2.2 encodedList): index 0 is the left-most, most significant
 * bit of byte 0; index length − 1 the right-most bit of the last byte.
 */
export class Bitstring {
  /** The length in bits. */
  readonly length: number;
  /** The bits, eight to a byte (not copied: changes to the bitstring show here). */
  readonly bytes: Uint8Array;

  /**
   * A zeroed bitstring of `length` bits (default 131,072), or one over existing bytes
   * (not copied). Shorter than {@link STATUS_LIST_MIN_BITS}: STATUS_LIST_LENGTH_ERROR.
   */
  constructor(init: number | Uint8Array = STATUS_LIST_MIN_BITS) {
    if(typeof init === 'number' && (!Number.isSafeInteger(init) || init % 8 !== 0)) {
      throw new TypeError('a bitstring length must be a whole number of bytes (a multiple of 8 bits)');
    }
    const length = typeof init === 'number' ? init : init.length * 8;
    if(length < STATUS_LIST_MIN_BITS) {
      throw new StatusListError('STATUS_LIST_LENGTH_ERROR', `a status list must have at least ${STATUS_LIST_MIN_BITS} entries, not ${length}`);
    }
    this.length = length;
    this.bytes = typeof init === 'number' ? new Uint8Array(length / 8) : init;
  }

  /** The bit at `index`; RANGE_ERROR outside 0 … length − 1. */
  get(index: number): boolean {
    this.assertIndex(index);
    return (this.bytes[Math.floor(index / 8)] & (0x80 >> (index % 8))) !== 0;
  }

  /** Sets or clears the bit at `index`; RANGE_ERROR outside 0 … length − 1. */
  set(index: number, value: boolean): void {
    this.assertIndex(index);
    const mask = 0x80 >> (index % 8);
    const at = Math.floor(index / 8);
    this.bytes[at] = value ? this.bytes[at] | mask : this.bytes[at] & ~mask;
  }

  private assertIndex(index: number): void {
    if(!Number.isSafeInteger(index) || index < 0 || index >= this.length) {
      throw new StatusListError('RANGE_ERROR', `index ${index} is outside the status list (0 to ${this.length - 1})`);
    }
  }
}

/** Input is fed to the decompressor in pieces this small (see transform()). */
const DECODE_FEED_BYTES = 1024;

/**
 * Runs bytes through a WHATWG (de)compression stream, reading the output as it
 * comes and giving up as soon as it exceeds `maxOutput`.
 */
async function transform(stream: CompressionStream | DecompressionStream, input: Uint8Array, feedBytes: number,
  maxOutput = Infinity): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // Small pieces: a browser may inflate a whole written chunk before the reader
  // sees any of it, and deflate expands at most ~1032:1, so a 1 KiB piece can
  // overshoot the cap by about 1 MiB, never by the whole bomb.
  const feeding = (async () => {
    for(let i = 0; i < input.length; i += feedBytes) await writer.write(input.subarray(i, i + feedBytes) as Uint8Array<ArrayBuffer>);
    await writer.close();
  })();
  feeding.catch(() => {}); // its error also reaches the reader; awaited below
  const chunks: Uint8Array[] = [];
  let total = 0;
  for(;;) {
    const {done, value} = await reader.read();
    if(done) break;
    total += value.byteLength;
    if(total > maxOutput) {
      reader.cancel().catch(() => {});
      throw new StatusListError('STATUS_LIST_TOO_LARGE', `the status list expands to more than ${maxOutput} bytes`);
    }
    chunks.push(value);
  }
  await feeding;
  const out = new Uint8Array(total);
  let at = 0;
  for(const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * The `encodedList` of a bitstring (§3.3 Bitstring Generation step 3): GZIP, then
 * multibase base64url without padding (prefix `u`).
 */
export async function encodeStatusList(bytes: Uint8Array): Promise<string> {
  const compressed = await transform(new CompressionStream('gzip'), bytes, Math.max(bytes.length, 1));
  return 'u' + base64urlnopad.encode(compressed);
}

/** Caps for {@link decodeStatusList}: the list is untrusted input. */
export interface StatusListDecodeCaps {
  /** Longest `encodedList` accepted, in characters; default 2 MiB. */
  maxEncodedLength?: number;
  /** Largest decompressed list, in bytes; default 16 MiB. Decompression stops as soon as it is passed. */
  maxDecodedBytes?: number;
}

/**
 * The bitstring bytes of an `encodedList` (§3.4 Bitstring Expansion). Throws a
 * {@link StatusListError}: STATUS_LIST_DECODE_ERROR (no `u` prefix, not base64url
 * without padding, not GZIP) or STATUS_LIST_TOO_LARGE. The length is not checked here.
 */
export async function decodeStatusList(encoded: string, caps: StatusListDecodeCaps = {}): Promise<Uint8Array> {
  const maxEncoded = caps.maxEncodedLength ?? STATUS_LIST_MAX_ENCODED_LENGTH;
  const maxDecoded = caps.maxDecodedBytes ?? STATUS_LIST_MAX_DECODED_BYTES;
  if(typeof encoded !== 'string') throw new StatusListError('STATUS_LIST_DECODE_ERROR', 'the encoded list is not text');
  if(encoded.length > maxEncoded) {
    throw new StatusListError('STATUS_LIST_TOO_LARGE', `the encoded list is longer than ${maxEncoded} characters`);
  }
  if(encoded[0] !== 'u') {
    throw new StatusListError('STATUS_LIST_DECODE_ERROR', 'the encoded list does not start with "u" (multibase base64url)');
  }
  let compressed: Uint8Array;
  try {
    compressed = base64urlnopad.decode(encoded.slice(1));
  } catch {
    throw new StatusListError('STATUS_LIST_DECODE_ERROR', 'the encoded list is not base64url without padding');
  }
  try {
    return await transform(new DecompressionStream('gzip'), compressed, DECODE_FEED_BYTES, maxDecoded);
  } catch(error) {
    if(error instanceof StatusListError) throw error;
    throw new StatusListError('STATUS_LIST_DECODE_ERROR', `the encoded list is not valid GZIP data (${(error as Error)?.message ?? String(error)})`);
  }
}

/** A status purpose (§2.1): Laurel checks `revocation` and `suspension`; others pass through. */
export type StatusPurpose = 'revocation' | 'suspension' | 'refresh' | 'message' | (string & {});

/** A `credentialStatus` entry of type BitstringStatusListEntry (§2.1). */
export interface BitstringStatusListEntry {
  id?: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: StatusPurpose;
  /** A non-negative integer in base 10, as a string. */
  statusListIndex: string;
  /** The URL of the BitstringStatusListCredential. */
  statusListCredential: string;
  statusSize?: number;
  [k: string]: unknown;
}

/** Where a credential's status lives: one list and one index in it. */
export interface StatusListEntryInput {
  listCredentialUrl: string;
  index: number;
  purpose: StatusPurpose;
}

/** The BitstringStatusListEntry for one index of one list; its id is `<list URL>#<index>`. */
export function statusListEntry(input: StatusListEntryInput): BitstringStatusListEntry & {id: string} {
  if(!Number.isSafeInteger(input.index) || input.index < 0) throw new TypeError('a status list index must be a non-negative integer');
  if(!isUrl(input.listCredentialUrl)) throw new TypeError('the status list credential must be a URL');
  return {
    id: `${input.listCredentialUrl}#${input.index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: input.purpose,
    statusListIndex: String(input.index),
    statusListCredential: input.listCredentialUrl,
  };
}

/** An unsigned BitstringStatusListCredential (§2.2), VC 2.0. */
export interface BitstringStatusListCredential {
  '@context': string[];
  id: string;
  type: ['VerifiableCredential', 'BitstringStatusListCredential'];
  issuer: string | {id: string; [k: string]: unknown};
  validFrom: string;
  validUntil?: string;
  credentialSubject: {
    id: string;
    type: 'BitstringStatusList';
    statusPurpose: StatusPurpose;
    encodedList: string;
    /** Milliseconds before a verifier should fetch the list again. */
    ttl?: number;
  };
  [k: string]: unknown;
}

/** What {@link buildStatusListCredential} needs; `encodedList` comes from {@link encodeStatusList}. */
export interface StatusListCredentialInput {
  /** The URL the list is published at (entries' `statusListCredential`). */
  id: string;
  issuer: string | {id: string; [k: string]: unknown};
  statusPurpose: StatusPurpose;
  encodedList: string;
  validFrom: string;
  validUntil?: string;
  ttl?: number;
}

/** Builds an unsigned BitstringStatusListCredential, ready for signCredential (§3.1 Generate Algorithm). */
export function buildStatusListCredential(input: StatusListCredentialInput): BitstringStatusListCredential {
  if(!isUrl(input.id)) throw new TypeError('a status list credential id must be a URL');
  if(!isDateTimeStamp(input.validFrom)) throw new TypeError('validFrom must be an XML Schema dateTime');
  if(input.validUntil !== undefined && !isDateTimeStamp(input.validUntil)) throw new TypeError('validUntil must be an XML Schema dateTime');
  if(input.ttl !== undefined && !(Number.isSafeInteger(input.ttl) && input.ttl >= 0)) throw new TypeError('ttl must be a whole number of milliseconds');
  return {
    '@context': [VC_V2_CONTEXT],
    id: input.id,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: input.issuer,
    validFrom: input.validFrom,
    ...(input.validUntil !== undefined ? {validUntil: input.validUntil} : {}),
    credentialSubject: {
      id: `${input.id}#list`,
      type: 'BitstringStatusList',
      statusPurpose: input.statusPurpose,
      encodedList: input.encodedList,
      ...(input.ttl !== undefined ? {ttl: input.ttl} : {}),
    },
  };
}

// ---------------------------------------------------------------------------
// Verification: fetch + verify + decode a list (loadStatusList), then a pure
// decision over the loaded lists (statusOf).

/** A list credential that verified, with its decoded bitstring: what {@link StatusListCache} holds. */
export interface VerifiedStatusList {
  /** The URL it was fetched from. */
  url: string;
  /** The list credential's issuer id. */
  issuer: string;
  /** credentialSubject.statusPurpose, as a list (§2.2: one or more strings). */
  purposes: readonly string[];
  validFrom?: string;
  validUntil?: string;
  /** The decoded bitstring; its length is checked by statusOf, not here. */
  bytes: Uint8Array;
  /** How long it may be cached: credentialSubject.ttl, else 5 minutes, at most 1 day. */
  ttlMs: number;
  /** When it was fetched (the injected clock). */
  fetchedAt: Date;
}

/** A list as loaded for one URL: verified, or why it could not be used (plain words). */
export type StatusListLoad = {ok: true; list: VerifiedStatusList} | {ok: false; reason: string};

/** What loading a list needs from the outside world. */
export interface StatusListPorts {
  /** Returns the parsed list credential at `url`, or throws. */
  fetchStatusList(url: string): Promise<unknown>;
  /**
   * Verifies the list credential: verifyCredential with the caller's ports but
   * without a status check (a list's own status is not followed, so no recursion).
   */
  verifyListCredential(vc: Record<string, unknown>): Promise<VerificationResult>;
  now(): Date;
  /** Caps for the list's encodedList; defaults: 2 MiB of text, 16 MiB decoded. */
  decodeCaps?: StatusListDecodeCaps;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => Array.isArray(v) ? v : v === undefined ? [] : [v];
function messageOf(error: unknown): string {
  if(error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'an unreadable error';
  }
}

function isUrl(value: unknown): value is string {
  if(typeof value !== 'string') return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** A time as a person reads it: no milliseconds when there are none. */
const when = (d: Date): string => d.toISOString().replace(/\.000Z$/, 'Z');

/**
 * Fetches, verifies and decodes the list credential at `url` (§3.2 Validate Algorithm
 * steps 4, 6 and 8). Never throws. What depends on the credential being checked
 * (issuer, purpose, index) and on the time of use (validity) is left to statusOf.
 */
export async function loadStatusList(url: string, ports: StatusListPorts): Promise<StatusListLoad> {
  const no = (reason: string): StatusListLoad => ({ok: false, reason});
  try {
    let doc: unknown;
    try {
      doc = await ports.fetchStatusList(url);
    } catch(error) {
      return no(`the issuer's status list could not be downloaded from ${url} (${messageOf(error)})`);
    }
    const fetchedAt = ports.now();
    if(!isObject(doc) || !asArray(doc.type).includes('BitstringStatusListCredential')) {
      return no(`the document at ${url} is not a status list (a BitstringStatusListCredential)`);
    }
    // The list may name its own URL (§2.2 id); a list that names another one was
    // served in place of the list the credential points to.
    if(doc.id !== undefined && doc.id !== url) {
      return no(typeof doc.id === 'string' ? `the document at ${url} says it is the status list ${doc.id}` : `the document at ${url} has an id that is not a URL`);
    }
    let result: VerificationResult;
    try {
      result = await ports.verifyListCredential(doc);
    } catch(error) {
      return no(`the issuer's status list could not be verified (${messageOf(error)})`);
    }
    if(!result.verified) {
      const signature = result.checks.find(c => (c.check === 'proof' || c.check === 'issuer') && c.status !== 'passed');
      if(signature) return no(`the issuer's status list is not validly signed by its issuer (${signature.message})`);
      const other = result.errors.find(c => c.check !== 'validity');
      if(other) return no(`the issuer's status list does not verify (${other.message})`);
      const validity = result.errors.find(c => c.check === 'validity');
      if(validity?.code === 'EXPIRED') return no(`the issuer's status list has expired (${validity.message})`);
      if(validity?.code === 'NOT_YET_VALID') return no(`the issuer's status list is not valid yet (${validity.message})`);
      return no(`the issuer's status list does not verify (${validity?.message ?? 'no reason given'})`);
    }
    const subject = doc.credentialSubject;
    if(!isObject(subject) || !asArray(subject.type).includes('BitstringStatusList')) {
      return no('the issuer\'s status list does not contain a BitstringStatusList');
    }
    const purposes = asArray(subject.statusPurpose);
    if(purposes.length === 0 || !purposes.every(p => typeof p === 'string')) {
      return no('the issuer\'s status list does not say what it is for (statusPurpose)');
    }
    let bytes: Uint8Array;
    try {
      bytes = await decodeStatusList(subject.encodedList as string, ports.decodeCaps);
    } catch(error) {
      return no(`the issuer's status list is damaged and cannot be read (${messageOf(error)})`);
    }
    const ttl = subject.ttl;
    const ttlMs = typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0 ? Math.min(ttl, STATUS_LIST_MAX_TTL_MS) : STATUS_LIST_DEFAULT_TTL_MS;
    return {ok: true, list: {
      url, issuer: idOf(doc.issuer)!, purposes: purposes as string[], bytes, ttlMs, fetchedAt,
      ...(typeof doc.validFrom === 'string' ? {validFrom: doc.validFrom} : {}),
      ...(typeof doc.validUntil === 'string' ? {validUntil: doc.validUntil} : {}),
    }};
  } catch(error) {
    return no(`the issuer's status list could not be checked (${messageOf(error)})`);
  }
}

/** One revocation or suspension entry of a credential, read and validated (§2.1). */
interface CheckableEntry {
  purpose: 'revocation' | 'suspension';
  url: string;
  /** The index, or null when it is too large for any list Laurel reads. */
  index: number | null;
  indexText: string;
}

/** A credential's status entries, sorted: checkable, malformed, and those Laurel does not check. */
interface StatusEntries {
  checkable: CheckableEntry[];
  /** Why each malformed revocation / suspension entry cannot be used. */
  malformed: string[];
  /** Status methods and purposes present but not checked, as a person would read them. */
  ignored: string[];
}

const CHECKED_PURPOSES = new Set(['revocation', 'suspension']);
/** Credential text quoted in a message, cut to a readable length. */
const short = (text: string): string => text.length > 80 ? `${text.slice(0, 80)}…` : text;
/** Digits beyond this cannot index any list below the decode cap: RANGE_ERROR without parsing. */
const MAX_INDEX_DIGITS = 15;

function readStatusEntries(credential: Record<string, unknown>): StatusEntries {
  const out: StatusEntries = {checkable: [], malformed: [], ignored: []};
  for(const entry of asArray(credential.credentialStatus)) {
    if(!isObject(entry)) {
      out.ignored.push('an entry Laurel cannot read');
      continue;
    }
    if(entry.type !== 'BitstringStatusListEntry') {
      out.ignored.push(typeof entry.type === 'string' ? short(entry.type) : 'an entry of unknown type');
      continue;
    }
    const purpose = entry.statusPurpose;
    if(typeof purpose !== 'string') {
      out.malformed.push('a status entry does not say what it is for (statusPurpose)');
      continue;
    }
    if(!CHECKED_PURPOSES.has(purpose)) {
      out.ignored.push(`a "${short(purpose)}" status`);
      continue;
    }
    const bad = (why: string) => out.malformed.push(`the credential's ${purpose} entry is malformed (${why})`);
    const indexText = entry.statusListIndex;
    if(typeof indexText !== 'string' || !/^[0-9]+$/.test(indexText)) {
      bad('statusListIndex must be a whole number written as text');
      continue;
    }
    if(!isUrl(entry.statusListCredential)) {
      bad('statusListCredential must be a URL');
      continue;
    }
    if(entry.id !== undefined && entry.id === entry.statusListCredential) {
      bad('its id must not be the status list\'s URL');
      continue;
    }
    // statusSize defaults to 1 (§2.1); Laurel, as the spec allows, reads 1-bit entries only.
    if(entry.statusSize !== undefined && entry.statusSize !== 1) {
      bad('statusSize must be 1 for revocation and suspension');
      continue;
    }
    const digits = indexText.replace(/^0+(?=.)/, '');
    out.checkable.push({purpose: purpose as CheckableEntry['purpose'], url: entry.statusListCredential,
      index: digits.length > MAX_INDEX_DIGITS ? null : Number(digits), indexText: digits});
  }
  return out;
}

type EntryOutcome =
  | {kind: 'set' | 'clear'; purpose: CheckableEntry['purpose']; checkedAt: Date}
  | {kind: 'unknown'; reason: string}
  | {kind: 'length'; bits: number}
  | {kind: 'range'; index: string; bits: number};

function outcomeOf(entry: CheckableEntry, load: StatusListLoad | undefined, issuerId: string | undefined, now: Date): EntryOutcome {
  if(!load) return {kind: 'unknown', reason: `the ${entry.purpose} list was not fetched`};
  if(!load.ok) return {kind: 'unknown', reason: load.reason};
  const list = load.list;
  if(!issuerId || list.issuer !== issuerId) {
    return {kind: 'unknown', reason: `the ${entry.purpose} list was published by ${list.issuer}, not by the issuer of this credential`};
  }
  // Checked again at each use: a cached list may have expired since it was fetched.
  const t = now.getTime();
  if(list.validFrom !== undefined && !(Date.parse(list.validFrom) <= t)) {
    return {kind: 'unknown', reason: `the issuer's ${entry.purpose} list is not valid until ${list.validFrom}`};
  }
  if(list.validUntil !== undefined && !(t <= Date.parse(list.validUntil))) {
    return {kind: 'unknown', reason: `the issuer's ${entry.purpose} list expired on ${list.validUntil}`};
  }
  // §3.2 step 5: a list for another purpose is a STATUS_VERIFICATION_ERROR.
  if(!list.purposes.includes(entry.purpose)) {
    return {kind: 'unknown', reason: `the list the credential names for ${entry.purpose} is a list for ${list.purposes.join(', ')}`};
  }
  const bits = list.bytes.length * 8;
  // §3.2 step 9 (statusSize 1): STATUS_LIST_LENGTH_ERROR.
  if(bits < STATUS_LIST_MIN_BITS) return {kind: 'length', bits};
  // §3.2 step 10: RANGE_ERROR.
  if(entry.index === null || entry.index >= bits) return {kind: 'range', index: entry.indexText, bits};
  const set = new Bitstring(list.bytes).get(entry.index);
  return {kind: set ? 'set' : 'clear', purpose: entry.purpose, checkedAt: list.fetchedAt};
}

const UNKNOWN_PREFIX = 'Signature valid; revocation status could not be checked';

/**
 * The status check's result for `credential`, given the lists loaded for its
 * entries' URLs (see loadStatusList). Pure. Revoked wins over suspended, over a
 * length or range error, over unknown; valid needs every entry checked and clear.
 */
export function statusOf(credential: Record<string, unknown>, lists: ReadonlyMap<string, StatusListLoad>, now: Date): Omit<Check, 'check'> {
  const entries = readStatusEntries(credential);
  const issuerId = issuerIdOf(credential);
  const outcomes = entries.checkable.map(e => outcomeOf(e, lists.get(e.url), issuerId, now));
  const ignoredNote = entries.ignored.length
    ? ` The credential also lists status information Laurel does not check (${[...new Set(entries.ignored)].join(', ')}).`
    : '';
  const result = (code: CheckCode, status: Check['status'], message: string) => ({code, status, message: message + ignoredNote});

  if(outcomes.some(o => o.kind === 'set' && o.purpose === 'revocation')) {
    return result('STATUS_REVOKED', 'failed', 'The issuer has revoked this credential: it is no longer valid.');
  }
  if(outcomes.some(o => o.kind === 'set' && o.purpose === 'suspension')) {
    return result('STATUS_SUSPENDED', 'failed', 'The issuer has suspended this credential: it is not to be accepted while the suspension lasts.');
  }
  const length = outcomes.find(o => o.kind === 'length');
  if(length) {
    return result('STATUS_LIST_LENGTH_ERROR', 'failed', `The issuer's status list is too short to protect the privacy of the people in it `
      + `(${length.bits} entries; the standard requires at least ${STATUS_LIST_MIN_BITS}), so Laurel does not use it.`);
  }
  const range = outcomes.find(o => o.kind === 'range');
  if(range) {
    return result('STATUS_RANGE_ERROR', 'failed', `The credential points to entry ${range.index} of the issuer's status list, `
      + `which has only ${range.bits} entries.`);
  }
  const reasons = [...entries.malformed, ...outcomes.flatMap(o => o.kind === 'unknown' ? [o.reason] : [])];
  if(entries.checkable.length === 0 && reasons.length === 0) {
    return result('STATUS_UNKNOWN', 'warning', `${UNKNOWN_PREFIX}: the status method is not supported. Laurel checks Bitstring Status List `
      + 'revocation and suspension only.');
  }
  const clear = outcomes.flatMap(o => o.kind === 'clear' ? [o] : []);
  const purposes = [...new Set(clear.map(o => o.purpose))];
  const notWhat = purposes.length === 2 ? 'Not revoked or suspended' : purposes[0] === 'revocation' ? 'Not revoked' : 'Not suspended';
  if(reasons.length) {
    const shown = purposes.length === 2 ? 'is neither revoked nor suspended' : purposes[0] === 'revocation' ? 'is not revoked' : 'is not suspended';
    const partial = clear.length ? ` ${clear.length > 1 ? 'The lists that could be checked show' : 'The list that could be checked shows'} it ${shown}.` : '';
    return result('STATUS_UNKNOWN', 'warning', `${UNKNOWN_PREFIX}: ${[...new Set(reasons)].join('; ')}.${partial}`);
  }
  const checkedAt = new Date(Math.min(...clear.map(o => o.checkedAt.getTime())));
  return result('STATUS_VALID', 'passed', `${notWhat} (checked ${when(checkedAt)}).`);
}

/** Options of {@link StatusListCache}. */
export interface StatusListCacheOptions {
  /** Most lists kept; default 500. */
  maxEntries?: number;
  /** Most decoded bytes kept over all lists; default 64 MiB. */
  maxBytes?: number;
}

interface CacheEntry {
  load: StatusListLoad & {ok: true};
  expiresAt: number;
}

/**
 * Verified, decoded lists by URL, each until its ttl (capped at 1 day, and never
 * past the list's validUntil), by the clock passed to each lookup. Bounded by
 * count and bytes, least recently used first out. Concurrent lookups of one URL
 * share one load; failures are not kept.
 */
export class StatusListCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly loading = new Map<string, Promise<StatusListLoad>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(options: StatusListCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 500;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** How many lists are held. */
  get size(): number {
    return this.entries.size;
  }

  /** The cached list for `url` if still fresh at `now`, else the result of `load` (kept when it succeeded). */
  lookup(url: string, now: Date, load: () => Promise<StatusListLoad>): Promise<StatusListLoad> {
    const hit = this.entries.get(url);
    if(hit && now.getTime() < hit.expiresAt) {
      this.entries.delete(url);
      this.entries.set(url, hit);
      return Promise.resolve(hit.load);
    }
    if(hit) this.remove(url);
    const pending = this.loading.get(url);
    if(pending) return pending;
    const started = load().then(result => {
      if(result.ok) this.store(url, result);
      return result;
    }).finally(() => this.loading.delete(url));
    this.loading.set(url, started);
    return started;
  }

  /** Forgets one list (e.g. after its issuer changed it). */
  delete(url: string): void {
    this.remove(url);
  }

  /** Forgets every list. */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private store(url: string, load: StatusListLoad & {ok: true}): void {
    const list = load.list;
    const until = list.validUntil !== undefined ? Date.parse(list.validUntil) : Infinity;
    const expiresAt = Math.min(list.fetchedAt.getTime() + list.ttlMs, Number.isNaN(until) ? Infinity : until);
    if(list.bytes.length > this.maxBytes || expiresAt <= list.fetchedAt.getTime()) return;
    this.remove(url);
    this.entries.set(url, {load, expiresAt});
    this.bytes += list.bytes.length;
    while(this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      this.remove(this.entries.keys().next().value as string);
    }
  }

  private remove(url: string): void {
    const entry = this.entries.get(url);
    if(!entry) return;
    this.entries.delete(url);
    this.bytes -= entry.load.list.bytes.length;
  }
}

/** Options of {@link createBitstringStatusCheck}. */
export interface BitstringStatusCheckOptions extends StatusListPorts {
  /**
   * Keeps verified lists between checks (the server: other issuers' lists by ttl, its own
   * by version). Without it every check fetches afresh.
   */
  cache?: Pick<StatusListCache, 'lookup'>;
}

/**
 * The `checkStatus` port of verifyCredential for Bitstring Status List entries
 * (§3.2 Validate Algorithm, for statusPurpose revocation and suspension). Never
 * throws: anything unexpected is STATUS_UNKNOWN.
 */
export function createBitstringStatusCheck(options: BitstringStatusCheckOptions): (credential: Record<string, unknown>) => Promise<Omit<Check, 'check'>> {
  return async credential => {
    try {
      const now = options.now();
      const urls = [...new Set(readStatusEntries(credential).checkable.map(e => e.url))];
      const loaded = await Promise.all(urls.map(async url => {
        const load = () => loadStatusList(url, options);
        return [url, await (options.cache ? options.cache.lookup(url, now, load) : load())] as const;
      }));
      // Judged when the lists are in hand: one published while they were loaded (validFrom just after
      // the check began, e.g. re-signed for this very check) is valid, not "not yet valid".
      return statusOf(credential, new Map(loaded), options.now());
    } catch(error) {
      return {code: 'STATUS_UNKNOWN', status: 'warning', message: `${UNKNOWN_PREFIX} (${messageOf(error)}).`};
    }
  };
}
