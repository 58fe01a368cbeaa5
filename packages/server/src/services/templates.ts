/**
 * Templates: an organization's certificate, diploma and badge layouts. Each change of
 * layout is a new immutable version (renders record the version they were made from);
 * the format never changes. Validation answers per block, for a visual designer.
 */
import {createHash, randomUUID} from 'node:crypto';
import type {Queryable} from '../db/database.js';
import type {OrganizationRow} from '../db/rows.js';
import {findTemplate, findTemplatesForShare, findTemplateVersion, findTemplateWithLayout, insertTemplate, insertTemplateVersion,
  listTemplates, listTemplateVersions, setTemplateArchived, setTemplateVersion, type TemplateRow} from '../db/templates-repo.js';
import {DomainError, notFound} from '../errors.js';
// The drawing stack (pdfkit, fontkit, resvg) is loaded by the first preview, not with the server: see renders.ts.
import {STARTER_TEMPLATES} from '../render/starters.js';
import {type AssetLoader, type Brand, DEFAULT_BRAND, type RenderData, type TemplateFormat, type TemplateLayout,
  type TemplateProblem} from '../render/template.js';
import {validateTemplate} from '../render/validate.js';
import type {Actor} from './actor.js';
import type {AssetService} from './assets.js';
import type {AuditService} from './audit.js';
import type {ServiceContext} from './context.js';
import {decodeCursor, encodeCursor} from './pagination.js';

/** The starter templates' keys. */
export type StarterKey = 'classic-certificate' | 'modern-diploma' | 'round-badge';

/** An organization's brand for renders: its colours, or Laurel's defaults (the render module's navy and gold). */
export function brandOf(org: OrganizationRow): Brand {
  return {primary: org.brand_color ?? DEFAULT_BRAND.primary, secondary: org.brand_secondary_color ?? DEFAULT_BRAND.secondary, text: DEFAULT_BRAND.text};
}

/** The API view of a template (with the layout of its current version when read one at a time). */
export interface TemplateView {
  id: string;
  name: string;
  format: TemplateFormat;
  version: number;
  status: 'active' | 'archived';
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
  layout?: TemplateLayout;
}

/** One version of a template. */
export interface TemplateVersionView {
  templateId: string;
  version: number;
  createdAt: string;
  layout: TemplateLayout;
}

/** Sample values a preview may override (validated at the edge). */
export interface SampleOverrides {
  recipient?: {name?: string};
  achievement?: {name?: string; description?: string; type?: string};
  issuer?: {name?: string; url?: string};
  issuedOn?: string;
  validUntil?: string;
  fields?: Record<string, string>;
  locale?: 'en' | 'sv';
}

/** What a preview renders: a draft layout or a stored version. */
export type PreviewSource = {layout: unknown} | {templateId: string; version?: number};

