/** SQL for status lists, their slots, and bulk revocations. */
import type {Queryable} from './database.js';

export interface StatusListRow {
  id: string;
  organization_id: string;
  issuer_did: string;
  size: number;
  full_at: Date | null;
  version: string;
  published_version: string;
  published_at: Date | null;
  revocation_doc: string | null;
  suspension_doc: string | null;
  created_at: Date;
}

const LIST_COLUMNS = `id, organization_id, issuer_did, size, full_at, version::text AS version,
  published_version::text AS published_version, published_at, revocation_doc, suspension_doc, created_at`;

/** The open (not full) list of an issuer DID, if any. */
export async function findOpenList(q: Queryable, organizationId: string, issuerDid: string): Promise<{id: string; size: number} | null> {
  const {rows} = await q.query<{id: string; size: number}>(
    'SELECT id, size FROM status_lists WHERE organization_id = $1 AND issuer_did = $2 AND full_at IS NULL', [organizationId, issuerDid]);
  return rows[0] ?? null;
}

/** Creates the open list of an issuer DID unless a concurrent transaction did (then nothing happens). */
export async function createOpenList(q: Queryable, row: {id: string; organizationId: string; issuerDid: string; size: number}): Promise<void> {
  await q.query(
    `INSERT INTO status_lists (id, organization_id, issuer_did, size) VALUES ($1, $2, $3, $4)
     ON CONFLICT (organization_id, issuer_did) WHERE full_at IS NULL DO NOTHING`,
    [row.id, row.organizationId, row.issuerDid, row.size]);
}

/** Marks a list full: new credentials go to a new list. */
export async function markListFull(q: Queryable, listId: string, at: Date): Promise<void> {
  await q.query('UPDATE status_lists SET full_at = $2 WHERE id = $1 AND full_at IS NULL', [listId, at]);
}

/**
 * Claims slots: inserts (listId, idx) for each candidate index, skipping taken ones
 * (committed, or committed meanwhile by a concurrent transaction). Returns the
 * candidates that were claimed, with the id each went to.
 */
export async function claimSlots(q: Queryable, listId: string, organizationId: string,
  candidates: {idx: number; credentialId: string | null; externalId: string | null}[]): Promise<number[]> {
  if(candidates.length === 0) return [];
  const {rows} = await q.query<{idx: number}>(
    `INSERT INTO status_entries (list_id, idx, organization_id, credential_id, external_id)
     SELECT $1, c.idx, $2, c.credential_id, c.external_id
       FROM unnest($3::int[], $4::text[], $5::text[]) AS c(idx, credential_id, external_id)
     ON CONFLICT (list_id, idx) DO NOTHING RETURNING idx`,
    [listId, organizationId, candidates.map(c => c.idx), candidates.map(c => c.credentialId), candidates.map(c => c.externalId)]);
  return rows.map(r => r.idx);
}

/** Sets or clears the status bits of some slots and moves their lists' versions (one statement each). */
export async function setStatusBits(q: Queryable, slots: {listId: string; idx: number}[], bits: {revoked?: boolean; suspended?: boolean}): Promise<void> {
  if(slots.length === 0) return;
  const sets: string[] = [];
  const params: unknown[] = [slots.map(s => s.listId), slots.map(s => s.idx)];
  if(bits.revoked !== undefined) {
    params.push(bits.revoked);
    sets.push(`revoked = $${params.length}`);
  }
  if(bits.suspended !== undefined) {
    params.push(bits.suspended);
    sets.push(`suspended = $${params.length}`);
  }
  await q.query(
    `UPDATE status_entries e SET ${sets.join(', ')} FROM unnest($1::text[], $2::int[]) AS s(list_id, idx)
     WHERE e.list_id = s.list_id AND e.idx = s.idx`, params);
  await q.query('UPDATE status_lists SET version = version + 1 WHERE id = ANY($1::text[])', [[...new Set(slots.map(s => s.listId))]]);
}

/** A list for publishing, locked; null when another process is publishing it (SKIP LOCKED) or it does not exist. */
export async function lockListForPublishing(q: Queryable, listId: string): Promise<StatusListRow | null> {
  const {rows} = await q.query<StatusListRow>(`SELECT ${LIST_COLUMNS} FROM status_lists WHERE id = $1 FOR UPDATE SKIP LOCKED`, [listId]);
  return rows[0] ?? null;
}

