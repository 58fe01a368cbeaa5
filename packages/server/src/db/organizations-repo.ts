/** SQL for organizations, their signing keys and API keys. */
import type {Queryable} from './database.js';
import type {ApiKeyRow, OrganizationRow, SigningKeyRow} from './rows.js';

/** Inserts an organization. */
export async function insertOrganization(q: Queryable, o: Omit<OrganizationRow, 'created_at'>): Promise<OrganizationRow> {
  const {rows} = await q.query<OrganizationRow>(
    `INSERT INTO organizations (id, slug, name, did_method, domain, url, email, logo, linkedin_organization_id, brand_color, brand_secondary_color)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
    [o.id, o.slug, o.name, o.did_method, o.domain, o.url, o.email, o.logo, o.linkedin_organization_id, o.brand_color, o.brand_secondary_color ?? null]);
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

/** The organization row, locked for a change of its settings. */
export async function findOrganizationForUpdate(q: Queryable, id: string): Promise<OrganizationRow | null> {
  const {rows} = await q.query<OrganizationRow>('SELECT * FROM organizations WHERE id = $1 FOR UPDATE', [id]);
  return rows[0] ?? null;
}

/** The settings an organization may change (its slug, domain and DID method are its identity and stay). */
export type OrganizationSettings = Pick<OrganizationRow, 'name' | 'url' | 'email' | 'logo' | 'linkedin_organization_id' | 'brand_color'
  | 'brand_secondary_color'>;

/** Replaces an organization's settings. */
export async function updateOrganizationSettings(q: Queryable, id: string, s: OrganizationSettings): Promise<OrganizationRow> {
  const {rows} = await q.query<OrganizationRow>(
    `UPDATE organizations SET name = $2, url = $3, email = $4, logo = $5, linkedin_organization_id = $6, brand_color = $7,
       brand_secondary_color = $8 WHERE id = $1 RETURNING *`,
    [id, s.name, s.url, s.email, s.logo, s.linkedin_organization_id, s.brand_color, s.brand_secondary_color ?? null]);
  return rows[0];
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
export async function insertApiKey(q: Queryable, k: {id: string; organization_id: string; name: string; prefix: string; secret_hash: Buffer; created_at: Date}): Promise<ApiKeyRow> {
  const {rows} = await q.query<ApiKeyRow>(
    'INSERT INTO api_keys (id, organization_id, name, prefix, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
    [k.id, k.organization_id, k.name, k.prefix, k.secret_hash, k.created_at]);
  return rows[0];
}

/** The organization owning a non-revoked API key hash, and that key. */
export async function findOrganizationByApiKeyHash(q: Queryable, hash: Buffer): Promise<{org: OrganizationRow; key: Pick<ApiKeyRow, 'id' | 'name' | 'prefix'>} | null> {
  const {rows} = await q.query<OrganizationRow & {api_key_id: string; api_key_name: string; api_key_prefix: string}>(
    `SELECT o.*, k.id AS api_key_id, k.name AS api_key_name, k.prefix AS api_key_prefix
     FROM api_keys k JOIN organizations o ON o.id = k.organization_id
     WHERE k.secret_hash = $1 AND k.revoked_at IS NULL`, [hash]);
  if(!rows[0]) return null;
  const {api_key_id: id, api_key_name: name, api_key_prefix: prefix, ...org} = rows[0];
  return {org, key: {id, name, prefix}};
}

/** An organization's API keys (revoked ones too), oldest first. */
export async function listApiKeys(q: Queryable, organizationId: string): Promise<ApiKeyRow[]> {
  const {rows} = await q.query<ApiKeyRow>('SELECT * FROM api_keys WHERE organization_id = $1 ORDER BY created_at, id', [organizationId]);
  return rows;
}

/** One API key of the organization, or null. */
export async function findApiKey(q: Queryable, organizationId: string, id: string): Promise<ApiKeyRow | null> {
  const {rows} = await q.query<ApiKeyRow>('SELECT * FROM api_keys WHERE organization_id = $1 AND id = $2', [organizationId, id]);
  return rows[0] ?? null;
}

/** Revokes an API key (if it is not revoked yet). */
export async function revokeApiKey(q: Queryable, organizationId: string, id: string, at: Date): Promise<ApiKeyRow | null> {
  const {rows} = await q.query<ApiKeyRow>(
    'UPDATE api_keys SET revoked_at = $3 WHERE organization_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING *', [organizationId, id, at]);
  return rows[0] ?? null;
}

/** Number of the organization's API keys that still work. */
export async function countActiveApiKeys(q: Queryable, organizationId: string): Promise<number> {
  const {rows} = await q.query<{n: number}>('SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1 AND revoked_at IS NULL', [organizationId]);
  return rows[0].n;
}