/** Which template formats an achievement slot takes. */
export interface TemplateChoice {
  certificate?: string | null;
  diploma?: string | null;
  badge?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** JSON with sorted keys: jsonb does not keep key order, so layouts are compared this way. */
function stableJson(value: unknown): string {
  if(Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if(value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of a layout (what audit entries record instead of the whole layout). */
export function layoutHash(layout: unknown): string {
  return createHash('sha256').update(stableJson(layout)).digest('hex');
}

/** Every asset a layout references, with where. */
function assetRefs(layout: TemplateLayout): {assetId: string; blockId?: string; path: (string | number)[]}[] {
  const refs: {assetId: string; blockId?: string; path: (string | number)[]}[] = [];
  if(layout.background.kind === 'image') refs.push({assetId: layout.background.assetId, path: ['background', 'assetId']});
  layout.blocks.forEach((block, i) => {
    if(block.type === 'image' && typeof block.source === 'object') refs.push({assetId: block.source.assetId, blockId: block.id, path: ['blocks', i, 'source', 'assetId']});
    if(block.type === 'signature' && block.assetId) refs.push({assetId: block.assetId, blockId: block.id, path: ['blocks', i, 'assetId']});
  });
  return refs;
}

const invalidTemplate = (problems: TemplateProblem[]) => new DomainError('TEMPLATE_INVALID', 422,
  `The template layout has ${problems.length} problem${problems.length === 1 ? '' : 's'}; see problems (per block).`, {problems});

function view(row: TemplateRow, layout?: unknown): TemplateView {
  return {
    id: row.id, name: row.name, format: row.format, version: row.version, status: row.archived_at ? 'archived' : 'active',
    archivedAt: row.archived_at?.toISOString() ?? null, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
    ...(layout !== undefined ? {layout: layout as TemplateLayout} : {}),
  };
}

/** Template use cases. */
export class TemplateService {
  constructor(private readonly ctx: ServiceContext, private readonly assets: AssetService, private readonly audit: AuditService) {}

  /** Validates an untrusted layout and checks its asset references in the organization: the layout, or every problem. */
  async check(q: Queryable, org: OrganizationRow, input: unknown): Promise<{ok: true; layout: TemplateLayout} | {ok: false; problems: TemplateProblem[]}> {
    const result = validateTemplate(input);
    if(!result.ok) return result;
    const refs = assetRefs(result.layout);
    if(refs.length === 0) return result;
    const found = await this.assets.existing(q, org, refs.map(r => r.assetId));
    const problems: TemplateProblem[] = refs.filter(r => !found.has(r.assetId)).map(r => ({
      code: 'TEMPLATE_ASSET_NOT_FOUND', ...(r.blockId ? {blockId: r.blockId} : {}), path: r.path,
      message: `Asset ${r.assetId} was not found; upload the image with POST /api/v1/assets and use its id.`,
    }));
    return problems.length ? {ok: false, problems} : result;
  }

  /** `POST /api/v1/templates/validate`: never throws for an invalid layout. */
  async validate(org: OrganizationRow, layout: unknown): Promise<{valid: boolean; problems: TemplateProblem[]}> {
    const result = await this.check(this.ctx.db, org, layout);
    return result.ok ? {valid: true, problems: []} : {valid: false, problems: result.problems};
  }

  /** The layout of a starter template, checked like any other. */
  starterLayout(key: StarterKey): {name: string; layout: TemplateLayout} {
    const starter = STARTER_TEMPLATES.find(s => s.key === key);
    if(!starter) throw new DomainError('VALIDATION_FAILED', 400, `There is no starter template "${key}".`, {errors: [{path: 'starter', message: 'unknown starter'}]});
    const result = validateTemplate(starter.layout);
    if(!result.ok) throw new Error(`starter template ${key} is invalid: ${result.problems.map(p => p.message).join('; ')}`);
    return {name: starter.name, layout: result.layout};
  }

  /** Creates a template (version 1) from a layout or a copy of a starter. */
  async create(org: OrganizationRow, input: {name?: string; layout?: unknown; starter?: StarterKey}, actor: Actor): Promise<TemplateView> {
    const starter = input.starter ? this.starterLayout(input.starter) : null;
    const name = input.name ?? starter?.name;
    if(!name) throw new DomainError('VALIDATION_FAILED', 400, 'A template needs a name.', {errors: [{path: 'name', message: 'required'}]});
    return this.ctx.db.transaction(async tx => {
      let layout: TemplateLayout;
      if(starter) layout = starter.layout;
      else {
        const checked = await this.check(tx, org, input.layout);
        if(!checked.ok) throw invalidTemplate(checked.problems);
        layout = checked.layout;
      }
      const row = await insertTemplate(tx, {id: randomUUID(), organization_id: org.id, name, format: layout.format, version: 1, created_at: this.ctx.now()}, layout);
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'template.created', subjectType: 'template', subjectId: row.id,
        after: {name, format: row.format, version: 1, layoutSha256: layoutHash(layout), ...(input.starter ? {starter: input.starter} : {})}}]);
      return view(row, layout);
    });
  }

  /** A template of this organization, or 404. */
  private async row(q: Queryable, org: OrganizationRow, id: string, forUpdate = false): Promise<TemplateRow> {
    const row = UUID.test(id) ? await findTemplate(q, org.id, id, forUpdate) : null;
    if(!row) throw notFound('TEMPLATE_NOT_FOUND', `Template ${id}`);
    return row;
  }

  /** A template with the layout of its current version. */
  async get(org: OrganizationRow, id: string): Promise<TemplateView> {
    const row = UUID.test(id) ? await findTemplateWithLayout(this.ctx.db, org.id, id) : null;
    if(!row) throw notFound('TEMPLATE_NOT_FOUND', `Template ${id}`);
    return view(row, row.layout);
  }

  /**
   * A new version of the layout (and optionally a new name). Versions are immutable; an
   * archived template takes no changes (409); the format cannot change (422). The same layout
   * again makes no new version (a rename alone changes nothing that renders).
   */
  async update(org: OrganizationRow, id: string, input: {name?: string; layout: unknown}, actor: Actor): Promise<TemplateView> {
    return this.ctx.db.transaction(async tx => {
      const old = await this.row(tx, org, id, true);
      if(old.archived_at) throw new DomainError('TEMPLATE_ARCHIVED', 409, `Template ${id} is archived; restore it before changing it.`);
      const checked = await this.check(tx, org, input.layout);
      if(!checked.ok) throw invalidTemplate(checked.problems);
      const layout = checked.layout;
      if(layout.format !== old.format) {
        throw new DomainError('TEMPLATE_FORMAT_MISMATCH', 422, `Template ${id} is a ${old.format} template; its format cannot become ${layout.format}. Create a new template instead.`,
          {errors: [{path: 'layout.format', message: `must stay ${old.format}`}]});
      }
      const current = await findTemplateVersion(tx, old.id, old.version);
      const sameLayout = current !== null && stableJson(current.layout) === stableJson(layout);
      const name = input.name ?? old.name;
      if(sameLayout && name === old.name) return view(old, current!.layout);
      const now = this.ctx.now();
      const version = sameLayout ? old.version : old.version + 1;
      if(!sameLayout) await insertTemplateVersion(tx, old.id, version, layout, now);
      const row = await setTemplateVersion(tx, org.id, old.id, {name, version, at: now});
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'template.updated', subjectType: 'template', subjectId: old.id,
        before: {name: old.name, version: old.version}, after: {name, version, ...(sameLayout ? {} : {layoutSha256: layoutHash(layout)})}}]);
      return view(row, layout);
    });
  }

  /** Archives or restores a template; setting the status it has changes nothing. */
  async setStatus(org: OrganizationRow, id: string, status: 'active' | 'archived', actor: Actor): Promise<TemplateView> {
    return this.ctx.db.transaction(async tx => {
      const old = await this.row(tx, org, id, true);
      if((old.archived_at !== null) === (status === 'archived')) return view(old);
      const now = this.ctx.now();
      const row = await setTemplateArchived(tx, org.id, id, status === 'archived' ? now : null, now);
      await this.audit.append(tx, [{organizationId: org.id, actor, action: status === 'archived' ? 'template.archived' : 'template.unarchived',
        subjectType: 'template', subjectId: id, before: {status: old.archived_at ? 'archived' : 'active'}, after: {status}}]);
      return view(row);
    });
  }

  /** A page of templates, newest first (without layouts). */
  async list(org: OrganizationRow, q: {format?: TemplateFormat; status?: 'active' | 'archived'; cursor?: string; limit: number}):
    Promise<{items: TemplateView[]; nextCursor: string | null}> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    if(after && !UUID.test(after.id)) throw new DomainError('VALIDATION_FAILED', 400, 'The cursor is not valid; pass back nextCursor exactly as received.',
      {errors: [{path: 'cursor', message: 'invalid cursor'}]});
    const rows = await listTemplates(this.ctx.db, org.id, {format: q.format, archived: q.status === undefined ? undefined : q.status === 'archived',
      after, limit: q.limit + 1});
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {items: page.map(r => view(r)), nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null};
  }

  /** A template's versions, newest first. */
  async versions(org: OrganizationRow, id: string): Promise<{items: {version: number; createdAt: string; current: boolean}[]}> {
    const row = await this.row(this.ctx.db, org, id);
    const versions = await listTemplateVersions(this.ctx.db, row.id);
    return {items: versions.map(v => ({version: v.version, createdAt: v.created_at.toISOString(), current: v.version === row.version}))};
  }

  /** One version of a template. */
  async version(org: OrganizationRow, id: string, version: number): Promise<TemplateVersionView> {
    const row = await this.row(this.ctx.db, org, id);
    const found = Number.isSafeInteger(version) && version > 0 ? await findTemplateVersion(this.ctx.db, row.id, version) : null;
    if(!found) throw notFound('TEMPLATE_VERSION_NOT_FOUND', `Version ${version} of template ${id}`);
    return {templateId: row.id, version: found.version, createdAt: found.created_at.toISOString(), layout: found.layout as TemplateLayout};
  }

  /**
   * Checks the templates an achievement is about to use (inside its transaction, share-locked
   * so an archive cannot slip in between): each must be the organization's, active, and of
   * the slot's format.
   */
  async checkChoice(tx: Queryable, org: OrganizationRow, choice: TemplateChoice): Promise<void> {
    const wanted = (['certificate', 'diploma', 'badge'] as const).flatMap(format => {
      const id = choice[format];
      return typeof id === 'string' ? [{format, id}] : [];
    });
    if(wanted.length === 0) return;
    const valid = wanted.filter(w => UUID.test(w.id));
    const rows = new Map((valid.length ? await findTemplatesForShare(tx, org.id, valid.map(w => w.id)) : []).map(r => [r.id, r]));
    for(const {format, id} of wanted) {
      const row = rows.get(id.toLowerCase());
      if(!row) throw new DomainError('TEMPLATE_NOT_FOUND', 404, `Template ${id} was not found.`, {errors: [{path: `templates.${format}`, message: 'not found'}]});
      if(row.format !== format) {
        throw new DomainError('TEMPLATE_FORMAT_MISMATCH', 422, `Template ${id} is a ${row.format} template; templates.${format} needs a ${format} template.`,
          {errors: [{path: `templates.${format}`, message: `is a ${row.format} template`}]});
      }
      if(row.archived_at) {
        throw new DomainError('TEMPLATE_ARCHIVED', 422, `Template ${id} is archived; restore it or pick another.`,
          {errors: [{path: `templates.${format}`, message: 'is archived'}]});
      }
    }
  }

  /** Renders a draft or stored layout with sample data and the organization's brand. Reads only: nothing is stored. */
  async preview(org: OrganizationRow, source: PreviewSource, format: 'pdf' | 'png' | 'svg', sample: SampleOverrides = {}, width?: number):
    Promise<{contentType: string; body: Buffer | string}> {
    let layout: TemplateLayout;
    if('layout' in source) {
      const checked = await this.check(this.ctx.db, org, source.layout);
      if(!checked.ok) throw invalidTemplate(checked.problems);
      layout = checked.layout;
    } else {
      const row = await this.row(this.ctx.db, org, source.templateId);
      const version = source.version ?? row.version;
      const stored = await findTemplateVersion(this.ctx.db, row.id, version);
      if(!stored) throw notFound('TEMPLATE_VERSION_NOT_FOUND', `Version ${version} of template ${source.templateId}`);
      const checked = validateTemplate(stored.layout);
      if(!checked.ok) throw invalidTemplate(checked.problems);
      layout = checked.layout;
    }
    const {renderPdf, renderPng, renderSvg, sampleLogo, sampleRenderData} = await import('../render/index.js');
    const brand = brandOf(org);
    const data = withSample(sampleRenderData(sample.locale ?? 'en', brand), sample);
    // A preview of an organization without an uploaded logo shows a placeholder where the logo goes.
    const own = this.assets.loader(org);
    const assets: AssetLoader = {logo: async () => await own.logo() ?? sampleLogo(brand), asset: id => own.asset(id)};
    switch(format) {
      case 'pdf': return {contentType: 'application/pdf', body: await renderPdf(layout, data, assets)};
      case 'png': return {contentType: 'image/png', body: await renderPng(layout, data, assets, width ? {width} : {})};
      case 'svg': return {contentType: 'image/svg+xml; charset=utf-8', body: await renderSvg(layout, data, assets)};
    }
  }
}

/** Sample data with a preview's overrides. */
function withSample(data: RenderData, s: SampleOverrides): RenderData {
  return {
    ...data,
    recipient: {...data.recipient, ...s.recipient},
    achievement: {...data.achievement, ...s.achievement},
    issuer: {...data.issuer, ...s.issuer},
    ...(s.issuedOn ? {issuedOn: s.issuedOn} : {}),
    ...(s.validUntil ? {validUntil: s.validUntil} : {}),
    fields: {...data.fields, ...s.fields},
    locale: s.locale ?? data.locale,
  };
}
