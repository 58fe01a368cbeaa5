/** SQL for templates, their versions, uploaded assets and the renders cache. Every tenant query is scoped to one organization. */
import type {Queryable} from './database.js';

/** A template: its current version, not its layout. */
export interface TemplateRow {
  id: string;
  organization_id: string;
  name: string;
  format: 'certificate' | 'diploma' | 'badge';
  version: number;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** One immutable version of a template's layout. */
export interface TemplateVersionRow {
  template_id: string;
  version: number;
  layout: unknown;
  created_at: Date;
}

/** An uploaded image. */
export interface AssetRow {
  id: string;
  organization_id: string;
  mime: 'image/png' | 'image/jpeg';
  sha256: Uint8Array;
  bytes: Uint8Array;
  width: number;
  height: number;
  created_at: Date;
}

/** A cached render. */
export interface RenderRow {
  credential_id: string;
  kind: string;
  template_id: string;
  template_version: number;
  fingerprint: string;
  bytes: Uint8Array;
  etag: string;
  created_at: Date;
}

/** Inserts a template and its first version. */
export async function insertTemplate(q: Queryable, t: Omit<TemplateRow, 'archived_at' | 'updated_at'>, layout: unknown): Promise<TemplateRow> {
  const {rows} = await q.query<TemplateRow>(
    `INSERT INTO templates (id, organization_id, name, format, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *`, [t.id, t.organization_id, t.name, t.format, t.version, t.created_at]);
  await insertTemplateVersion(q, t.id, t.version, layout, t.created_at);
  return rows[0];
}

/** Appends a version (versions are never updated). */
export async function insertTemplateVersion(q: Queryable, templateId: string, version: number, layout: unknown, at: Date): Promise<void> {
  await q.query('INSERT INTO template_versions (template_id, version, layout, created_at) VALUES ($1, $2, $3, $4)',
    [templateId, version, JSON.stringify(layout), at]);
}

/** One template of one organization (optionally locked for a change). */
export async function findTemplate(q: Queryable, organizationId: string, id: string, forUpdate = false): Promise<TemplateRow | null> {
  const {rows} = await q.query<TemplateRow>(
    `SELECT * FROM templates WHERE organization_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [organizationId, id]);
  return rows[0] ?? null;
}

/** Templates of one organization by ids, share-locked (an achievement is about to point at them). */
export async function findTemplatesForShare(q: Queryable, organizationId: string, ids: string[]): Promise<TemplateRow[]> {
  const {rows} = await q.query<TemplateRow>('SELECT * FROM templates WHERE organization_id = $1 AND id = ANY($2::uuid[]) FOR SHARE',
    [organizationId, ids]);
  return rows;
}

/** One version of a template (the caller has checked the template's organization). */
export async function findTemplateVersion(q: Queryable, templateId: string, version: number): Promise<TemplateVersionRow | null> {
  const {rows} = await q.query<TemplateVersionRow>('SELECT * FROM template_versions WHERE template_id = $1 AND version = $2', [templateId, version]);
  return rows[0] ?? null;
}

/** A template's versions, newest first, without their layouts. */
export async function listTemplateVersions(q: Queryable, templateId: string): Promise<{version: number; created_at: Date}[]> {
  const {rows} = await q.query<{version: number; created_at: Date}>(
    'SELECT version, created_at FROM template_versions WHERE template_id = $1 ORDER BY version DESC', [templateId]);
  return rows;
}

/** Sets a template's current version (and name). */
export async function setTemplateVersion(q: Queryable, organizationId: string, id: string, fields: {name: string; version: number; at: Date}): Promise<TemplateRow> {
  const {rows} = await q.query<TemplateRow>(
    'UPDATE templates SET name = $3, version = $4, updated_at = $5 WHERE organization_id = $1 AND id = $2 RETURNING *',
    [organizationId, id, fields.name, fields.version, fields.at]);
  return rows[0];
}

/** Archives or restores a template. */
export async function setTemplateArchived(q: Queryable, organizationId: string, id: string, at: Date | null, now: Date): Promise<TemplateRow> {
  const {rows} = await q.query<TemplateRow>(
    'UPDATE templates SET archived_at = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2 RETURNING *',
    [organizationId, id, at, now]);
  return rows[0];
}

/** A page of templates, newest first, keyset-paginated on (created_at, id). */
export async function listTemplates(q: Queryable, organizationId: string,
  opts: {format?: string; archived?: boolean; after?: {at: Date; id: string}; limit: number}): Promise<TemplateRow[]> {
  const params: unknown[] = [organizationId];
  const where = ['organization_id = $1'];
  if(opts.format) {
    params.push(opts.format);
    where.push(`format = $${params.length}`);
  }
  if(opts.archived !== undefined) where.push(opts.archived ? 'archived_at IS NOT NULL' : 'archived_at IS NULL');
  if(opts.after) {
    params.push(opts.after.at, opts.after.id);
    where.push(`(created_at, id) < ($${params.length - 1}, $${params.length}::uuid)`);
  }
  params.push(opts.limit);
  const {rows} = await q.query<TemplateRow>(
    `SELECT * FROM templates WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params);
  return rows;
}

/** A template and the layout of its current version, in one round trip. */
export async function findTemplateWithLayout(q: Queryable, organizationId: string, id: string): Promise<(TemplateRow & {layout: unknown}) | null> {
  const {rows} = await q.query<TemplateRow & {layout: unknown}>(
    `SELECT t.*, v.layout FROM templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.version
      WHERE t.organization_id = $1 AND t.id = $2`, [organizationId, id]);
  return rows[0] ?? null;
}

/**
 * The template a credential renders with, by preference: the first of `ids` that exists (the
 * achievement's choices, in order), else the organization's newest active template of `formats`
 * (in order). Id and version only: the layout is read when a render is actually made.
 */
export async function pickTemplate(q: Queryable, organizationId: string, ids: (string | null)[], formats: string[]):
  Promise<{id: string; version: number} | null> {
  const chosen = ids.filter((id): id is string => id !== null);
  const {rows} = await q.query<{id: string; version: number}>(
    `(SELECT id, version, array_position($2::uuid[], id) AS rank, NULL::timestamptz AS created_at FROM templates
       WHERE organization_id = $1 AND id = ANY($2::uuid[]))
     UNION ALL
     (SELECT id, version, 1000 + array_position($3::text[], format) AS rank, created_at FROM templates
       WHERE organization_id = $1 AND format = ANY($3::text[]) AND archived_at IS NULL)
     ORDER BY rank, created_at DESC LIMIT 1`, [organizationId, chosen, formats]);
  return rows[0] ?? null;
}

/** The layout of a template version, without the organization check (the caller resolved the template for its organization). */
export async function layoutOf(q: Queryable, templateId: string, version: number): Promise<unknown> {
  return (await findTemplateVersion(q, templateId, version))?.layout ?? null;
}

/** Inserts an asset, or finds the organization's identical one (same SHA-256). */
export async function insertAsset(q: Queryable, a: AssetRow): Promise<{row: AssetRow; created: boolean}> {
  const inserted = await q.query<AssetRow>(
    `INSERT INTO assets (id, organization_id, mime, sha256, bytes, width, height, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (organization_id, sha256) DO NOTHING RETURNING *`,
    [a.id, a.organization_id, a.mime, a.sha256, a.bytes, a.width, a.height, a.created_at]);
  if(inserted.rows[0]) return {row: inserted.rows[0], created: true};
  const {rows} = await q.query<AssetRow>('SELECT * FROM assets WHERE organization_id = $1 AND sha256 = $2', [a.organization_id, a.sha256]);
  return {row: rows[0], created: false};
}

/** One asset of one organization (with its bytes). */
export async function findAsset(q: Queryable, organizationId: string, id: string): Promise<AssetRow | null> {
  const {rows} = await q.query<AssetRow>('SELECT * FROM assets WHERE organization_id = $1 AND id = $2', [organizationId, id]);
  return rows[0] ?? null;
}

/** Which of `ids` are assets of the organization. */
export async function existingAssetIds(q: Queryable, organizationId: string, ids: string[]): Promise<Set<string>> {
  if(ids.length === 0) return new Set();
  const {rows} = await q.query<{id: string}>('SELECT id FROM assets WHERE organization_id = $1 AND id = ANY($2::uuid[])', [organizationId, ids]);
  return new Set(rows.map(r => r.id));
}

/** Points an achievement at templates (undefined: unchanged, null: none). */
export async function setAchievementTemplates(q: Queryable, organizationId: string, achievementId: string,
  t: {certificate?: string | null; diploma?: string | null; badge?: string | null}): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [organizationId, achievementId];
  for(const format of ['certificate', 'diploma', 'badge'] as const) {
    if(t[format] === undefined) continue;
    params.push(t[format]);
    sets.push(`${format}_template_id = $${params.length}`);
  }
  if(sets.length === 0) return;
  await q.query(`UPDATE achievements SET ${sets.join(', ')} WHERE organization_id = $1 AND id = $2`, params);
}

