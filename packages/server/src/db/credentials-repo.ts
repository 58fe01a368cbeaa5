/** SQL for issued credentials and idempotency records. */
import type {Queryable} from './database.js';
import type {AchievementRow, CredentialRow, SigningKeyRow} from './rows.js';

/**
 * What a group commit of one organization reads before signing, in one round trip: its
 * active signing key, under the share lock on the organization that key rotation waits
 * for (as lockAndFindActiveKey), and the achievements asked for (any organization's:
 * the caller checks). Null key: the organization has none (or does not exist).
 */
export async function readForIssuing(q: Queryable, organizationId: string, achievementIds: string[]):
  Promise<{key: SigningKeyRow | null; achievements: AchievementRow[]}> {
  const {rows} = await q.query<Record<string, unknown>>(
    `SELECT k.id AS k_id, k.organization_id AS k_organization_id, k.fragment AS k_fragment, k.public_key AS k_public_key,
            k.encrypted_secret AS k_encrypted_secret, k.valid_from AS k_valid_from, k.valid_until AS k_valid_until, a.*
       FROM (SELECT k.* FROM organizations o JOIN signing_keys k ON k.organization_id = o.id AND k.valid_until IS NULL
              WHERE o.id = $1 FOR SHARE OF o) k
       LEFT JOIN achievements a ON a.id = ANY($2::text[])`, [organizationId, achievementIds]);
  if(!rows.length) return {key: null, achievements: []};
  const r = rows[0];
  const key = {id: r.k_id, organization_id: r.k_organization_id, fragment: r.k_fragment, public_key: r.k_public_key,
    encrypted_secret: r.k_encrypted_secret, valid_from: r.k_valid_from, valid_until: r.k_valid_until} as SigningKeyRow;
  const achievements = rows.filter(row => row.id !== null).map(row => {
    const a: Record<string, unknown> = {};
    for(const [k, v] of Object.entries(row)) if(!k.startsWith('k_')) a[k] = v;
    return a as unknown as AchievementRow;
  });
  return {key, achievements};
}

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
