/**
 * The audit log's hash chain and signed head, built and checked by pure
 * functions: the server and `laurel audit verify` run this same code.
 *
 *   hash(entry) = SHA-256(prevHash ‖ UTF-8(JCS({organizationId, seq, at, actor, action,
 *                                               subjectType, subjectId, before, after})))
 *
 * JCS is RFC 8785. The first entry's prevHash is 32 zero bytes. After every
 * append the head (organization, last seq, last hash) is signed with the
 * instance's Ed25519 key over `laurel-audit-head/v1\n<organizationId>\n<seq>\n<hex hash>`,
 * so an edited, removed or reordered entry breaks the chain and a removed tail
 * no longer matches the signed head (the RFC 6962 checkpoint idea, with a plain
 * chain instead of a Merkle tree).
 */
import {sha256 as nobleSha256} from '@noble/hashes/sha2.js';
import {verifyEd25519} from './signer.js';
import {jcs} from './suites/common.js';

/** The hashed content of one audit entry. */
export interface AuditEntryContent {
  organizationId: string;
  /** 1, 2, 3, … per organization, with no gaps. */
  seq: number;
  /** ISO 8601 UTC with milliseconds, exactly as `Date#toISOString` writes it. */
  at: string;
  /** Who made the change (the server's `Actor`), as JSON. */
  actor: unknown;
  action: string;
  subjectType: string;
  subjectId: string;
  /** JSON, or null when there was nothing before (a creation). */
  before: unknown;
  /** JSON, or null when there is nothing after. */
  after: unknown;
}

/** One audit entry with its chain links (lower-case hex SHA-256). */
export interface AuditEntry extends AuditEntryContent {
  prevHash: string;
  hash: string;
}

/** The signed head of one organization's chain. */
export interface AuditHead {
  organizationId: string;
  seq: number;
  /** Lower-case hex hash of entry `seq`. */
  hash: string;
  /** Ed25519 signature over auditHeadMessage(), base64url. */
  signature: string;
}

/** What can be wrong with a chain. Codes are public API (the HTTP API and the CLI show them). */
export type AuditProblemCode =
  /** The entry's content does not hash to its stored hash: it was edited. */
  | 'AUDIT_HASH_MISMATCH'
  /** Sequence numbers skip: entries were removed. */
  | 'AUDIT_SEQ_GAP'
  /** Sequence numbers go backwards or repeat: entries were reordered or duplicated. */
  | 'AUDIT_ORDER'
  /** The entry's prevHash is not the previous entry's hash. */
  | 'AUDIT_CHAIN_BROKEN'
  /** The signed head is further along than the last entry: the tail was removed. */
  | 'AUDIT_TRUNCATED'
  /** Entries exist beyond the signed head, or the last entry's hash is not the signed one. */
  | 'AUDIT_HEAD_MISMATCH'
  /** Entries exist but no signed head does. */
  | 'AUDIT_HEAD_MISSING'
  /** The head's signature does not verify with the instance key. */
  | 'AUDIT_HEAD_SIGNATURE_INVALID'
  /** An entry belongs to another organization than the chain's. */
  | 'AUDIT_WRONG_ORGANIZATION'
  /** An entry or the head is not well-formed (bad hex, non-integer seq, …). */
  | 'AUDIT_MALFORMED';

/** One problem, located by the entry's seq (null for the head or an entry without a usable seq). */
export interface AuditProblem {
  seq: number | null;
  code: AuditProblemCode;
  message: string;
}

/** The outcome of verifying a chain. Never thrown: an invalid chain is a result. */
export interface AuditVerification {
  /** True only when there is no problem at all. */
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** Every problem found, in chain order, up to `maxProblems`. */
  problems: AuditProblem[];
  /** Problems found beyond `maxProblems` and not listed. */
  omittedProblems: number;
}

/** SHA-256 as a port: the server passes node:crypto, the default is @noble/hashes (browser-safe). */
export type AuditSha256 = (data: Uint8Array) => Uint8Array;

/** The first entry's prevHash: 32 zero bytes. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** The domain separator of head signatures. */
export const AUDIT_HEAD_DOMAIN = 'laurel-audit-head/v1';

const encoder = new TextEncoder();

/** The bytes an entry's hash is computed over: prevHash ‖ UTF-8(JCS(content)). */
export function auditEntryPreimage(prevHash: Uint8Array, content: AuditEntryContent): Uint8Array {
  const body = encoder.encode(jcs({
    organizationId: content.organizationId, seq: content.seq, at: content.at, actor: content.actor ?? null,
    action: content.action, subjectType: content.subjectType, subjectId: content.subjectId,
    before: content.before ?? null, after: content.after ?? null,
  }));
  const out = new Uint8Array(prevHash.length + body.length);
  out.set(prevHash, 0);
  out.set(body, prevHash.length);
  return out;
}

