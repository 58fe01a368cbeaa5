/** Achievements (OB 3.0 §B.1.1 Achievement): create, read, update, list, archive. */
import type {Achievement, Alignment} from '@laurel/core';
import {randomId} from '../crypto/tokens.js';
import {setAchievementTemplates} from '../db/templates-repo.js';
import {findAchievement, findAchievementById, findAchievementForUpdate, findAchievementsByIds, insertAchievement, listAchievements,
  setAchievementStatus, updateAchievement} from '../db/achievements-repo.js';
import type {Queryable} from '../db/database.js';
import type {AchievementRow, OrganizationRow} from '../db/rows.js';
import {notFound} from '../errors.js';
import type {Actor} from './actor.js';
import type {AuditService} from './audit.js';
import type {ServiceContext} from './context.js';
import type {OrganizationService} from './organizations.js';
import {decodeCursor, encodeCursor} from './pagination.js';
import type {TemplateChoice, TemplateService} from './templates.js';

/** Alignment to a skills framework entry, as the API takes it (OB 3.0 Alignment without `type`). */
export type AlignmentInput = Omit<Alignment, 'type'>;

/** Achievement fields as the API takes them (validated at the edge). */
export interface AchievementInput {
  name: string;
  description: string;
  criteria: {narrative?: string; url?: string};
  image?: {url: string; caption?: string};
  achievementType?: string;
  alignment?: AlignmentInput[];
  tags?: string[];
  creditsAvailable?: number;
  humanCode?: string;
  fieldOfStudy?: string;
  specialization?: string;
  /** Validity period in months; sets validUntil on issue. */
  validityMonths?: number;
  /** The proof's cryptosuite for this achievement's credentials (default eddsa-rdfc-2022). */
  cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022';
  /** The templates its credentials render with, per format (absent: unchanged; null: none). */
  templates?: TemplateChoice;
}

/** The API view of an achievement. */
export interface AchievementView extends Omit<AchievementInput, 'templates'> {
  /** The templates its credentials render with (null: the organization's newest, then the starters). */
  templates: {certificate: string | null; diploma: string | null; badge: string | null};
  id: string;
  status: 'active' | 'archived';
  createdAt: string;
  updatedAt: string;
  /** The OB 3.0 Achievement as it is embedded in credentials. */
  achievement: Achievement;
}

