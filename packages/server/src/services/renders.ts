/**
 * Rendered artifacts of issued credentials: the certificate PDF (with the signed
 * credential attached), its PNG, the Open Graph image, and the baked badge (PNG and
 * SVG). Made on demand, once per credential and kind at a time (single-flight), and
 * cached in `renders` for as long as the template version and the brand that made
 * them are current.
 */
import {createHash} from 'node:crypto';
import {bakePng, bakeSvg} from '@laurel/core';
import type {OrganizationRow} from '../db/rows.js';
import {findRender, findRenderSource, layoutOf, pickTemplate, type RenderSourceRow, upsertRender} from '../db/templates-repo.js';
import {notFound} from '../errors.js';
import type {RenderData, TemplateLayout} from '../render/template.js';
import {validateTemplate} from '../render/validate.js';
import type {AssetService} from './assets.js';
import type {ServiceContext} from './context.js';
import type {AttachmentContext} from './mail/email.js';
import type {MailAttachment} from './mail/transport.js';
import type {OrganizationService} from './organizations.js';
import {brandOf, type StarterKey, type TemplateService} from './templates.js';

/**
 * Bump when the renderers change what they draw: every cached render made before is
 * then made again on its next request (it is part of each render's fingerprint).
 */
export const RENDER_ENGINE_VERSION = 1;

/** What can be rendered for a credential, by the file name it is served under. */
export const RENDER_KINDS = {
  'certificate.pdf': 'application/pdf',
  'image.png': 'image/png',
  'og.png': 'image/png',
  'badge.png': 'image/png',
  'badge.svg': 'image/svg+xml; charset=utf-8',
} as const;
export type RenderKind = keyof typeof RENDER_KINDS;

/** A rendered artifact. */
export interface Rendered {
  kind: RenderKind;
  bytes: Buffer;
  /** Strong validator over the bytes. */
  etag: string;
  contentType: string;
  /** A safe download name, ASCII only. */
  filename: string;
}

/** The template a render uses: a stored one (uuid) or a starter (`starter:<key>`), at a version. */
interface ChosenTemplate {
  ref: string;
  version: number;
}

/** A credential with everything a render needs. */
interface Source {
  row: RenderSourceRow;
  org: OrganizationRow;
  document: Record<string, unknown>;
}

/** Lower-case ASCII words joined by hyphens (download names). */
function slugPart(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40)
    .replace(/-+$/, '');
}

const str = (v: unknown): string | undefined => typeof v === 'string' && v.length ? v : undefined;

/** The render data of a stored credential: its signed document, row and organization. */
export function renderDataOf(source: Source): RenderData {
  const {row, org, document} = source;
  const subject = (document.credentialSubject ?? {}) as {achievement?: Record<string, unknown>};
  const achievement = subject.achievement ?? {};
  const issuer = (typeof document.issuer === 'object' && document.issuer ? document.issuer : {}) as Record<string, unknown>;
  const locale = row.email_locale?.toLowerCase().startsWith('sv') ? 'sv' : 'en';
  const validUntil = str(document.validUntil);
  return {
    recipient: {name: row.recipient_name},
    achievement: {name: str(achievement.name) ?? '', description: str(achievement.description), type: str(achievement.achievementType)},
    issuer: {name: str(issuer.name) ?? org.name, url: str(issuer.url)},
    issuedOn: str(document.validFrom) ?? row.issued_at.toISOString(),
    ...(validUntil ? {validUntil} : {}),
    // The credential's id is its public page: the QR code and the "verify at" line point there.
    credential: {id: String(document.id), url: String(document.id)},
    fields: {...(row.fields ?? {})},
    locale,
    brand: brandOf(org),
  };
}

/** Renders, caching and the email attachment. */
/** The most bytes of renders kept in memory per process (the `renders` table holds them all). */
export const RENDER_MEMORY_BYTES = 64 * 1024 * 1024;

/**
 * Renders kept in memory, least recently used out first, bounded by their total size. The key
 * carries everything a render depends on (credential, kind, template and version, fingerprint),
 * so a stale entry is never found: it just ages out.
 */
