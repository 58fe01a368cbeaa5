/**
 * The recipient portfolio's tables (migration 0008): magic links, recipient sessions,
 * profiles, and the recipient's view of `credentials` (matched by the normalised
 * address `lower(btrim(recipient_email))`, the expression of index `credentials_recipient`).
 */
import type {Queryable} from './database.js';

/** The SQL expression a credential's address is matched by (must stay the indexed expression). */
const RECIPIENT = 'lower(btrim(c.recipient_email))';

/** A recipient's profile. `email` is normalised. */
export interface RecipientProfileRow {
  email: string;
  handle: string | null;
  display_name: string | null;
  profile_public: boolean;
  created_at: Date;
  updated_at: Date;
}

/** A signed-in browser. */
export interface RecipientSessionRow {
  token_hash: Uint8Array;
  email: string;
  csrf_secret: string;
  expires_at: Date;
  created_at: Date;
  revoked_at: Date | null;
}

/** A credential as the portfolio lists it. */
export interface PortfolioCredentialRow {
  id: string;
  organization_id: string;
  issuer_name: string;
  achievement_id: string;
  achievement_name: string;
  status: 'active' | 'revoked' | 'suspended';
  issued_at: Date;
  valid_from: Date;
  valid_until: Date | null;
  hidden_at: Date | null;
}

/** A credential with its signed document, for the export. */
export interface PortfolioDocumentRow extends PortfolioCredentialRow {
  document: string;
}

const LIST_COLUMNS = `c.id, c.organization_id, o.name AS issuer_name, c.achievement_id, a.name AS achievement_name, c.status,
  c.issued_at, c.valid_from, c.valid_until, c.hidden_at`;
const LIST_FROM = `FROM credentials c JOIN organizations o ON o.id = c.organization_id JOIN achievements a ON a.id = c.achievement_id`;

// ------------------------------------------------------------ magic links

/** Records a new sign-in link. */
export async function insertMagicLink(q: Queryable, link: {tokenHash: Buffer; email: string; requesterHash: Buffer; expiresAt: Date; createdAt: Date}): Promise<void> {
  await q.query('INSERT INTO magic_links (token_hash, email, requester_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
    [link.tokenHash, link.email, link.requesterHash, link.expiresAt, link.createdAt]);
}

/** Links created since `since` for an address or by a requester (the rate limits). */
export async function countMagicLinks(q: Queryable, by: {email: string} | {requesterHash: Buffer}, since: Date): Promise<number> {
  const [column, value] = 'email' in by ? ['email', by.email] : ['requester_hash', by.requesterHash];
  const {rows} = await q.query<{n: string}>(`SELECT count(*)::text AS n FROM magic_links WHERE ${column} = $1 AND created_at > $2`, [value, since]);
  return Number(rows[0].n);
}

/** The address of a link that can still be used (unused, unexpired), without using it. */
export async function findUsableMagicLink(q: Queryable, tokenHash: Buffer, now: Date): Promise<{email: string} | null> {
  const {rows} = await q.query<{email: string}>('SELECT email FROM magic_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2',
    [tokenHash, now]);
  return rows[0] ?? null;
}

/**
 * Uses a link, atomically: of two concurrent redemptions exactly one gets the address
 * (the second waits for the first's row lock, then finds `used_at` set). Null: unknown, used or expired.
 */
export async function consumeMagicLink(q: Queryable, tokenHash: Buffer, now: Date): Promise<{email: string} | null> {
  const {rows} = await q.query<{email: string}>(
    'UPDATE magic_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email', [tokenHash, now]);
  return rows[0] ?? null;
}

/** Retires an address's other outstanding links (after one was used: one sign-in, one link). */
export async function retireMagicLinks(q: Queryable, email: string, now: Date): Promise<void> {
  await q.query('UPDATE magic_links SET used_at = $2 WHERE email = $1 AND used_at IS NULL', [email, now]);
}

/** Deletes links created before `before` (long past their use and their rate-limit window). */
export async function deleteOldMagicLinks(q: Queryable, before: Date): Promise<void> {
  await q.query('DELETE FROM magic_links WHERE created_at < $1', [before]);
}

// ------------------------------------------------------------ sessions

/** Records a new session. */
export async function insertSession(q: Queryable, s: {tokenHash: Buffer; email: string; csrfSecret: string; expiresAt: Date; createdAt: Date}): Promise<void> {
  await q.query('INSERT INTO recipient_sessions (token_hash, email, csrf_secret, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)',
    [s.tokenHash, s.email, s.csrfSecret, s.expiresAt, s.createdAt]);
}

/** A live session (not revoked, not expired) by its token's hash. */
export async function findSession(q: Queryable, tokenHash: Buffer, now: Date): Promise<RecipientSessionRow | null> {
  const {rows} = await q.query<RecipientSessionRow>(
    'SELECT * FROM recipient_sessions WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2', [tokenHash, now]);
  return rows[0] ?? null;
}

/** Revokes a session (sign-out). */
export async function revokeSession(q: Queryable, tokenHash: Buffer, now: Date): Promise<void> {
  await q.query('UPDATE recipient_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL', [tokenHash, now]);
}

