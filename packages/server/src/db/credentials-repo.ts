/** SQL for issued credentials and idempotency records. */
import type {Queryable} from './database.js';
import type {CredentialRow} from './rows.js';

/** The INSERT of issued credentials (one statement), as SQL and parameters, to run inside another statement. */
export function credentialsInsert(rows: CredentialRow[]): {sql: string; params: unknown[]} {
  const params: unknown[] = [];
  const tuples = rows.map(c => {
    const base = params.length;
    params.push(c.id, c.organization_id, c.achievement_id, c.recipient_name, c.recipient_email, c.recipient_did, c.status,
      c.valid_from, c.valid_until, c.issued_at, c.document, c.status_list_id, c.status_index, c.renewed_from,
      c.fields ? JSON.stringify(c.fields) : null);
    return `(${Array.from({length: 15}, (_, i) => `$${base + i + 1}`).join(', ')})`;
  });
  return {params, sql: `INSERT INTO credentials (id, organization_id, achievement_id, recipient_name, recipient_email, recipient_did,
       status, valid_from, valid_until, issued_at, document, status_list_id, status_index, renewed_from, fields)
     VALUES ${tuples.join(', ')}`};
}

/** One credential; scoped to an organization when organizationId is given. */
export async function findCredential(q: Queryable, id: string, organizationId?: string, forUpdate = false): Promise<CredentialRow | null> {
  const lock = forUpdate ? ' FOR UPDATE' : '';
  const {rows} = organizationId
    ? await q.query<CredentialRow>(`SELECT * FROM credentials WHERE id = $1 AND organization_id = $2${lock}`, [id, organizationId])
    : await q.query<CredentialRow>(`SELECT * FROM credentials WHERE id = $1${lock}`, [id]);
  return rows[0] ?? null;
}

/** Writes a credential's lifecycle status. */
export async function updateCredentialStatus(q: Queryable, ids: string[], s: {status: CredentialRow['status']; reason: string | null;
  reasonPublic: boolean; at: Date; suspendedUntil: Date | null}): Promise<void> {
  await q.query(
    `UPDATE credentials SET status = $2, status_reason = $3, status_reason_public = $4, status_changed_at = $5, suspended_until = $6
      WHERE id = ANY($1::text[])`, [ids, s.status, s.reason, s.reasonPublic, s.at, s.suspendedUntil]);
}

/** Filters for listing credentials. */
export interface CredentialFilter {
  achievementId?: string;
  status?: 'active' | 'expired' | 'revoked' | 'suspended';
  /** Active credentials whose validUntil falls within this many days from now. */
  expiring?: number;
  q?: string;
  after?: {at: Date; id: string};
  now: Date;
  limit: number;
}

/** A page of an organization's credentials, newest first. */
export async function listCredentials(q: Queryable, organizationId: string, f: CredentialFilter): Promise<CredentialRow[]> {
  const params: unknown[] = [organizationId];
  const where = ['organization_id = $1'];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if(f.achievementId) add(n => `achievement_id = $${n}`, f.achievementId);
  if(f.status === 'active') add(n => `status = 'active' AND (valid_until IS NULL OR valid_until > $${n})`, f.now);
  if(f.status === 'expired') add(n => `status = 'active' AND valid_until <= $${n}`, f.now);
  if(f.status === 'revoked' || f.status === 'suspended') add(n => `status = $${n}`, f.status);
  if(f.expiring !== undefined) {
    add(n => `status = 'active' AND valid_until > $${n}`, f.now);
    add(n => `valid_until <= $${n}`, new Date(f.now.getTime() + f.expiring * 86_400_000));
  }
  if(f.q) {
    // Escape LIKE wildcards: the search term is literal text.
    const pattern = `%${f.q.replace(/[\\%_]/g, m => '\\' + m)}%`;
    add(n => `(recipient_name ILIKE $${n} OR recipient_email ILIKE $${n} OR id = $${n + 1})`, pattern);
    params.push(f.q);
  }
  if(f.after) {
    params.push(f.after.at, f.after.id);
    where.push(`(issued_at, id) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(f.limit);
  const {rows} = await q.query<CredentialRow>(
    `SELECT * FROM credentials WHERE ${where.join(' AND ')} ORDER BY issued_at DESC, id DESC LIMIT $${params.length}`, params);
  return rows;
}

/** Claims an idempotency key; returns the existing record when the key was used before. */
export async function claimIdempotencyKey(q: Queryable, organizationId: string, key: string, requestHash: string):
  Promise<{claimed: true} | {claimed: false; requestHash: string; statusCode: number | null; response: string | null}> {
  const inserted = await q.query(
    `INSERT INTO idempotency_keys (organization_id, key, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT (organization_id, key) DO NOTHING`, [organizationId, key, requestHash]);
  if(inserted.rowCount === 1) return {claimed: true};
  const {rows} = await q.query<{request_hash: string; status_code: number | null; response: string | null}>(
    'SELECT request_hash, status_code, response FROM idempotency_keys WHERE organization_id = $1 AND key = $2', [organizationId, key]);
  return {claimed: false, requestHash: rows[0].request_hash, statusCode: rows[0].status_code, response: rows[0].response};
}

/** Stores the response of a claimed idempotency key. */
export async function completeIdempotencyKey(q: Queryable, organizationId: string, key: string, statusCode: number, response: string): Promise<void> {
  await q.query('UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE organization_id = $1 AND key = $2',
    [organizationId, key, statusCode, response]);
}