class RenderMemory {
  private readonly map = new Map<string, Rendered>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Rendered | undefined {
    const hit = this.map.get(key);
    if(hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: Rendered): void {
    if(value.bytes.length > this.maxBytes / 8) return;
    const old = this.map.get(key);
    if(old) this.bytes -= old.bytes.length;
    this.map.delete(key);
    this.map.set(key, value);
    this.bytes += value.bytes.length;
    for(const [k, v] of this.map) {
      if(this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.bytes.length;
    }
  }
}

export class RenderService {
  private readonly inflight = new Map<string, Promise<Rendered>>();
  private readonly memory = new RenderMemory(RENDER_MEMORY_BYTES);
  private readonly starterCache = new Map<StarterKey, {layout: TemplateLayout; hash: string}>();
  /** Where a render that failed for an email is reported (createLaurel: the app's logger). */
  onError: (error: unknown, message: string) => void = (error, message) => console.error(message, error);

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService, private readonly assets: AssetService,
    private readonly templates: TemplateService) {}

  /**
   * A credential's render for the public routes: unknown, hidden (its recipient took it out of
   * public view) and, on an organization's own domain, another organization's credential all
   * answer the same 404.
   */
  async forPublic(id: string, kind: RenderKind, hostOrg: OrganizationRow | null): Promise<Rendered> {
    const source = /^[A-Za-z0-9_-]{1,100}$/.test(id) ? await this.source(id, hostOrg?.id) : null;
    if(!source || source.row.hidden_at) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
    return this.get(source, kind);
  }

  /**
   * A credential's render for its recipient (the portfolio export), hidden or not: the caller
   * has already checked that the credential is theirs. Unknown ids answer 404.
   */
  async forOwner(id: string, kind: RenderKind): Promise<Rendered> {
    const source = /^[A-Za-z0-9_-]{1,100}$/.test(id) ? await this.source(id) : null;
    if(!source) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
    return this.get(source, kind);
  }

  /**
   * The email hook: the certificate PDF when the credential's achievement has a certificate
   * or diploma template (the "PDF attached where the template exists"). A render
   * that fails is reported and the email goes without it: the email service would otherwise
   * give the delivery up as unrenderable, and the message's link still leads to the credential.
   */
  async emailAttachments(context: AttachmentContext): Promise<MailAttachment[]> {
    const source = await this.source(context.delivery.credential_id, context.organization.id);
    if(!source || (!source.row.certificate_template_id && !source.row.diploma_template_id)) return [];
    try {
      const pdf = await this.get(source, 'certificate.pdf');
      return [{filename: pdf.filename, contentType: 'application/pdf', content: pdf.bytes}];
    } catch(error) {
      this.onError(error, `the certificate PDF of credential ${source.row.id} could not be rendered; the email goes without it`);
      return [];
    }
  }

  private async source(id: string, organizationId?: string): Promise<Source | null> {
    const row = await findRenderSource(this.ctx.db, id, organizationId);
    if(!row) return null;
    const org = await this.orgs.find('id', row.organization_id);
    if(!org) return null;
    return {row, org, document: JSON.parse(row.document) as Record<string, unknown>};
  }

  /** A render from the cache while it is current, else made (once at a time per credential and kind) and stored. */
  private get(source: Source, kind: RenderKind): Promise<Rendered> {
    const key = `${source.row.id}\u0000${kind}`;
    let running = this.inflight.get(key);
    if(!running) {
      running = this.obtain(source, kind).finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    return running;
  }

  private async obtain(source: Source, kind: RenderKind): Promise<Rendered> {
    const template = await this.choose(source, kind);
    const fingerprint = this.fingerprint(source, kind, template);
    const memoryKey = [source.row.id, kind, template.ref, template.version, fingerprint].join('\u0000');
    const remembered = this.memory.get(memoryKey);
    if(remembered) return remembered;
    const cached = await findRender(this.ctx.db, source.row.id, kind);
    const filename = this.filename(source, kind);
    const contentType = RENDER_KINDS[kind];
    let rendered: Rendered;
    if(cached && cached.template_id === template.ref && cached.template_version === template.version && cached.fingerprint === fingerprint) {
      rendered = {kind, bytes: Buffer.from(cached.bytes), etag: cached.etag, contentType, filename};
    } else {
      const bytes = await this.make(source, kind, template);
      const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 32)}"`;
      await upsertRender(this.ctx.db, {credential_id: source.row.id, kind, template_id: template.ref, template_version: template.version,
        fingerprint, bytes, etag, created_at: this.ctx.now()});
      rendered = {kind, bytes, etag, contentType, filename};
    }
    this.memory.set(memoryKey, rendered);
    return rendered;
  }

