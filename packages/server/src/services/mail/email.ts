/**
 * Branded email to credential recipients (issue 5): deliveries recorded in the
 * issuing transaction, sent by the `email.send` job, at most once each.
 *
 * - One row per message to one recipient (`email_deliveries`): queued → sending →
 *   sent | bounced | failed, or unknown. `sending` is committed before the SMTP
 *   conversation starts; a delivery still `sending` when its job runs again was cut
 *   off by a crash and becomes `unknown`: it is never resent automatically, only by an
 *   explicit resend (a new, manual delivery). Automatic deliveries are unique per
 *   credential and kind, so an issuance or a sweep that runs twice enqueues once.
 * - Transient failures (4xx, a lost connection) put the delivery back to `queued` and
 *   fail the job, which pg-boss retries with backoff; after MAX_ATTEMPTS it is `failed`.
 *   Permanent ones (5xx) are final: `bounced` when the recipient was refused.
 * - Throttled per process (MAIL_RATE messages per second), with List-Unsubscribe
 *   (RFC 8058 one-click, and a mailto); unsubscribed addresses are never contacted.
 */
import {randomId} from '../../crypto/tokens.js';
import type {Queryable} from '../../db/database.js';
import {claimDelivery, deleteTemplate, type EmailDeliveryRow, type EmailKind, type EmailTemplateRow, failQueued, findDelivery, findTemplateForUpdate,
  finishDelivery, firstLocales, insertDeliveries, insertSuppression, listDeliveries, listTemplates, markInterrupted, type NewDelivery,
  queuedDeliveries, type SendableDeliveryRow, skipDelivery, upsertTemplate} from '../../db/email-repo.js';
import {findCredential} from '../../db/credentials-repo.js';
import type {CredentialRow, OrganizationRow} from '../../db/rows.js';
import {DomainError, notFound} from '../../errors.js';
import type {Job, JobData, QueuePolicy} from '../../jobs/queue.js';
import type {Actor} from '../actor.js';
import type {AuditService} from '../audit.js';
import type {ServiceContext} from '../context.js';
import type {OrganizationService} from '../organizations.js';
import {type Brand, composeEmail, type ComposedEmail} from './layout.js';
import {checkTemplate, defaultTemplate, EMAIL_KINDS, EMAIL_LOCALES, type EmailLocale, type EmailTemplate, formatDate, isEmailKind,
  isEmailLocale, normaliseLocale, TEMPLATE_VARIABLES, type TemplateValues} from './templates.js';
import {RateLimiter} from './throttle.js';
import {classifySendError, describeSendError, type MailAddress, type MailAttachment, type MailTransport, type OutgoingMail,
  SMTP_CONNECTIONS} from './transport.js';
import {addressHash, parseUnsubscribeToken, unsubscribeToken} from './unsubscribe.js';

export type {DeliveryStatus, EmailKind} from '../../db/email-repo.js';

/** The job that sends deliveries. */
export const EMAIL_SEND_JOB = 'email.send';
/** SMTP attempts per delivery before a transient failure becomes final. */
export const MAX_ATTEMPTS = 5;
/** Delivery ids per job: a big batch becomes several jobs. */
export const JOB_CHUNK = 500;
/** Priority of a manual resend's job: fetched before the jobs of a large batch. */
const RESEND_PRIORITY = 10;

/** One delivery to enqueue. */
export interface EnqueueItem {
  organizationId: string;
  credentialId: string;
  /** The recipient's address. */
  recipient: string;
  /** `en` (default) or `sv`; `sv-SE` and the like are accepted. */
  locale?: string;
  kind: EmailKind;
  /** The batch upload the credential came from (progress counts per status). */
  batchId?: string;
}

/** The job's data. */
export interface EmailJobData extends JobData {
  organizationId: string;
  deliveryIds: string[];
}

/** What `email.send` reports as its output. */
export interface EmailJobResult {
  sent: number;
  bounced: number;
  failed: number;
  /** Deliveries found `sending` (cut off by a crash) and marked unknown. */
  unknown: number;
  /** Put back to `queued` for the next attempt. */
  retrying: number;
}