/** Achievement use cases. */
export class AchievementService {
  /** Rows by id, kept only when this process is the database's only writer (PGlite). */
  private readonly rows = new Map<string, AchievementRow>();

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService, private readonly audit: AuditService,
    private readonly templates?: TemplateService) {}

  /** Checks and stores an achievement's template choice inside its transaction; the row as it is now. */
  private async applyTemplates(tx: Queryable, org: OrganizationRow, row: AchievementRow, choice: TemplateChoice | undefined): Promise<AchievementRow> {
    // Only what changes is checked: keeping a template that was archived since is fine.
    const current = this.view(org, row).templates;
    const changes = Object.fromEntries(Object.entries(choice ?? {})
      .filter(([format, id]) => id !== undefined && id?.toLowerCase() !== current[format as keyof typeof current])) as TemplateChoice;
    if(Object.keys(changes).length === 0) return row;
    if(!this.templates) throw new Error('templates are not wired');
    await this.templates.checkChoice(tx, org, changes);
    await setAchievementTemplates(tx, org.id, row.id, changes);
    return (await findAchievement(tx, org.id, row.id))!;
  }

  private remember(row: AchievementRow): AchievementRow {
    if(this.ctx.db.exclusive) {
      if(this.rows.size >= 10_000) this.rows.delete(this.rows.keys().next().value as string);
      this.rows.set(row.id, row);
    }
    return row;
  }

  /**
   * Achievement rows for issuing, read inside the issuing transaction. On PGlite
   * every change goes through this service, so the in-memory copies are exact.
   */
  async rowsForIssuing(tx: Queryable, ids: string[]): Promise<AchievementRow[]> {
    if(!this.ctx.db.exclusive) return findAchievementsByIds(tx, ids);
    const missing = ids.filter(id => !this.rows.has(id));
    if(missing.length) for(const row of await findAchievementsByIds(tx, missing)) this.remember(row);
    return ids.flatMap(id => this.rows.get(id) ?? []);
  }

  /** The OB 3.0 Achievement object for a row. */
  toOpenBadge(org: OrganizationRow, row: AchievementRow): Achievement {
    const d = row.data as unknown as AchievementInput;
    return {
      id: `${this.orgs.baseUrl(org)}/achievements/${row.id}`,
      type: ['Achievement'],
      name: d.name,
      description: d.description,
      criteria: {...(d.criteria.url ? {id: d.criteria.url} : {}), ...(d.criteria.narrative ? {narrative: d.criteria.narrative} : {})},
      ...(d.achievementType ? {achievementType: d.achievementType} : {}),
      ...(d.image ? {image: {id: d.image.url, type: 'Image' as const, ...(d.image.caption ? {caption: d.image.caption} : {})}} : {}),
      ...(d.alignment?.length ? {alignment: d.alignment.map(a => ({type: ['Alignment'] as ['Alignment'], ...a}))} : {}),
      ...(d.tags?.length ? {tag: d.tags} : {}),
      ...(d.creditsAvailable !== undefined ? {creditsAvailable: d.creditsAvailable} : {}),
      ...(d.humanCode ? {humanCode: d.humanCode} : {}),
      ...(d.fieldOfStudy ? {fieldOfStudy: d.fieldOfStudy} : {}),
      ...(d.specialization ? {specialization: d.specialization} : {}),
    };
  }

  /** API view of a row. */
  view(org: OrganizationRow, row: AchievementRow): AchievementView {
    return {
      ...(row.data as unknown as AchievementInput),
      templates: {certificate: row.certificate_template_id ?? null, diploma: row.diploma_template_id ?? null, badge: row.badge_template_id ?? null},
      id: row.id,
      status: row.status,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      achievement: this.toOpenBadge(org, row),
    };
  }

  /** Creates an achievement. */
  async create(org: OrganizationRow, input: AchievementInput, actor: Actor): Promise<AchievementView> {
    const {templates, ...data} = input;
    const row = await this.ctx.db.transaction(async tx => {
      const created = await this.applyTemplates(tx, org, await insertAchievement(tx, {
        id: randomId(), organization_id: org.id, name: input.name, data: {...data},
        validity_months: input.validityMonths ?? null, status: 'active', created_at: this.ctx.now(),
      }), templates);
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'achievement.created', subjectType: 'achievement', subjectId: created.id,
        after: {status: created.status, ...created.data, ...(templates ? {templates: this.view(org, created).templates} : {})}}]);
      return created;
    });
    // Remembered only once committed: a rolled-back row must not be issued from.
    return this.view(org, this.remember(row));
  }

  /** An achievement row of this organization, or 404. */
  async getRow(org: OrganizationRow, id: string): Promise<AchievementRow> {
    const row = await findAchievement(this.ctx.db, org.id, id);
    if(!row) throw notFound('ACHIEVEMENT_NOT_FOUND', `Achievement ${id}`);
    return row;
  }

  /** Reads one achievement. */
  async get(org: OrganizationRow, id: string): Promise<AchievementView> {
    return this.view(org, await this.getRow(org, id));
  }

  /** Replaces an achievement's fields. Credentials already issued keep their copy. */
  async update(org: OrganizationRow, id: string, input: AchievementInput, actor: Actor): Promise<AchievementView> {
    const {templates, ...data} = input;
    const row = await this.ctx.db.transaction(async tx => {
      const old = await findAchievementForUpdate(tx, org.id, id);
      if(!old) throw notFound('ACHIEVEMENT_NOT_FOUND', `Achievement ${id}`);
      const updated = await this.applyTemplates(tx, org, (await updateAchievement(tx, org.id, id,
        {name: input.name, data: {...data}, validity_months: input.validityMonths ?? null, updated_at: this.ctx.now()}))!, templates);
      const [before, after] = [this.view(org, old).templates, this.view(org, updated).templates];
      const moved = JSON.stringify(before) !== JSON.stringify(after);
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'achievement.updated', subjectType: 'achievement', subjectId: id,
        before: moved ? {...old.data, templates: before} : old.data, after: moved ? {...updated.data, templates: after} : updated.data}]);
      return updated;
    });
    return this.view(org, this.remember(row));
  }

  /** Archives (or restores) an achievement: archived ones cannot be issued. Setting the status it has changes nothing. */
  async setStatus(org: OrganizationRow, id: string, status: 'active' | 'archived', actor: Actor): Promise<AchievementView> {
    const row = await this.ctx.db.transaction(async tx => {
      const old = await findAchievementForUpdate(tx, org.id, id);
      if(!old) throw notFound('ACHIEVEMENT_NOT_FOUND', `Achievement ${id}`);
      if(old.status === status) return old;
      const updated = (await setAchievementStatus(tx, org.id, id, status, this.ctx.now()))!;
      await this.audit.append(tx, [{organizationId: org.id, actor, action: status === 'archived' ? 'achievement.archived' : 'achievement.unarchived',
        subjectType: 'achievement', subjectId: id, before: {status: old.status}, after: {status}}]);
      return updated;
    });
    return this.view(org, this.remember(row));
  }

  /** A page of achievements. */
  async list(org: OrganizationRow, opts: {status?: 'active' | 'archived'; cursor?: string; limit: number}): Promise<{items: AchievementView[]; nextCursor: string | null}> {
    const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
    const rows = await listAchievements(this.ctx.db, org.id, {status: opts.status, after: after && {createdAt: after.at, id: after.id}, limit: opts.limit + 1});
    const page = rows.slice(0, opts.limit);
    const last = page[page.length - 1];
    return {items: page.map(r => this.view(org, r)), nextCursor: rows.length > opts.limit && last ? encodeCursor(last.created_at, last.id) : null};
  }

  /** Public lookup by id (the achievement's URL). */
  findPublic(id: string): Promise<AchievementRow | null> {
    return findAchievementById(this.ctx.db, id);
  }
}
