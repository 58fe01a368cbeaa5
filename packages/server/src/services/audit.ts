/**
 * The audit log (issue 4): every state change appends an entry (who, what, when,
 * before and after) to its organization's hash chain, inside the transaction of
 * the change itself, and the chain's head is re-signed with the instance key.
 * The chain format and its verification live in core (audit-chain.ts), shared
 * with `laurel audit verify`.
 */
import {createHash, createPublicKey, type KeyObject, randomUUID, sign} from 'node:crypto';
import {type AuditEntry, type AuditHead, auditHeadMessage, type AuditVerification, encodeEd25519PublicKey, hashAuditEntry,
  verifyAuditSource} from '@laurel/core';
import {generateEd25519, privateKeyFromSeed} from '../crypto/ed25519.js';
import {type AlsoStatement, appendAuditEntries, auditEntriesAfter, countAuditEntries, findAuditHead, findFirstInstanceKey, findInstanceKey, insertAuditEntries,
  insertAuditHeads, insertInstanceKey, listAuditEntries, lockAuditHeads, type NewAuditEntry, updateAuditHead} from '../db/audit-repo.js';
import type {Queryable} from '../db/database.js';
import type {AuditEntryRow, AuditHeadRow, InstanceKeyRow, OrganizationRow} from '../db/rows.js';
import {DomainError} from '../errors.js';
import type {Actor} from './actor.js';
import type {ServiceContext} from './context.js';
import {csvRow} from './csv.js';

/** One change to record. `before`/`after` are JSON (omitted: null), e.g. the changed fields' old and new values. */
export interface AuditInput {
  organizationId: string;
  actor: Actor;
  /** `<subject type>.<past participle>`, e.g. `achievement.archived`, `credential.revoked`. */
  action: string;
  subjectType: string;
  subjectId: string;
  before?: unknown;
  after?: unknown;
}

/** GET /api/v1/audit query (validated at the edge). */
export interface AuditListQuery {
  action?: string;
  subjectType?: string;
  subjectId?: string;
  since?: string;
  until?: string;
  /** Only entries with a greater seq. */
  afterSeq?: number;
  cursor?: string;
  limit: number;
  /** desc (default): newest first; asc: in chain order, as a verifier reads it. */
  order?: 'asc' | 'desc';
}

/** The signed head as the API shows it, with the key to check it. */
export interface AuditHeadView {
  organizationId: string;
  /** 0 when the log is empty. */
  seq: number;
  hash: string;
  /** Ed25519 over `laurel-audit-head/v1\n<organizationId>\n<seq>\n<hash>`, base64url; null when the log is empty. */
  signature: string | null;
  keyId: string | null;
  /** The instance public key, Multikey (`z6Mk…`); null when unknown or not authentic. */
  publicKeyMultibase: string | null;
  /** Entries the log holds (equal to seq when intact). */
  entries: number;
}

