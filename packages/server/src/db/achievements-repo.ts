/** SQL for achievements. Every query is scoped to one organization. */
import type {Queryable} from './database.js';
import type {AchievementRow} from './rows.js';

/** Inserts an achievement. */
export async function insertAchievement(q: Queryable, a: Omit<AchievementRow, 'updated_at'>): Promise<AchievementRow> {
  // Timestamps come from the app clock (millisecond precision) so keyset cursors round-trip exactly.
  const {rows} = await q.query<AchievementRow>(
    `INSERT INTO achievements (id, organization_id, name, data, validity_months, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *`,
    [a.id, a.organization_id, a.name, JSON.stringify(a.data), a.validity_months, a.status, a.created_at]);
  return rows[0];
}

/** One achievement of one organization. */
export async function findAchievement(q: Queryable, organizationId: string, id: string): Promise<AchievementRow | null> {
  const {rows} = await q.query<AchievementRow>('SELECT * FROM achievements WHERE organization_id = $1 AND id = $2', [organizationId, id]);
  return rows[0] ?? null;
}

/** One achievement by id alone (public pages). */
export async function findAchievementById(q: Queryable, id: string): Promise<AchievementRow | null> {
  const {rows} = await q.query<AchievementRow>('SELECT * FROM achievements WHERE id = $1', [id]);
  return rows[0] ?? null;
}

/** One achievement of one organization, locked for a change. */
export async function findAchievementForUpdate(q: Queryable, organizationId: string, id: string): Promise<AchievementRow | null> {
  const {rows} = await q.query<AchievementRow>('SELECT * FROM achievements WHERE organization_id = $1 AND id = $2 FOR UPDATE', [organizationId, id]);
  return rows[0] ?? null;
}

/** Achievements by ids (any organization; callers match the organization). */
export async function findAchievementsByIds(q: Queryable, ids: string[]): Promise<AchievementRow[]> {
  const {rows} = await q.query<AchievementRow>('SELECT * FROM achievements WHERE id = ANY($1)', [ids]);
  return rows;
}

/** Replaces an achievement's data. */
export async function updateAchievement(q: Queryable, organizationId: string, id: string,
  fields: {name: string; data: Record<string, unknown>; validity_months: number | null; updated_at: Date}): Promise<AchievementRow | null> {
  const {rows} = await q.query<AchievementRow>(
    `UPDATE achievements SET name = $3, data = $4, validity_months = $5, updated_at = $6
     WHERE organization_id = $1 AND id = $2 RETURNING *`,
    [organizationId, id, fields.name, JSON.stringify(fields.data), fields.validity_months, fields.updated_at]);
  return rows[0] ?? null;
}

/** Sets an achievement's status. */
export async function setAchievementStatus(q: Queryable, organizationId: string, id: string, status: 'active' | 'archived', at: Date): Promise<AchievementRow | null> {
  const {rows} = await q.query<AchievementRow>(
    'UPDATE achievements SET status = $3, updated_at = $4 WHERE organization_id = $1 AND id = $2 RETURNING *',
    [organizationId, id, status, at]);
  return rows[0] ?? null;
}

/** A page of achievements, newest first, keyset-paginated on (created_at, id). */
export async function listAchievements(q: Queryable, organizationId: string,
  opts: {status?: string; after?: {createdAt: Date; id: string}; limit: number}): Promise<AchievementRow[]> {
  const params: unknown[] = [organizationId];
  let where = 'organization_id = $1';
  if(opts.status) {
    params.push(opts.status);
    where += ` AND status = $${params.length}`;
  }
  if(opts.after) {
    params.push(opts.after.createdAt, opts.after.id);
    where += ` AND (created_at, id) < ($${params.length - 1}, $${params.length})`;
  }
  params.push(opts.limit);
  const {rows} = await q.query<AchievementRow>(
    `SELECT * FROM achievements WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`, params);
  return rows;
}
