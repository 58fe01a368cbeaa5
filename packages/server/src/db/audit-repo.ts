/** SQL for the audit log: entries, heads and the instance key. Every entry query is scoped to one organization. */
import type {Queryable} from './database.js';
import type {AuditEntryRow, AuditHeadRow, InstanceKeyRow} from './rows.js';

/** An entry to insert: JSON values as values, `at` as an ISO string (milliseconds), hashes as hex. */
export interface NewAuditEntry {
  organization_id: string;
  seq: number;
  at: string;
  actor: unknown;
  action: string;
  subject_type: string;
  subject_id: string;
  before: unknown;
  after: unknown;
  prev_hash: string;
  hash: string;
}

// `at` as text in UTC with microseconds: a JS Date would silently drop a sub-millisecond edit.
const ENTRY_COLUMNS = `organization_id, seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_text,
  actor, action, subject_type, subject_id, before, after, prev_hash, hash`;

/** Locks the heads of these organizations (sorted, so concurrent appends lock in one order) and returns them. */
export async function lockAuditHeads(q: Queryable, organizationIds: string[]): Promise<AuditHeadRow[]> {
  const {rows} = await q.query<AuditHeadRow>(
    `SELECT organization_id, seq, hash, signature, key_id FROM audit_heads
     WHERE organization_id = ANY($1::uuid[]) ORDER BY organization_id FOR UPDATE`, [organizationIds]);
  return rows;
}

/** Creates empty heads (seq 0) for organizations that have none yet; existing ones are left alone. */
export async function insertAuditHeads(q: Queryable, organizationIds: string[]): Promise<void> {
  await q.query(
    `INSERT INTO audit_heads (organization_id, seq, hash)
     SELECT id, 0, $2 FROM unnest($1::uuid[]) AS id ORDER BY id ON CONFLICT (organization_id) DO NOTHING`,
    [organizationIds, Buffer.alloc(32)]);
}

/**
 * Inserts entries in one statement: the rows travel as one JSON parameter
 * (jsonb_to_recordset), cheaper than 11 bound parameters a row and free of the
 * 65,535-parameter limit.
 */
export async function insertAuditEntries(q: Queryable, entries: NewAuditEntry[]): Promise<void> {
  await q.query(
    `INSERT INTO audit_entries (organization_id, seq, at, actor, action, subject_type, subject_id, before, after, prev_hash, hash)
     SELECT organization_id, seq, at, actor, action, subject_type, subject_id, before, after, decode(prev_hash, 'hex'), decode(hash, 'hex')
     FROM jsonb_to_recordset($1::jsonb) AS e(organization_id uuid, seq bigint, at timestamptz, actor jsonb, action text, subject_type text,
       subject_id text, before jsonb, after jsonb, prev_hash text, hash text)`, [JSON.stringify(entries)]);
}

/** A data-modifying statement to run in the same statement as an append (its parameters numbered from $1). */
export interface AlsoStatement {
  sql: string;
  params: unknown[];
}

/**
 * Inserts entries and moves their organizations' heads in one statement (one round trip:
 * issuance appends on every group commit). `also`, when given, runs in the same
 * statement as a data-modifying WITH (issuance: the credentials' INSERT), which saves
 * another round trip; it commits or fails with the entries.
 */
export async function appendAuditEntries(q: Queryable, entries: NewAuditEntry[],
  heads: {organization_id: string; seq: number; hash: string; signature: string; key_id: string}[], also?: AlsoStatement): Promise<void> {
  const n = also?.params.length ?? 0;
  await q.query(
    `WITH ${also ? `also AS (${also.sql}), ` : ''}inserted AS (
       INSERT INTO audit_entries (organization_id, seq, at, actor, action, subject_type, subject_id, before, after, prev_hash, hash)
       SELECT organization_id, seq, at, actor, action, subject_type, subject_id, before, after, decode(prev_hash, 'hex'), decode(hash, 'hex')
       FROM jsonb_to_recordset($${n + 1}::jsonb) AS e(organization_id uuid, seq bigint, at timestamptz, actor jsonb, action text, subject_type text,
         subject_id text, before jsonb, after jsonb, prev_hash text, hash text)
       RETURNING 1)
     UPDATE audit_heads h SET seq = u.seq, hash = decode(u.hash, 'hex'), signature = decode(u.signature, 'hex'), key_id = u.key_id
       FROM jsonb_to_recordset($${n + 2}::jsonb) AS u(organization_id uuid, seq bigint, hash text, signature text, key_id uuid)
      WHERE h.organization_id = u.organization_id`, [...(also?.params ?? []), JSON.stringify(entries), JSON.stringify(heads)]);
}