/** The set bits of a list. */
export async function setBitsOf(q: Queryable, listId: string): Promise<{idx: number; revoked: boolean; suspended: boolean}[]> {
  const {rows} = await q.query<{idx: number; revoked: boolean; suspended: boolean}>(
    'SELECT idx, revoked, suspended FROM status_entries WHERE list_id = $1 AND (revoked OR suspended)', [listId]);
  return rows;
}

/** Stores the signed documents of a list version. */
export async function storePublished(q: Queryable, listId: string, version: string, docs: {revocation: string; suspension: string}, at: Date): Promise<void> {
  await q.query(
    `UPDATE status_lists SET revocation_doc = $3, suspension_doc = $4, published_version = $2::bigint, published_at = $5 WHERE id = $1`,
    [listId, version, docs.revocation, docs.suspension, at]);
}

/** One list (no lock). */
export async function findList(q: Queryable, listId: string): Promise<StatusListRow | null> {
  const {rows} = await q.query<StatusListRow>(`SELECT ${LIST_COLUMNS} FROM status_lists WHERE id = $1`, [listId]);
  return rows[0] ?? null;
}

/** A list's version (moved by every status change), as text; null when there is no such list. */
export async function findListVersion(q: Queryable, listId: string): Promise<string | null> {
  const {rows} = await q.query<{version: string}>('SELECT version::text AS version FROM status_lists WHERE id = $1', [listId]);
  return rows[0]?.version ?? null;
}

/** Lists that need publishing: changed since published, or published before `staleBefore`. */
export async function listsToPublish(q: Queryable, staleBefore: Date, limit: number): Promise<string[]> {
  const {rows} = await q.query<{id: string}>(
    `SELECT id FROM status_lists WHERE version > published_version OR published_at < $1 ORDER BY id LIMIT $2`, [staleBefore, limit]);
  return rows.map(r => r.id);
}

/** The slot of a caller-signed credential, by its id (full, or the last path segment). */
export async function findExternalEntry(q: Queryable, organizationId: string, id: string):
  Promise<{list_id: string; idx: number; external_id: string; revoked: boolean; suspended: boolean} | null> {
  const {rows} = await q.query<{list_id: string; idx: number; external_id: string; revoked: boolean; suspended: boolean}>(
    `SELECT list_id, idx, external_id, revoked, suspended FROM status_entries
      WHERE organization_id = $1 AND external_id IS NOT NULL AND (external_id = $2 OR external_id LIKE $3 ESCAPE '\\')
      ORDER BY list_id LIMIT 2`, [organizationId, id, `%/${id.replace(/[\\%_]/g, m => '\\' + m)}`]);
  return rows.length === 1 ? rows[0] : null;
}

export interface BulkRevocationRow {
  id: string;
  organization_id: string;
  filter: {achievementId?: string; issuedFrom?: string; issuedUntil?: string; ids?: string[]; issuedBefore: string};
  reason: string;
  reason_public: boolean;
  actor: unknown;
  status: 'queued' | 'running' | 'completed' | 'failed';
  matched: number | null;
  revoked: number;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export async function insertBulkRevocation(q: Queryable, row: Omit<BulkRevocationRow, 'status' | 'matched' | 'revoked' | 'error' | 'finished_at'>): Promise<void> {
  await q.query(
    `INSERT INTO bulk_revocations (id, organization_id, filter, reason, reason_public, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [row.id, row.organization_id, JSON.stringify(row.filter), row.reason, row.reason_public, JSON.stringify(row.actor), row.created_at]);
}

export async function findBulkRevocation(q: Queryable, id: string, organizationId?: string): Promise<BulkRevocationRow | null> {
  const {rows} = organizationId
    ? await q.query<BulkRevocationRow>('SELECT * FROM bulk_revocations WHERE id = $1 AND organization_id = $2', [id, organizationId])
    : await q.query<BulkRevocationRow>('SELECT * FROM bulk_revocations WHERE id = $1', [id]);
  return rows[0] ?? null;
}

export async function updateBulkRevocation(q: Queryable, id: string, patch: Partial<Pick<BulkRevocationRow, 'status' | 'matched' | 'error' | 'finished_at'>> & {addRevoked?: number}): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for(const [column, value] of Object.entries(patch)) {
    if(column === 'addRevoked') {
      params.push(value);
      sets.push(`revoked = revoked + $${params.length}`);
    } else {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
  }
  if(sets.length) await q.query(`UPDATE bulk_revocations SET ${sets.join(', ')} WHERE id = $1`, params);
}