  /** Whether the Open Graph image shows the badge (an achievement that picked only a badge template) or the certificate. */
  private ogShowsBadge(source: Source): boolean {
    const r = source.row;
    return r.badge_template_id !== null && r.certificate_template_id === null && r.diploma_template_id === null;
  }

  /**
   * The template of a render: for certificates the achievement's certificate template, else its
   * diploma template, else the organization's newest active certificate template, else the
   * classic-certificate starter; for badges the achievement's badge template, else the
   * organization's newest, else the round-badge starter.
   */
  private async choose(source: Source, kind: RenderKind): Promise<ChosenTemplate> {
    const badge = kind === 'badge.png' || kind === 'badge.svg' || (kind === 'og.png' && this.ogShowsBadge(source));
    const r = source.row;
    const picked = badge
      ? await pickTemplate(this.ctx.db, source.org.id, [r.badge_template_id], ['badge'])
      : await pickTemplate(this.ctx.db, source.org.id, [r.certificate_template_id, r.diploma_template_id], ['certificate']);
    if(picked) return {ref: picked.id, version: picked.version};
    return {ref: `starter:${badge ? 'round-badge' : 'classic-certificate'}`, version: 0};
  }

  /** Everything besides the template and the credential that changes what a render looks like. */
  private fingerprint(source: Source, kind: RenderKind, template: ChosenTemplate): string {
    const starter = template.ref.startsWith('starter:') ? this.starter(template.ref.slice(8) as StarterKey).hash : null;
    const data = renderDataOf(source);
    return createHash('sha256').update(JSON.stringify([RENDER_ENGINE_VERSION, kind, data.brand, data.locale, source.org.logo, data.issuer.name, starter]))
      .digest('base64url');
  }

  private starter(key: StarterKey): {layout: TemplateLayout; hash: string} {
    let hit = this.starterCache.get(key);
    if(!hit) {
      const {layout} = this.templates.starterLayout(key);
      hit = {layout, hash: createHash('sha256').update(JSON.stringify(layout)).digest('base64url')};
      this.starterCache.set(key, hit);
    }
    return hit;
  }

  private async layout(template: ChosenTemplate): Promise<TemplateLayout> {
    if(template.ref.startsWith('starter:')) return this.starter(template.ref.slice(8) as StarterKey).layout;
    const checked = validateTemplate(await layoutOf(this.ctx.db, template.ref, template.version));
    if(!checked.ok) throw new Error(`stored template ${template.ref} v${template.version} is no longer valid: ${checked.problems.map(p => p.message).join('; ')}`);
    return checked.layout;
  }

  private async make(source: Source, kind: RenderKind, template: ChosenTemplate): Promise<Buffer> {
    // The drawing stack (pdfkit, fontkit, resvg: ~25 MB resident) is loaded by the first render, not with the server.
    const {renderOgImage, renderPdf, renderPng, renderSvg} = await import('../render/index.js');
    const data = renderDataOf(source);
    const assets = this.assets.loader(source.org);
    switch(kind) {
      // The credential rides inside the PDF exactly as stored, so the file verifies on its own.
      case 'certificate.pdf':
        return renderPdf(await this.layout(template), data, assets, {attachment: {name: 'credential.json', json: source.row.document}});
      case 'image.png':
        return renderPng(await this.layout(template), data, assets);
      case 'og.png': {
        const preview = await this.get(source, this.ogShowsBadge(source) ? 'badge.png' : 'image.png');
        return renderOgImage(data, assets, {preview: preview.bytes});
      }
      // Baked with the stored document text exactly (OB 3.0 §5.3): unbaking gives back what was signed.
      case 'badge.png':
        return Buffer.from(bakePng(await renderPng(await this.layout(template), data, assets), source.row.document));
      case 'badge.svg':
        return Buffer.from(bakeSvg(await renderSvg(await this.layout(template), data, assets), source.row.document), 'utf8');
    }
  }

  /** `<achievement>-<recipient>.<ext>`, ASCII only (a header value), or `credential.<ext>`. */
  private filename(source: Source, kind: RenderKind): string {
    const data = renderDataOf(source);
    const ext = kind.slice(kind.lastIndexOf('.'));
    const suffix = kind === 'og.png' ? '-preview' : kind.startsWith('badge') ? '-badge' : '';
    const base = [slugPart(data.achievement.name), slugPart(data.recipient.name)].filter(Boolean).join('-');
    return `${base || 'credential'}${suffix}${ext}`;
  }
}