/** Moves a head to a new last entry, with the instance key's signature. */
export async function updateAuditHead(q: Queryable, head: {organization_id: string; seq: number; hash: Uint8Array; signature: Uint8Array; key_id: string}): Promise<void> {
  await q.query('UPDATE audit_heads SET seq = $2, hash = $3, signature = $4, key_id = $5 WHERE organization_id = $1',
    [head.organization_id, head.seq, head.hash, head.signature, head.key_id]);
}

/** An organization's head, or null. */
export async function findAuditHead(q: Queryable, organizationId: string): Promise<AuditHeadRow | null> {
  const {rows} = await q.query<AuditHeadRow>(
    'SELECT organization_id, seq, hash, signature, key_id FROM audit_heads WHERE organization_id = $1', [organizationId]);
  return rows[0] ?? null;
}

/** Number of entries an organization's log holds. */
export async function countAuditEntries(q: Queryable, organizationId: string): Promise<number> {
  const {rows} = await q.query<{n: number}>('SELECT count(*)::int AS n FROM audit_entries WHERE organization_id = $1', [organizationId]);
  return rows[0].n;
}

/** Entries with seq > afterSeq (and ≤ upToSeq when given), in seq order. */
export async function auditEntriesAfter(q: Queryable, organizationId: string, afterSeq: number, limit: number, upToSeq?: number): Promise<AuditEntryRow[]> {
  const params: unknown[] = [organizationId, afterSeq, limit];
  let where = 'organization_id = $1 AND seq > $2';
  if(upToSeq !== undefined) {
    params.push(upToSeq);
    where += ' AND seq <= $4';
  }
  const {rows} = await q.query<AuditEntryRow>(`SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE ${where} ORDER BY seq LIMIT $3`, params);
  return rows;
}

/** Filters of the entry list. */
export interface AuditFilter {
  action?: string;
  subjectType?: string;
  subjectId?: string;
  /** at ≥ since. */
  since?: Date;
  /** at < until. */
  until?: Date;
  /** seq > afterSeq. */
  afterSeq?: number;
}

/** A page of entries, keyset-paginated on seq, newest (desc) or oldest (asc) first. */
export async function listAuditEntries(q: Queryable, organizationId: string, filter: AuditFilter,
  opts: {order: 'asc' | 'desc'; cursorSeq?: number; limit: number}): Promise<AuditEntryRow[]> {
  const params: unknown[] = [organizationId];
  let where = 'organization_id = $1';
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where += ` AND ${sql.replace('?', `$${params.length}`)}`;
  };
  if(filter.action !== undefined) add('action = ?', filter.action);
  if(filter.subjectType !== undefined) add('subject_type = ?', filter.subjectType);
  if(filter.subjectId !== undefined) add('subject_id = ?', filter.subjectId);
  if(filter.since !== undefined) add('at >= ?', filter.since);
  if(filter.until !== undefined) add('at < ?', filter.until);
  if(filter.afterSeq !== undefined) add('seq > ?', filter.afterSeq);
  if(opts.cursorSeq !== undefined) add(opts.order === 'desc' ? 'seq < ?' : 'seq > ?', opts.cursorSeq);
  params.push(opts.limit);
  const {rows} = await q.query<AuditEntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE ${where} ORDER BY seq ${opts.order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${params.length}`, params);
  return rows;
}

/** The instance key (the oldest, should there ever be several). */
export async function findFirstInstanceKey(q: Queryable): Promise<InstanceKeyRow | null> {
  const {rows} = await q.query<InstanceKeyRow>('SELECT * FROM instance_keys ORDER BY created_at, id LIMIT 1');
  return rows[0] ?? null;
}

/** One instance key by id. */
export async function findInstanceKey(q: Queryable, id: string): Promise<InstanceKeyRow | null> {
  const {rows} = await q.query<InstanceKeyRow>('SELECT * FROM instance_keys WHERE id = $1', [id]);
  return rows[0] ?? null;
}

/** Inserts an instance key. */
export async function insertInstanceKey(q: Queryable, k: Omit<InstanceKeyRow, 'created_at'> & {created_at: Date}): Promise<void> {
  await q.query('INSERT INTO instance_keys (id, public_key, encrypted_secret, created_at) VALUES ($1, $2, $3, $4)',
    [k.id, k.public_key, k.encrypted_secret, k.created_at]);
}