/** A cached render (with its bytes, unless only the validators are wanted). */
export async function findRender(q: Queryable, credentialId: string, kind: string): Promise<RenderRow | null> {
  const {rows} = await q.query<RenderRow>('SELECT * FROM renders WHERE credential_id = $1 AND kind = $2', [credentialId, kind]);
  return rows[0] ?? null;
}

/** Stores a render, replacing the older one of the same credential and kind. */
export async function upsertRender(q: Queryable, r: RenderRow): Promise<void> {
  await q.query(
    `INSERT INTO renders (credential_id, kind, template_id, template_version, fingerprint, bytes, etag, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (credential_id, kind) DO UPDATE SET template_id = EXCLUDED.template_id, template_version = EXCLUDED.template_version,
       fingerprint = EXCLUDED.fingerprint, bytes = EXCLUDED.bytes, etag = EXCLUDED.etag, created_at = EXCLUDED.created_at`,
    [r.credential_id, r.kind, r.template_id, r.template_version, r.fingerprint, r.bytes, r.etag, r.created_at]);
}

/** What rendering one credential needs from the database, in one round trip. */
export interface RenderSourceRow {
  id: string;
  organization_id: string;
  achievement_id: string;
  recipient_name: string;
  issued_at: Date;
  document: string;
  fields: Record<string, string> | null;
  hidden_at: Date | null;
  certificate_template_id: string | null;
  diploma_template_id: string | null;
  badge_template_id: string | null;
  /** The locale of the credential's first email, if it had one. */
  email_locale: string | null;
}

/** A credential with its achievement's template choice (restricted to one organization when given). */
export async function findRenderSource(q: Queryable, credentialId: string, organizationId?: string): Promise<RenderSourceRow | null> {
  const params: unknown[] = [credentialId];
  if(organizationId) params.push(organizationId);
  const {rows} = await q.query<RenderSourceRow>(
    `SELECT c.id, c.organization_id, c.achievement_id, c.recipient_name, c.issued_at, c.document, c.fields, c.hidden_at,
            a.certificate_template_id, a.diploma_template_id, a.badge_template_id,
            (SELECT e.locale FROM email_deliveries e WHERE e.credential_id = c.id ORDER BY e.queued_at LIMIT 1) AS email_locale
       FROM credentials c JOIN achievements a ON a.id = c.achievement_id
      WHERE c.id = $1${organizationId ? ' AND c.organization_id = $2' : ''}`, params);
  return rows[0] ?? null;
}