/** An entry's hash (32 bytes). */
export function hashAuditEntry(prevHash: Uint8Array, content: AuditEntryContent, sha256: AuditSha256 = nobleSha256): Uint8Array {
  return sha256(auditEntryPreimage(prevHash, content));
}

/** The message a head signature covers. */
export function auditHeadMessage(organizationId: string, seq: number, hashHex: string): Uint8Array {
  return encoder.encode(`${AUDIT_HEAD_DOMAIN}\n${organizationId}\n${seq}\n${hashHex}`);
}

/** Lower-case hex of bytes. */
function toHex(bytes: Uint8Array): string {
  let s = '';
  for(const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Bytes of a lower-case hex string, or null when it is not one. */
function fromHex(hex: string): Uint8Array | null {
  if(typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for(let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function fromBase64url(text: string): Uint8Array | null {
  if(typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - text.length % 4) % 4));
    return Uint8Array.from(binary, c => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/** Why an entry from an untrusted source (the CLI reads JSON from a server) cannot be checked, or null. */
function malformed(entry: AuditEntry): string | null {
  if(typeof entry !== 'object' || entry === null) return 'the entry is not an object';
  if(!isSeq(entry.seq)) return `seq ${JSON.stringify(entry.seq)} is not a positive integer`;
  if(typeof entry.at !== 'string' || !ISO_MS.test(entry.at)) return `at ${JSON.stringify(entry.at)} is not an ISO 8601 UTC time with milliseconds`;
  for(const k of ['organizationId', 'action', 'subjectType', 'subjectId'] as const) {
    if(typeof entry[k] !== 'string') return `${k} is not a string`;
  }
  if(fromHex(entry.prevHash) === null) return 'prevHash is not lower-case hex';
  if(fromHex(entry.hash) === null) return 'hash is not lower-case hex';
  return null;
}

/** Options of a chain verification. */
export interface AuditVerifyOptions {
  /** The organization whose chain this is; by default the first entry's (or the head's). */
  organizationId?: string;
  sha256?: AuditSha256;
  /** Problems listed at most (default 1000); the rest are counted in `omittedProblems`. */
  maxProblems?: number;
}

/**
 * Verifies a chain entry by entry, so a log of any length can be streamed
 * through it in seq order: `add` each entry, then `finish` with the head.
 * Every problem is reported, not just the first (STYLE habit 1).
 */
export class AuditChainVerifier {
  private count = 0;
  private lastSeq = 0;
  private lastHash = AUDIT_GENESIS_HASH;
  private organizationId: string | undefined;
  private readonly problems: AuditProblem[] = [];
  private omitted = 0;
  private readonly sha256: AuditSha256;
  private readonly maxProblems: number;

  constructor(options: AuditVerifyOptions = {}) {
    this.organizationId = options.organizationId;
    this.sha256 = options.sha256 ?? nobleSha256;
    this.maxProblems = options.maxProblems ?? 1000;
  }

  private report(seq: number | null, code: AuditProblemCode, message: string): void {
    if(this.problems.length < this.maxProblems) this.problems.push({seq, code, message});
    else this.omitted++;
  }

  /** Checks the next entry, in the order the log holds them. */
  add(entry: AuditEntry): void {
    this.count++;
    const why = malformed(entry);
    if(why) {
      const seq = isSeq(entry?.seq) ? entry.seq : null;
      this.report(seq, 'AUDIT_MALFORMED', `Entry ${seq ?? `#${this.count}`}: ${why}.`);
      if(seq !== null) this.lastSeq = seq;
      if(typeof entry?.hash === 'string') this.lastHash = entry.hash;
      return;
    }
    const {seq} = entry;
    this.organizationId ??= entry.organizationId;
    if(entry.organizationId !== this.organizationId) {
      this.report(seq, 'AUDIT_WRONG_ORGANIZATION', `Entry ${seq} belongs to organization ${entry.organizationId}, not ${this.organizationId}.`);
    }
    const expected = this.lastSeq + 1;
    // A gap or a step back explains a prevHash mismatch at this entry; report the cause only.
    let displaced = true;
    if(seq < expected) {
      this.report(seq, 'AUDIT_ORDER', `Entry ${seq} comes after entry ${this.lastSeq}: entries are out of order or repeated.`);
    } else if(seq > expected) {
      this.report(seq, 'AUDIT_SEQ_GAP', seq === expected + 1
        ? `Entry ${expected} is missing (the log goes from ${this.lastSeq} to ${seq}).`
        : `Entries ${expected}–${seq - 1} are missing (the log goes from ${this.lastSeq} to ${seq}).`);
    } else {
      displaced = false;
    }
    const computed = toHex(hashAuditEntry(fromHex(entry.prevHash)!, entry, this.sha256));
    if(computed !== entry.hash) {
      this.report(seq, 'AUDIT_HASH_MISMATCH', `Entry ${seq} does not match its hash: its content or its hash was changed.`);
    }
    if(!displaced && entry.prevHash !== this.lastHash) {
      this.report(seq, 'AUDIT_CHAIN_BROKEN', seq === 1
        ? 'Entry 1 does not start the chain (its prevHash is not 32 zero bytes).'
        : `Entry ${seq} does not link to entry ${this.lastSeq} (prevHash differs from that entry's hash).`);
    }
    this.lastSeq = seq;
    this.lastHash = entry.hash;
  }

  /**
   * Checks the signed head against the last entry and its signature with the
   * instance public key (raw 32-byte Ed25519; null when it is unknown).
   */
  async finish(head: AuditHead | null, publicKey: Uint8Array | null): Promise<AuditVerification> {
    if(head === null) {
      if(this.count > 0) this.report(null, 'AUDIT_HEAD_MISSING', `The log has ${this.count} entries but no signed head.`);
    } else {
      await this.checkHead(head, publicKey);
    }
    return {ok: this.problems.length === 0 && this.omitted === 0, entries: this.count, problems: [...this.problems], omittedProblems: this.omitted};
  }

  private async checkHead(head: AuditHead, publicKey: Uint8Array | null): Promise<void> {
    const signature = fromBase64url(head.signature);
    if(!isSeq(head.seq) || fromHex(head.hash)?.length !== 32 || typeof head.organizationId !== 'string' || signature === null) {
      this.report(null, 'AUDIT_MALFORMED', 'The head is not well-formed (seq, hash, organizationId or signature).');
      return;
    }
    this.organizationId ??= head.organizationId;
    if(head.organizationId !== this.organizationId) {
      this.report(null, 'AUDIT_WRONG_ORGANIZATION', `The head belongs to organization ${head.organizationId}, not ${this.organizationId}.`);
    }
    if(head.seq > this.lastSeq) {
      this.report(null, 'AUDIT_TRUNCATED', this.lastSeq === 0
        ? `The signed head is at entry ${head.seq} but the log holds no entry: it was emptied.`
        : `The signed head is at entry ${head.seq} but the log ends at entry ${this.lastSeq}: entries ${this.lastSeq + 1}–${head.seq} were removed.`);
    } else if(head.seq < this.lastSeq) {
      this.report(head.seq, 'AUDIT_HEAD_MISMATCH', `The log goes on to entry ${this.lastSeq} but the signed head is at entry ${head.seq}: entries after it were not appended by Laurel.`);
    } else if(head.hash !== this.lastHash) {
      this.report(head.seq, 'AUDIT_HEAD_MISMATCH', `The hash of entry ${head.seq} is not the one the head signed: the chain was rewritten.`);
    }
    const valid = publicKey !== null && signature.length === 64
      && await verifyEd25519(publicKey, auditHeadMessage(head.organizationId, head.seq, head.hash), signature);
    if(!valid) {
      this.report(null, 'AUDIT_HEAD_SIGNATURE_INVALID', publicKey === null
        ? 'The head signature cannot be checked: the instance key that signed it is unknown or not authentic.'
        : 'The head signature does not verify with the instance key.');
    }
  }
}

/**
 * Verifies a whole chain: `entries` in the order the log holds them (by seq),
 * `head` the signed head (null when there is none), `publicKey` the instance's
 * raw Ed25519 public key. Never throws for a broken chain.
 */
export async function verifyChain(entries: Iterable<AuditEntry>, head: AuditHead | null, publicKey: Uint8Array | null,
  options: AuditVerifyOptions = {}): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier(options);
  for(const entry of entries) verifier.add(entry);
  return verifier.finish(head, publicKey);
}

/** Where a chain is read from, page by page (the server's database, or its HTTP API). */
export interface AuditSource {
  /** Entries with seq greater than `afterSeq`, in seq order; an empty page ends the log. */
  page(afterSeq: number): Promise<AuditEntry[]>;
  /** The signed head and the public key of the instance key that signed it. */
  head(): Promise<{head: AuditHead | null; publicKey: Uint8Array | null}>;
}

/**
 * Streams a live log through the verifier. The head is read after the entries:
 * an append commits its entries and the new head together, so a head read later
 * is at least as far along as every entry seen; entries appended meanwhile are
 * read before finishing, so concurrent appends are never taken for tampering.
 */
export async function verifyAuditSource(source: AuditSource, options: AuditVerifyOptions = {}): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier(options);
  let last = 0;
  const drain = async () => {
    for(;;) {
      const page = await source.page(last);
      if(!page.length) return;
      for(const entry of page) verifier.add(entry);
      const seq = page[page.length - 1]?.seq;
      // A malformed or repeated seq must not make the reader loop forever.
      if(!isSeq(seq) || seq <= last) return;
      last = seq;
    }
  };
  await drain();
  let {head, publicKey} = await source.head();
  for(let round = 0; round < 5 && head !== null && isSeq(head.seq) && head.seq > last; round++) {
    const before = last;
    await drain();
    if(last === before) break;
    ({head, publicKey} = await source.head());
  }
  return verifier.finish(head, publicKey);
}