/** A delivery as the API shows it. */
export interface EmailDeliveryView {
  id: string;
  credentialId: string;
  kind: EmailKind;
  manual: boolean;
  batchId: string | null;
  recipient: string;
  locale: string;
  status: EmailDeliveryRow['status'];
  attempts: number;
  lastError: string | null;
  messageId: string | null;
  queuedAt: string;
  sendingAt: string | null;
  finishedAt: string | null;
}

/** A template as the API shows it: the effective one, and whether the organization wrote it. */
export interface EmailTemplateView extends EmailTemplate {
  kind: EmailKind;
  locale: EmailLocale;
  custom: boolean;
  updatedAt: string | null;
}

/** What an attachment provider is given for one message. */
export interface AttachmentContext {
  organization: OrganizationRow;
  delivery: EmailDeliveryRow;
  /** The signed credential document (JSON text). */
  document: string;
}

/**
 * The attachment hook: files to attach to a message, e.g. the credential's PDF once
 * rendering exists (a later issue). Called once per SMTP attempt; return [] for none.
 * Nothing is attached while it is unset.
 */
export type AttachmentProvider = (context: AttachmentContext) => Promise<MailAttachment[]>;

/** How mail is sent (from LaurelOptions.mail, resolved in laurel.ts). */
export interface EmailSettings {
  transport: MailTransport;
  /** The envelope sender; each organization's name replaces the display name. */
  from: MailAddress;
  /** Messages per second per process; 0: no throttle. */
  rate: number;
  /** Seconds before the first retry of a transient failure (doubled with jitter each time; pg-boss). */
  retryDelaySeconds: number;
  /** HMAC key of unsubscribe links (derived from the master key). */
  unsubscribeKey: Buffer;
  attachments?: AttachmentProvider;
}

/** What the email service needs from the job queue. */
export interface EmailJobs {
  sendMany<T extends JobData>(name: string, items: T[], options?: {tx?: Queryable}): Promise<string[]>;
  send<T extends JobData>(name: string, data: T, options?: {tx?: Queryable; priority?: number}): Promise<string | null>;
  notify(name: string): void;
}