/** Deletes sessions that expired before `before`. */
export async function deleteExpiredSessions(q: Queryable, before: Date): Promise<void> {
  await q.query('DELETE FROM recipient_sessions WHERE expires_at < $1', [before]);
}

// ------------------------------------------------------------ profiles

/** The profile of an address, created (private, no handle) when missing. */
export async function ensureProfile(q: Queryable, email: string, now: Date): Promise<RecipientProfileRow> {
  await q.query(`INSERT INTO recipient_profiles (email, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (email) DO NOTHING`, [email, now]);
  const {rows} = await q.query<RecipientProfileRow>('SELECT * FROM recipient_profiles WHERE email = $1', [email]);
  return rows[0];
}

/** The profile that has `handle`, if any. */
export async function findProfileByHandle(q: Queryable, handle: string): Promise<RecipientProfileRow | null> {
  const {rows} = await q.query<RecipientProfileRow>('SELECT * FROM recipient_profiles WHERE handle = $1', [handle]);
  return rows[0] ?? null;
}

/** Saves the settings of a profile. A handle taken by someone else fails with unique violation 23505. */
export async function updateProfile(q: Queryable, email: string, p: {handle: string | null; displayName: string | null; profilePublic: boolean},
  now: Date): Promise<RecipientProfileRow> {
  const {rows} = await q.query<RecipientProfileRow>(
    `UPDATE recipient_profiles SET handle = $2, display_name = $3, profile_public = $4, updated_at = $5 WHERE email = $1 RETURNING *`,
    [email, p.handle, p.displayName, p.profilePublic, now]);
  return rows[0];
}

// ------------------------------------------------------------ the recipient's credentials

/** Whether any credential on this instance was issued to the address. */
export async function hasCredentials(q: Queryable, email: string): Promise<boolean> {
  const {rows} = await q.query(`SELECT 1 FROM credentials c WHERE ${RECIPIENT} = $1 AND c.recipient_email IS NOT NULL LIMIT 1`, [email]);
  return rows.length > 0;
}

/** The address's credentials across organizations, newest first (at most `limit`). */
export async function listRecipientCredentials(q: Queryable, email: string, limit: number): Promise<PortfolioCredentialRow[]> {
  const {rows} = await q.query<PortfolioCredentialRow>(
    `SELECT ${LIST_COLUMNS} ${LIST_FROM} WHERE ${RECIPIENT} = $1 AND c.recipient_email IS NOT NULL
     ORDER BY c.issued_at DESC, c.id DESC LIMIT $2`, [email, limit]);
  return rows;
}

/** One page of the address's credentials with their documents, newest first, after the keyset `after`. */
export async function pageRecipientDocuments(q: Queryable, email: string, after: {issuedAt: Date; id: string} | null,
  limit: number): Promise<PortfolioDocumentRow[]> {
  const params: unknown[] = [email, limit];
  let keyset = '';
  if(after) {
    params.push(after.issuedAt, after.id);
    keyset = ' AND (c.issued_at, c.id) < ($3, $4)';
  }
  const {rows} = await q.query<PortfolioDocumentRow>(
    `SELECT ${LIST_COLUMNS}, c.document ${LIST_FROM} WHERE ${RECIPIENT} = $1 AND c.recipient_email IS NOT NULL${keyset}
     ORDER BY c.issued_at DESC, c.id DESC LIMIT $2`, params);
  return rows;
}

/** The credentials a public profile shows: not hidden by the recipient, not revoked; newest first. */
export async function listPublicCredentials(q: Queryable, email: string, limit: number): Promise<PortfolioCredentialRow[]> {
  const {rows} = await q.query<PortfolioCredentialRow>(
    `SELECT ${LIST_COLUMNS} ${LIST_FROM} WHERE ${RECIPIENT} = $1 AND c.recipient_email IS NOT NULL
       AND c.hidden_at IS NULL AND c.status <> 'revoked'
     ORDER BY c.issued_at DESC, c.id DESC LIMIT $2`, [email, limit]);
  return rows;
}

/**
 * Hides (`hiddenAt` a date) or shows (null) a credential, only if it was issued to `email`.
 * Hiding again keeps the first date. False: no such credential of this recipient.
 */
export async function setCredentialHidden(q: Queryable, id: string, email: string, hiddenAt: Date | null):
  Promise<{organizationId: string; wasHidden: boolean; changed: boolean} | null> {
  const {rows} = await q.query<{organization_id: string; hidden_at: Date | null}>(
    `SELECT c.organization_id, c.hidden_at FROM credentials c WHERE c.id = $1 AND ${RECIPIENT} = $2 AND c.recipient_email IS NOT NULL FOR UPDATE`,
    [id, email]);
  if(!rows.length) return null;
  const wasHidden = rows[0].hidden_at !== null;
  const changed = wasHidden !== (hiddenAt !== null);
  if(changed) await q.query('UPDATE credentials SET hidden_at = $2 WHERE id = $1', [id, hiddenAt]);
  return {organizationId: rows[0].organization_id, wasHidden, changed};
}