/** The instance key, decrypted once per process. */
interface InstanceKey {
  id: string;
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

/** Arbitrary constant: serialises the creation of the instance key across processes. */
const INSTANCE_KEY_LOCK = 7_314_002;

/** Rows read per query when verifying or exporting: big logs are streamed, never held whole. */
const PAGE = 1000;

const sha256 = (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** The hashed `at`: the stored microseconds as milliseconds when they are whole, else verbatim (and then no hash matches). */
function atOf(text: string): string {
  return text.replace(/\.(\d{3})000Z$/, '.$1Z');
}

/** An entry as the API, the export and the verifier see it. */
export function toAuditEntry(row: AuditEntryRow): AuditEntry {
  return {
    organizationId: row.organization_id, seq: Number(row.seq), at: atOf(row.at_text), actor: row.actor,
    action: row.action, subjectType: row.subject_type, subjectId: row.subject_id,
    before: row.before ?? null, after: row.after ?? null, prevHash: hex(row.prev_hash), hash: hex(row.hash),
  };
}

function toAuditHead(row: AuditHeadRow): AuditHead {
  return {organizationId: row.organization_id, seq: Number(row.seq), hash: hex(row.hash),
    signature: row.signature ? Buffer.from(row.signature).toString('base64url') : ''};
}

/** A value as JSON round-trips it; null for nothing (undefined or null). */
function jsonValue(value: unknown): unknown {
  if(value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

/** A keyset cursor over seq. */
function encodeSeqCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

function decodeSeqCursor(cursor: string): number {
  const m = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if(!m) {
    throw new DomainError('VALIDATION_FAILED', 400, 'The cursor is not valid; pass back nextCursor exactly as received.',
      {errors: [{path: 'cursor', message: 'invalid cursor'}]});
  }
  return Number(m[1]);
}

/** The columns of the CSV export. */
export const AUDIT_CSV_COLUMNS = ['seq', 'at', 'actor_type', 'actor_id', 'actor_label', 'action', 'subject_type', 'subject_id',
  'before', 'after', 'prev_hash', 'hash'];

function csvLine(e: AuditEntry): string {
  const actor = (typeof e.actor === 'object' && e.actor !== null ? e.actor : {}) as Record<string, unknown>;
  const text = (v: unknown) => v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // before/after are always JSON (a string value keeps its quotes); empty when null.
  const json = (v: unknown) => v === null || v === undefined ? '' : JSON.stringify(v);
  return csvRow([String(e.seq), e.at, text(actor.type), text(actor.id), text(actor.label ?? actor.job), e.action, e.subjectType, e.subjectId,
    json(e.before), json(e.after), e.prevHash, e.hash]);
}

/** Audit log use cases. */
export class AuditService {
  private key: InstanceKey | null = null;
  /** Authentic public keys of instance keys by id (null: not decryptable with this master key). */
  private readonly publicKeys = new Map<string, Uint8Array | null>();
  /**
   * Exclusive databases (PGlite) only: each organization's head as last committed by
   * this process, the only writer, and the heads a still-open transaction has moved.
   */
  private readonly committedHeads = new Map<string, {seq: number; hash: Uint8Array}>();
  private readonly pendingHeads = new WeakMap<Queryable, Map<string, {seq: number; hash: Uint8Array}>>();

  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Appends entries inside the caller's transaction, so a change and its entries
   * commit together. Entries may belong to several organizations (group commit):
   * each organization's head is locked once, its entries are chained in order,
   * and the head is signed once. Call it as the last step before commit: the
   * head lock serialises appends of one organization until then.
   */
  async append(tx: Queryable, inputs: AuditInput[], also?: AlsoStatement): Promise<void> {
    if(!inputs.length) {
      if(also) await tx.query(also.sql, also.params);
      return;
    }
    const key = await this.signingKey(tx);
    const atText = this.ctx.now().toISOString();
    const orgIds = [...new Set(inputs.map(e => e.organizationId.toLowerCase()))].sort();
    const heads = new Map<string, {seq: number; hash: Uint8Array}>();
    // The only writer (PGlite) knows the heads it committed, and those this transaction moved: no read, no lock.
    const cached = this.ctx.db.exclusive && tx.afterCommit !== undefined;
    const pending = this.pendingHeads.get(tx);
    const known = (id: string) => pending?.get(id) ?? this.committedHeads.get(id);
    if(cached && orgIds.every(id => known(id) !== undefined)) {
      for(const id of orgIds) heads.set(id, {...known(id)!});
    } else {
      const remember = (rows: AuditHeadRow[]) => rows.forEach(h => heads.set(h.organization_id, {seq: Number(h.seq), hash: h.hash}));
      remember(await lockAuditHeads(tx, orgIds));
      const missing = orgIds.filter(id => !heads.has(id));
      if(missing.length) {
        await insertAuditHeads(tx, missing);
        remember(await lockAuditHeads(tx, missing));
      }
    }
    const rows: NewAuditEntry[] = [];
    for(const input of inputs) {
      const organizationId = input.organizationId.toLowerCase();
      const head = heads.get(organizationId)!;
      // Hash exactly what the database will give back: the values as JSON carries them (undefined fields gone, dates as strings).
      const content = {organizationId, seq: head.seq + 1, at: atText, actor: jsonValue(input.actor), action: input.action,
        subjectType: input.subjectType, subjectId: input.subjectId, before: jsonValue(input.before), after: jsonValue(input.after)};
      const hash = hashAuditEntry(head.hash, content, sha256);
      rows.push({organization_id: organizationId, seq: content.seq, at: atText, actor: content.actor, action: content.action,
        subject_type: content.subjectType, subject_id: content.subjectId, before: content.before, after: content.after,
        prev_hash: hex(head.hash), hash: hex(hash)});
      head.seq = content.seq;
      head.hash = hash;
    }
    await appendAuditEntries(tx, rows, orgIds.map(organizationId => {
      const head = heads.get(organizationId)!;
      const signature = sign(null, auditHeadMessage(organizationId, head.seq, hex(head.hash)), key.privateKey);
      return {organization_id: organizationId, seq: head.seq, hash: hex(head.hash), signature: hex(signature), key_id: key.id};
    }), also);
    if(cached) {
      let moved = pending;
      if(!moved) {
        const created = new Map<string, {seq: number; hash: Uint8Array}>();
        this.pendingHeads.set(tx, moved = created);
        tx.afterCommit!(() => {
          for(const [id, head] of created) this.committedHeads.set(id, head);
        });
      }
      for(const [id, head] of heads) moved.set(id, head);
    }
  }

  /** Creates the instance key if there is none yet and loads it (at start, so the first append need not). */
  async init(): Promise<void> {
    await this.ctx.db.transaction(tx => this.signingKey(tx));
    await this.signingKey(this.ctx.db);
  }

  /**
   * The instance key, decrypted once per process. Created on first use under an
   * advisory lock, inside the caller's transaction; a key created there is
   * cached only once a later call finds it committed.
   */
  private async signingKey(q: Queryable): Promise<InstanceKey> {
    if(this.key) return this.key;
    let row = await findFirstInstanceKey(q);
    let created = false;
    if(!row) {
      await q.query('SELECT pg_advisory_xact_lock($1)', [INSTANCE_KEY_LOCK]);
      row = await findFirstInstanceKey(q);
      if(!row) {
        const {seed, publicKey} = generateEd25519();
        const id = randomUUID();
        row = {id, public_key: publicKey, encrypted_secret: this.ctx.box.seal(seed, `instance-key:${id}`), created_at: this.ctx.now()};
        await insertInstanceKey(q, row);
        created = true;
      }
    }
    const key = this.openKey(row);
    if(!key) throw new Error(`The audit instance key ${row.id} cannot be decrypted with this master key.`);
    if(!created) this.key = key;
    return key;
  }

  /** Decrypts an instance key; null when the master key cannot open it or it does not match its public key. */
  private openKey(row: InstanceKeyRow): InstanceKey | null {
    try {
      const privateKey = privateKeyFromSeed(this.ctx.box.open(row.encrypted_secret, `instance-key:${row.id}`));
      const publicKey = new Uint8Array(createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(12));
      return {id: row.id, privateKey, publicKey};
    } catch {
      return null;
    }
  }

  /**
   * The public key of an instance key, derived from its decrypted secret rather
   * than read from its row: whoever can write the database but lacks the master
   * key cannot substitute a key of their own and re-sign a rewritten chain.
   */
  private async publicKeyFor(keyId: string): Promise<Uint8Array | null> {
    if(this.publicKeys.has(keyId)) return this.publicKeys.get(keyId)!;
    const row = await findInstanceKey(this.ctx.db, keyId);
    if(!row) return null;
    const publicKey = this.openKey(row)?.publicKey ?? null;
    this.publicKeys.set(keyId, publicKey);
    return publicKey;
  }

  /** A page of the organization's entries, newest first unless `order` is asc. */
  async list(org: OrganizationRow, q: AuditListQuery): Promise<{items: AuditEntry[]; nextCursor: string | null}> {
    const order = q.order ?? 'desc';
    const rows = await listAuditEntries(this.ctx.db, org.id, {
      action: q.action, subjectType: q.subjectType, subjectId: q.subjectId,
      since: q.since === undefined ? undefined : new Date(q.since), until: q.until === undefined ? undefined : new Date(q.until),
      afterSeq: q.afterSeq,
    }, {order, cursorSeq: q.cursor === undefined ? undefined : decodeSeqCursor(q.cursor), limit: q.limit + 1});
    const page = rows.slice(0, q.limit).map(toAuditEntry);
    const last = page[page.length - 1];
    return {items: page, nextCursor: rows.length > q.limit && last ? encodeSeqCursor(last.seq) : null};
  }

  /** The whole log as CSV in chain order, read from the database a page at a time. */
  async *exportCsv(org: OrganizationRow): AsyncGenerator<string> {
    yield csvRow(AUDIT_CSV_COLUMNS);
    let last = 0;
    for(;;) {
      const rows = await auditEntriesAfter(this.ctx.db, org.id, last, PAGE);
      if(!rows.length) return;
      yield rows.map(r => csvLine(toAuditEntry(r))).join('');
      last = Number(rows[rows.length - 1].seq);
    }
  }

  /** The signed head, the key that signed it and the number of entries. */
  async head(org: OrganizationRow): Promise<AuditHeadView> {
    const head = await findAuditHead(this.ctx.db, org.id);
    const entries = await countAuditEntries(this.ctx.db, org.id);
    const keyId = head?.key_id ?? (await findFirstInstanceKey(this.ctx.db))?.id ?? null;
    const publicKey = keyId ? await this.publicKeyFor(keyId) : null;
    return {
      organizationId: org.id,
      seq: head ? Number(head.seq) : 0,
      hash: head ? hex(head.hash) : '0'.repeat(64),
      signature: head?.signature ? Buffer.from(head.signature).toString('base64url') : null,
      keyId,
      publicKeyMultibase: publicKey ? encodeEd25519PublicKey(publicKey) : null,
      entries,
    };
  }

  /** Verifies the organization's whole chain and head, streaming it from the database. */
  verify(org: OrganizationRow): Promise<AuditVerification> {
    return verifyAuditSource({
      page: async afterSeq => (await auditEntriesAfter(this.ctx.db, org.id, afterSeq, PAGE)).map(toAuditEntry),
      head: async () => {
        const head = await findAuditHead(this.ctx.db, org.id);
        if(!head) return {head: null, publicKey: null};
        return {head: toAuditHead(head), publicKey: head.key_id ? await this.publicKeyFor(head.key_id) : null};
      },
    }, {organizationId: org.id, sha256});
  }
}