function deliveryView(row: EmailDeliveryRow): EmailDeliveryView {
  return {
    id: row.id, credentialId: row.credential_id, kind: row.kind, manual: row.manual, batchId: row.batch_id, recipient: row.recipient,
    locale: row.locale, status: row.status, attempts: row.attempts, lastError: row.last_error, messageId: row.message_id,
    queuedAt: row.queued_at.toISOString(), sendingAt: row.sending_at?.toISOString() ?? null, finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

const yieldToEventLoop = () => new Promise<void>(resolve => setImmediate(resolve));

const EMPTY_RESULT = (): EmailJobResult => ({sent: 0, bounced: 0, failed: 0, unknown: 0, retrying: 0});

/** Email use cases and the `email.send` job. */
export class EmailService {
  private readonly limiter: RateLimiter | null;

  /**
   * `settings` null: mail is off (no transport configured, e.g. tests of other features):
   * `enqueue` records nothing. The caller registers `runSendJob` for EMAIL_SEND_JOB with
   * `queuePolicy()` when mail is on (laurel.ts).
   */
  constructor(private readonly ctx: ServiceContext, private readonly jobs: EmailJobs, private readonly audit: AuditService,
    private readonly orgs: OrganizationService, private readonly settings: EmailSettings | null) {
    this.limiter = settings ? new RateLimiter(settings.rate) : null;
  }

  /** Whether mail is configured. */
  get enabled(): boolean {
    return this.settings !== null;
  }

  /** The throttle in messages per second (0: none); null when mail is off. */
  get rate(): number | null {
    return this.settings?.rate ?? null;
  }

  /** Where mail goes, for the start-up log. */
  describe(): string {
    if(!this.settings) return 'email is off (no SMTP server or outbox configured)';
    const rate = this.settings.rate > 0 ? `at most ${this.settings.rate} messages/s` : 'unthrottled';
    return this.settings.transport.kind === 'outbox'
      ? `no SMTP_URL: emails are written as .eml files to ${this.settings.transport.target} (not sent), ${rate}`
      : `sending through SMTP ${this.settings.transport.target}, ${rate}`;
  }

  /** Closes the SMTP connections (after the job queue stopped). */
  async close(): Promise<void> {
    await this.settings?.transport.close();
  }

  /** The retry policy of EMAIL_SEND_JOB: MAX_ATTEMPTS runs with backoff, time for a whole chunk at the throttled rate. */
  queuePolicy(): QueuePolicy {
    const settings = this.settings!;
    // A job sends up to JOB_CHUNK messages at the throttled rate: give it time for that, twice over.
    const expire = settings.rate > 0 ? Math.max(900, Math.ceil(2 * JOB_CHUNK / settings.rate) + 300) : 900;
    return {retryLimit: MAX_ATTEMPTS, retryDelaySeconds: Math.max(1, settings.retryDelaySeconds), retryBackoff: true, expireInSeconds: expire};
  }

  // ------------------------------------------------------------ enqueue

  /**
   * Records deliveries (`queued`) and their `email.send` jobs in the caller's open
   * transaction: they exist if and only if it commits. Automatic deliveries are unique
   * per credential and kind (a second enqueue of the same is skipped); one job per
   * organization and JOB_CHUNK deliveries. Returns the ids of the deliveries created.
   * After the commit, call `notify()` so this process's worker starts at once.
   * Mail off: records nothing.
   */
  async enqueue(tx: Queryable, items: EnqueueItem[]): Promise<string[]> {
    return this.insert(tx, items.map(i => ({...i, manual: false})));
  }

  /** Wakes this process's email worker (after a commit that enqueued). */
  notify(): void {
    if(this.settings) this.jobs.notify(EMAIL_SEND_JOB);
  }

  private async insert(tx: Queryable, items: (EnqueueItem & {manual: boolean})[], priority?: number): Promise<string[]> {
    if(!this.settings || items.length === 0) return [];
    const rows: NewDelivery[] = items.map(i => ({
      id: randomId(), organizationId: i.organizationId, credentialId: i.credentialId, kind: i.kind, manual: i.manual,
      batchId: i.batchId ?? null, recipient: i.recipient.trim(), locale: normaliseLocale(i.locale),
    }));
    const inserted = await insertDeliveries(tx, rows, this.ctx.now());
    const byOrg = new Map<string, string[]>();
    for(const r of inserted) {
      const ids = byOrg.get(r.organization_id);
      if(ids) ids.push(r.id);
      else byOrg.set(r.organization_id, [r.id]);
    }
    const jobs: EmailJobData[] = [];
    for(const [organizationId, ids] of byOrg) {
      for(let i = 0; i < ids.length; i += JOB_CHUNK) jobs.push({organizationId, deliveryIds: ids.slice(i, i + JOB_CHUNK)});
    }
    if(priority !== undefined && jobs.length === 1) await this.jobs.send(EMAIL_SEND_JOB, jobs[0], {tx, priority});
    else await this.jobs.sendMany(EMAIL_SEND_JOB, jobs, {tx});
    return inserted.map(r => r.id);
  }

  /**
   * The lifecycle sweep's expiry hook: an `expiry_reminder` for each credential with a
   * recipient address, in the locale of its first email. Unique per credential, so a
   * sweep that runs again (or a crash before the sweep marked them) sends none twice.
   */
  async enqueueExpiryReminders(credentials: CredentialRow[]): Promise<string[]> {
    const withEmail = credentials.filter(c => c.recipient_email);
    if(!this.settings || withEmail.length === 0) return [];
    const ids = await this.ctx.db.transaction(async tx => {
      const locales = await firstLocales(tx, withEmail.map(c => c.id));
      return this.enqueue(tx, withEmail.map(c => ({organizationId: c.organization_id, credentialId: c.id, recipient: c.recipient_email!,
        locale: locales.get(c.id), kind: 'expiry_reminder' as const})));
    });
    this.notify();
    return ids;
  }

  // ------------------------------------------------------------ API

  /** A credential's deliveries, oldest first; 404 for another organization's credential. */
  async deliveries(org: OrganizationRow, credentialId: string): Promise<{items: EmailDeliveryView[]}> {
    const credential = await findCredential(this.ctx.db, credentialId, org.id);
    if(!credential) throw notFound('CREDENTIAL_NOT_FOUND', `Credential ${credentialId}`);
    return {items: (await listDeliveries(this.ctx.db, org.id, credentialId)).map(deliveryView)};
  }

  /**
   * Sends the credential's email again, whatever became of earlier ones: a new, manual
   * delivery (in the locale asked, else that of the first email), audited as `email.resent`.
   */
  async resend(org: OrganizationRow, credentialId: string, actor: Actor, input: {locale?: string} = {}): Promise<EmailDeliveryView> {
    if(!this.settings) throw new DomainError('EMAIL_DISABLED', 409, 'Email is not configured on this server (set SMTP_URL).');
    const id = await this.ctx.db.transaction(async tx => {
      const credential = await findCredential(tx, credentialId, org.id);
      if(!credential) throw notFound('CREDENTIAL_NOT_FOUND', `Credential ${credentialId}`);
      if(!credential.recipient_email) {
        throw new DomainError('CREDENTIAL_HAS_NO_EMAIL', 422, `Credential ${credentialId} has no recipient email address to send to.`);
      }
      if(credential.status === 'revoked') {
        throw new DomainError('CREDENTIAL_REVOKED', 409, `Credential ${credentialId} is revoked; its email is not sent again.`);
      }
      const locale = input.locale ?? (await firstLocales(tx, [credentialId])).get(credentialId);
      const [deliveryId] = await this.insert(tx, [{organizationId: org.id, credentialId, recipient: credential.recipient_email, locale,
        kind: 'credential_issued', manual: true}], RESEND_PRIORITY);
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'email.resent', subjectType: 'credential', subjectId: credentialId,
        before: null, after: {deliveryId, kind: 'credential_issued', locale: normaliseLocale(locale)}}]);
      return deliveryId;
    });
    this.notify();
    return deliveryView((await findDelivery(this.ctx.db, id, org.id))!);
  }

  /** Every kind and locale with its effective template. */
  async templates(org: OrganizationRow): Promise<{variables: readonly string[]; items: EmailTemplateView[]}> {
    const custom = await listTemplates(this.ctx.db, org.id);
    const items: EmailTemplateView[] = [];
    for(const kind of EMAIL_KINDS) {
      for(const locale of EMAIL_LOCALES) items.push(this.templateView(kind, locale, custom.find(t => t.kind === kind && t.locale === locale)));
    }
    return {variables: TEMPLATE_VARIABLES, items};
  }

  private templateView(kind: EmailKind, locale: EmailLocale, row: EmailTemplateRow | undefined): EmailTemplateView {
    const t = row ?? defaultTemplate(kind, locale);
    return {kind, locale, subject: t.subject, html: t.html, text: t.text, custom: row !== undefined, updatedAt: row?.updated_at.toISOString() ?? null};
  }

  private checkKey(kind: string, locale: string): {kind: EmailKind; locale: EmailLocale} {
    if(!isEmailKind(kind) || !isEmailLocale(locale)) {
      throw new DomainError('EMAIL_TEMPLATE_NOT_FOUND', 404,
        `There is no email template ${kind}/${locale}; kinds: ${EMAIL_KINDS.join(', ')}; locales: ${EMAIL_LOCALES.join(', ')}.`);
    }
    return {kind, locale};
  }

  private validate(template: EmailTemplate): void {
    const problems = checkTemplate(template);
    if(problems.length) {
      throw new DomainError('EMAIL_TEMPLATE_INVALID', 422, `The template cannot be saved: ${problems.map(p => `${p.path}: ${p.message}`).join('; ')}.`,
        {errors: problems});
    }
  }

  /** Saves an organization's template (422 with a problem per field, e.g. per unknown variable); audited. */
  async saveTemplate(org: OrganizationRow, kindText: string, localeText: string, input: EmailTemplate, actor: Actor): Promise<EmailTemplateView> {
    const {kind, locale} = this.checkKey(kindText, localeText);
    const template = {subject: input.subject, html: input.html, text: input.text};
    this.validate(template);
    const row = await this.ctx.db.transaction(async tx => {
      const old = await findTemplateForUpdate(tx, org.id, kind, locale);
      if(old && old.subject === template.subject && old.html === template.html && old.text === template.text) return old;
      const saved = await upsertTemplate(tx, {organization_id: org.id, kind, locale, ...template, updated_at: this.ctx.now()});
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'email_template.updated', subjectType: 'email_template',
        subjectId: `${kind}/${locale}`, before: old ? templateDigest(old) : null, after: templateDigest(saved)}]);
      return saved;
    });
    return this.templateView(kind, locale, row);
  }

  /** Drops an organization's template: the built-in one applies again. Audited when there was one. */
  async resetTemplate(org: OrganizationRow, kindText: string, localeText: string, actor: Actor): Promise<EmailTemplateView> {
    const {kind, locale} = this.checkKey(kindText, localeText);
    await this.ctx.db.transaction(async tx => {
      const old = await findTemplateForUpdate(tx, org.id, kind, locale);
      if(!old) return;
      await deleteTemplate(tx, org.id, kind, locale);
      await this.audit.append(tx, [{organizationId: org.id, actor, action: 'email_template.reset', subjectType: 'email_template',
        subjectId: `${kind}/${locale}`, before: templateDigest(old), after: null}]);
    });
    return this.templateView(kind, locale, undefined);
  }

  /**
   * Renders a template (the draft given, else the effective one) with sample data in the
   * organization's layout: what a recipient would get.
   */
  async preview(org: OrganizationRow, kindText: string, localeText: string, draft: Partial<EmailTemplate> = {}): Promise<ComposedEmail> {
    const {kind, locale} = this.checkKey(kindText, localeText);
    const current = (await listTemplates(this.ctx.db, org.id)).find(t => t.kind === kind && t.locale === locale) ?? defaultTemplate(kind, locale);
    const template = {subject: draft.subject ?? current.subject, html: draft.html ?? current.html, text: draft.text ?? current.text};
    this.validate(template);
    const base = this.orgs.baseUrl(org);
    const sample = SAMPLES[locale];
    const values: TemplateValues = {
      'recipient.name': sample.recipient, 'achievement.name': sample.achievement, 'achievement.description': sample.description,
      'issuer.name': org.name, 'issuer.url': org.url ?? '', 'credential.url': `${base}/c/sample`,
      'validUntil': formatDate(new Date(this.ctx.now().getTime() + 365 * 86_400_000), locale),
    };
    return composeEmail(template, values, brandOf(org), locale, `${base}/email/unsubscribe/sample`);
  }

  // ------------------------------------------------------------ unsubscribe

  /**
   * One-click unsubscribe (RFC 8058): the token's address gets no more email from the
   * token's organization. Idempotent; the first time is audited (by hash, never the address).
   * `hostOrg`: on an organization's own domain, only its tokens are honoured.
   */
  async unsubscribe(token: string, hostOrg: OrganizationRow | null): Promise<{organizationName: string}> {
    const parsed = this.settings ? parseUnsubscribeToken(this.settings.unsubscribeKey, token) : null;
    const org = parsed && (!hostOrg || hostOrg.id === parsed.organizationId) ? await this.orgs.find('id', parsed.organizationId) : null;
    if(!parsed || !org) throw new DomainError('UNSUBSCRIBE_LINK_INVALID', 404, 'This unsubscribe link is not valid.');
    await this.ctx.db.transaction(async tx => {
      const added = await insertSuppression(tx, org.id, parsed.addressHash, this.ctx.now());
      if(added) {
        await this.audit.append(tx, [{organizationId: org.id, actor: {type: 'system', job: 'email-unsubscribe'}, action: 'email.unsubscribed',
          subjectType: 'email_address', subjectId: parsed.addressHash.toString('hex'), before: null, after: {suppressed: true}}]);
      }
    });
    return {organizationName: org.name};
  }

  /** The organization an unsubscribe link belongs to (for its confirmation page), or null when the link is not genuine. */
  async unsubscribeTarget(token: string, hostOrg: OrganizationRow | null): Promise<OrganizationRow | null> {
    const parsed = this.settings ? parseUnsubscribeToken(this.settings.unsubscribeKey, token) : null;
    if(!parsed || (hostOrg && hostOrg.id !== parsed.organizationId)) return null;
    return this.orgs.find('id', parsed.organizationId);
  }

  /** The one-click URL for an address (on the organization's own domain when it has one). */
  unsubscribeUrl(org: OrganizationRow, address: string, locale: EmailLocale): string {
    const token = unsubscribeToken(this.settings!.unsubscribeKey, org.id, addressHash(address));
    return `${this.orgs.baseUrl(org)}/email/unsubscribe/${token}${locale === 'en' ? '' : `?lang=${locale}`}`;
  }

  // ------------------------------------------------------------ the job

  /**
   * `email.send`: deliveries found `sending` become `unknown` (a crashed run); each queued
   * one is throttled, claimed (`sending`, committed), rendered and sent, then recorded.
   * Throws, so pg-boss retries with backoff, when some were put back for a transient error.
   */
  async runSendJob(job: Job<EmailJobData>): Promise<EmailJobResult> {
    const settings = this.settings!;
    const ids = job.data.deliveryIds;
    const result = EMPTY_RESULT();
    try {
      result.unknown = (await markInterrupted(this.ctx.db, ids, this.ctx.now())).length;
      const org = await this.orgs.find('id', job.data.organizationId);
      const rows = await queuedDeliveries(this.ctx.db, ids);
      if(!org || rows.length === 0) return result;
      const custom = await listTemplates(this.ctx.db, org.id);
      const template = (kind: EmailKind, locale: EmailLocale) =>
        custom.find(t => t.kind === kind && t.locale === locale) ?? defaultTemplate(kind, locale);
      let lastError = '';
      let next = 0;
      // One worker per pooled SMTP connection; the rate limiter spaces them out.
      const worker = async () => {
        while(next < rows.length && !job.signal.aborted) {
          const row = rows[next++];
          const outcome = await this.deliver(settings, org, row, template(row.kind, normaliseLocale(row.locale)), job.signal);
          if(outcome.status === 'retrying') lastError = outcome.error;
          if(outcome.status !== 'skipped') result[outcome.status]++;
          // PGlite answers in microtasks: let HTTP requests in between messages.
          await yieldToEventLoop();
        }
      };
      const settled = await Promise.allSettled(Array.from({length: Math.min(settings.transport.kind === 'smtp' ? SMTP_CONNECTIONS : 1, rows.length)}, worker));
      const crashed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if(crashed) throw crashed.reason;
      if(job.signal.aborted) throw new Error('stopped before every message was sent; the rest are sent on the retry');
      if(result.retrying > 0) {
        throw Object.assign(new Error(`${result.retrying} message(s) will be retried: ${lastError}`), {code: 'EMAIL_RETRY'});
      }
      return result;
    } catch(error) {
      // The last run: nothing will retry what is still queued.
      if(job.retryCount >= MAX_ATTEMPTS) {
        await failQueued(this.ctx.db, ids, `gave up: ${describeSendError(error)}`, this.ctx.now()).catch(() => undefined);
      }
      throw error;
    }
  }

  /** One delivery: throttle, claim, render, send, record. Only database errors reject. */
  private async deliver(settings: EmailSettings, org: OrganizationRow, row: SendableDeliveryRow, template: EmailTemplate, signal: AbortSignal):
    Promise<{status: 'sent' | 'bounced' | 'failed' | 'skipped'} | {status: 'retrying'; error: string}> {
    const now = () => this.ctx.now();
    if(row.credential_status === 'revoked') {
      return {status: await skipDelivery(this.ctx.db, row.id, 'CREDENTIAL_REVOKED', now()) ? 'failed' : 'skipped'};
    }
    const hash = addressHash(row.recipient);
    // The slot first: a delivery is never left `sending` while it waits.
    if(!await this.limiter!.acquire(signal)) return {status: 'skipped'};
    const claimed = await claimDelivery(this.ctx.db, row.id, hash, now());
    if(!claimed) {
      // Still queued means its address is unsubscribed: never contacted.
      return {status: await skipDelivery(this.ctx.db, row.id, 'UNSUBSCRIBED', now()) ? 'failed' : 'skipped'};
    }
    let mail: OutgoingMail;
    try {
      mail = await this.message(settings, org, row, template);
    } catch(error) {
      await finishDelivery(this.ctx.db, row.id, {status: 'failed', error: `could not render: ${describeSendError(error)}`}, now());
      return {status: 'failed'};
    }
    let messageId: string;
    try {
      ({messageId} = await settings.transport.send(mail));
    } catch(error) {
      const kind = classifySendError(error);
      const text = describeSendError(error);
      if(kind === 'transient' && claimed.attempts < MAX_ATTEMPTS) {
        await finishDelivery(this.ctx.db, row.id, {status: 'queued', error: text}, now());
        return {status: 'retrying', error: text};
      }
      const final = kind === 'transient' ? `${text} (gave up after ${claimed.attempts} attempts)` : text;
      await finishDelivery(this.ctx.db, row.id, {status: kind === 'bounced' ? 'bounced' : 'failed', error: final}, now());
      return {status: kind === 'bounced' ? 'bounced' : 'failed'};
    }
    await finishDelivery(this.ctx.db, row.id, {status: 'sent', messageId}, now());
    return {status: 'sent'};
  }

  /** The message of a delivery: the template in the organization's layout, headers, attachments. */
  private async message(settings: EmailSettings, org: OrganizationRow, row: SendableDeliveryRow, template: EmailTemplate): Promise<OutgoingMail> {
    const locale = normaliseLocale(row.locale);
    const document = JSON.parse(row.document) as {id: string; credentialSubject?: {achievement?: {name?: unknown; description?: unknown}}};
    const achievement = document.credentialSubject?.achievement ?? {};
    const values: TemplateValues = {
      'recipient.name': row.recipient_name, 'achievement.name': String(achievement.name ?? ''),
      'achievement.description': String(achievement.description ?? ''), 'issuer.name': org.name, 'issuer.url': org.url ?? '',
      'credential.url': document.id, 'validUntil': formatDate(row.valid_until, locale),
    };
    const unsubscribe = this.unsubscribeUrl(org, row.recipient, locale);
    const composed = composeEmail(template, values, brandOf(org), locale, unsubscribe);
    // The mailto goes to a person at the issuer when it has an address (Laurel reads no mailbox).
    const mailto = `mailto:${org.email ?? settings.from.address}?subject=${encodeURIComponent(`unsubscribe ${unsubscribe.split('/').pop()!.split('?')[0]}`)}`;
    const attachments = settings.attachments
      ? await settings.attachments({organization: org, delivery: row, document: row.document}) : [];
    return {
      deliveryId: row.id,
      from: {name: oneLine(org.name), address: settings.from.address},
      ...(org.email ? {replyTo: org.email} : {}),
      to: {name: oneLine(row.recipient_name), address: row.recipient},
      subject: composed.subject, html: composed.html, text: composed.text,
      // RFC 2369 §3.2 (one header, both URIs) and RFC 8058 §3.1 (one-click POST).
      headers: {'List-Unsubscribe': `<${unsubscribe}>, <${mailto}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click'},
      attachments,
    };
  }
}

/** The organization's look. */
function brandOf(org: OrganizationRow): Brand {
  return {name: org.name, logo: org.logo, color: org.brand_color};
}

/** A display name on one line (nodemailer quotes it; line breaks have no business there). */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

/** What the audit log records of a template: the subject and the size of each body (not 50 KB of HTML). */
function templateDigest(t: EmailTemplate): {subject: string; htmlLength: number; textLength: number} {
  return {subject: t.subject, htmlLength: t.html.length, textLength: t.text.length};
}

const SAMPLES: Record<EmailLocale, {recipient: string; achievement: string; description: string}> = {
  en: {recipient: 'Ada Lovelace', achievement: 'Sample achievement', description: 'A description of what the recipient achieved.'},
  sv: {recipient: 'Ada Lovelace', achievement: 'Exempelintyg', description: 'En beskrivning av vad mottagaren har uppnått.'},
};
