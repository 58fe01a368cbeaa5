/** SQL for organizations, their signing keys and API keys. */
import type {Queryable} from './database.js';
import type {OrganizationRow, SigningKeyRow} from './rows.js';

/** Inserts an organization. */
export async function insertOrganization(q: Queryable, o: Omit<OrganizationRow, 'created_at'>): Promise<OrganizationRow> {
  const {rows} = await q.query<OrganizationRow>(
    `INSERT INTO organizations (id, slug, name, did_method, domain, url, email, logo)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [o.id, o.slug, o.name, o.did_method, o.domain, o.url, o.email, o.logo]);
  return rows[0];
}

/** Finds an organization by a column that is unique. */
export async function findOrganizationBy(q: Queryable, column: 'id' | 'slug' | 'domain', value: string): Promise<OrganizationRow | null> {
  const {rows} = await q.query<OrganizationRow>(`SELECT * FROM organizations WHERE ${column} = $1`, [value]);
  return rows[0] ?? null;
}

/** Counts organizations (first start detection). */
export async function countOrganizations(q: Queryable): Promise<number> {
  const {rows} = await q.query<{n: number}>('SELECT count(*)::int AS n FROM organizations');
  return rows[0].n;
}

/** Locks the organization row so key rotation and signing never overlap. */
export async function lockOrganization(q: Queryable, id: string, mode: 'share' | 'update'): Promise<void> {
  await q.query(`SELECT id FROM organizations WHERE id = $1 FOR ${mode === 'share' ? 'SHARE' : 'UPDATE'}`, [id]);
}

/**
 * Share-locks the organization (so a key rotation waits for in-flight signing)
 * and returns its active key, in one round trip.
 */
export async function lockAndFindActiveKey(q: Queryable, organizationId: string): Promise<SigningKeyRow | null> {
  const {rows} = await q.query<SigningKeyRow>(
    `SELECT k.* FROM organizations o JOIN signing_keys k ON k.organization_id = o.id AND k.valid_until IS NULL
     WHERE o.id = $1 FOR SHARE OF o`, [organizationId]);
  return rows[0] ?? null;
}

/** Inserts a signing key. */
export async function insertSigningKey(q: Queryable, k: SigningKeyRow): Promise<void> {
  await q.query(
    `INSERT INTO signing_keys (id, organization_id, fragment, public_key, encrypted_secret, valid_from, valid_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [k.id, k.organization_id, k.fragment, k.public_key, k.encrypted_secret, k.valid_from, k.valid_until]);
}

/** All keys an organization ever had, oldest first. */
export async function listSigningKeys(q: Queryable, organizationId: string): Promise<SigningKeyRow[]> {
  const {rows} = await q.query<SigningKeyRow>(
    'SELECT * FROM signing_keys WHERE organization_id = $1 ORDER BY valid_from, fragment', [organizationId]);
  return rows;
}

/** The organization's active key. */
export async function findActiveSigningKey(q: Queryable, organizationId: string): Promise<SigningKeyRow | null> {
  const {rows} = await q.query<SigningKeyRow>(
    'SELECT * FROM signing_keys WHERE organization_id = $1 AND valid_until IS NULL', [organizationId]);
  return rows[0] ?? null;
}

/** Ends the active key's window. */
export async function retireActiveSigningKey(q: Queryable, organizationId: string, at: Date): Promise<void> {
  await q.query('UPDATE signing_keys SET valid_until = $2 WHERE organization_id = $1 AND valid_until IS NULL', [organizationId, at]);
}

/** Inserts an API key record (hash only). */
export async function insertApiKey(q: Queryable, k: {id: string; organization_id: string; name: string; prefix: string; secret_hash: Buffer}): Promise<void> {
  await q.query('INSERT INTO api_keys (id, organization_id, name, prefix, secret_hash) VALUES ($1, $2, $3, $4, $5)',
    [k.id, k.organization_id, k.name, k.prefix, k.secret_hash]);
}

/** The organization owning a non-revoked API key hash. */
export async function findOrganizationByApiKeyHash(q: Queryable, hash: Buffer): Promise<OrganizationRow | null> {
  const {rows} = await q.query<OrganizationRow>(
    `SELECT o.* FROM api_keys k JOIN organizations o ON o.id = k.organization_id
     WHERE k.secret_hash = $1 AND k.revoked_at IS NULL`, [hash]);
  return rows[0] ?? null;
}
