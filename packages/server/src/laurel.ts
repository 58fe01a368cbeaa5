/** Composition root: builds Laurel's services and HTTP app over one database. */
import {nodeCryptoPorts} from '@laurel/core/node';
import {Canonicalizer, createDocumentLoader} from '@laurel/core';
import type {FastifyInstance} from 'fastify';
import {join} from 'node:path';
import type {Config} from './config.js';
import {createSecretBox} from './crypto/master-key.js';
import type {Database} from './db/database.js';
import {buildApp} from './http/app.js';
import {JobQueue, type JobQueueOptions} from './jobs/queue.js';
import {AchievementService} from './services/achievements.js';
import {AuditService} from './services/audit.js';
import type {ServiceContext} from './services/context.js';
import {CallerCredentialSigner, CredentialService} from './services/credentials.js';
import {BULK_REVOKE_JOB, LifecycleService} from './services/lifecycle.js';
import {BATCH_CHUNK, BATCH_JOB, BATCH_SLICE_SECONDS, BatchService} from './services/batches/batches.js';
import type {UploadLimits} from './services/batches/ingest.js';
import {DEFAULT_UPLOAD_LIMITS} from './services/batches/parse.js';
import {type AttachmentProvider, EMAIL_SEND_JOB, type EmailJobData, EmailService, type EmailSettings} from './services/mail/email.js';
import {type MailAddress, outboxTransport, smtpTransport} from './services/mail/transport.js';
import {unsubscribeKey} from './services/mail/unsubscribe.js';
import {PortfolioService, rendersPdf, requesterKey} from './services/portfolio.js';
import {StatusListService} from './services/status-lists.js';
import {AssetService} from './services/assets.js';
import {RenderService} from './services/renders.js';
import {TemplateService} from './services/templates.js';
import {OrganizationService} from './services/organizations.js';
import {VerificationService} from './services/verification.js';

/** Settings the app needs (read from the environment by main.ts only). */
export interface LaurelOptions {
  db: Database;
  masterKey: Buffer;
  publicUrl: string;
  adminToken?: string;
  trustProxy?: boolean;
  now?: () => Date;
  logger?: boolean | object;
  /** Replaces the https fetch of foreign did:web documents (tests). */
  fetchJson?: (url: URL, accept?: string) => Promise<string>;
  /** Credentials revoked per transaction by a bulk revocation (default 500). */
  bulkRevokeChunk?: number;
  /** Rows issued per transaction by a batch job (default 250). */
  batchChunk?: number;
  /** Seconds one run of a batch job works before handing over to a continuation (default 60). */
  batchSliceSeconds?: number;
  /** Limits of one bulk upload (default: 200,000 rows, 100 MiB, 4,096 characters per cell). */
  uploadLimits?: UploadLimits;
  /** Background jobs: polling, maintenance, whether this process runs the workers (default: it does). */
  jobs?: JobQueueOptions;
  /** Email to recipients (main.ts always sets it). Without it mail is off: nothing is enqueued or sent. */
  mail?: MailOptions;
}

/** How email is sent. */
export interface MailOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`. Without it, messages are written to `outboxDir`. */
  smtpUrl?: string;
  /** Where `.eml` files go when there is no SMTP server (main.ts: `<LAUREL_DATA_DIR>/outbox`). */
  outboxDir?: string;
  /** The sender address (MAIL_FROM); each organization's name is the display name. Default `no-reply@<public host>`. */
  from?: MailAddress;
  /** Messages per second per process (MAIL_RATE); 0: no throttle. Default 10. */
  rate?: number;
  /** Seconds before the first retry of a transient SMTP failure (default 30, then doubled with jitter). */
  retryDelaySeconds?: number;
  /** Files to attach to each message (the credential's PDF, once rendering exists); none when unset. */
  attachments?: AttachmentProvider;
}

/** All services, for the HTTP layer, the demo seed and tests. */
export interface Services {
  ctx: ServiceContext;
  /** Durable background jobs (pg-boss): services enqueue in their transactions and register handlers. */
  jobs: JobQueue;
  /** The audit log: services append to it inside their transactions. */
  audit: AuditService;
  organizations: OrganizationService;
  achievements: AchievementService;
  credentials: CredentialService;
  /** Bitstring Status Lists: slots and publishing. */
  statusLists: StatusListService;
  /** Revoke, suspend, reinstate, bulk revocation, the sweep. */
  lifecycle: LifecycleService;
  /** Branded email: deliveries (enqueued in the issuing transaction), templates, unsubscribes. */
  email: EmailService;
  /** Bulk issuance: uploads, the batch job, progress. */
  batches: BatchService;
  /** The recipient portfolio: magic-link sign-in, visibility, public profiles, the ZIP export. */
  portfolio: PortfolioService;
  /** Uploaded images (PNG, JPEG) that templates reference. */
  assets: AssetService;
  /** Certificate, diploma and badge templates: immutable versions, validation, previews. */
  templates: TemplateService;
  /** Rendered certificates and badges of issued credentials, cached. */
  renders: RenderService;
  /** Limits of one bulk upload. */
  uploadLimits: UploadLimits;
  callerSigner: CallerCredentialSigner;
  verification: VerificationService;
}

/** Builds the services. */
export function createServices(options: LaurelOptions): Services {
  const ctx: ServiceContext = {
    db: options.db,
    box: createSecretBox(options.masterKey),
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    now: options.now ?? (() => new Date()),
    // One canonicalizer for the process: contexts and credential shapes are processed once.
    canonicalizer: new Canonicalizer(createDocumentLoader(), nodeCryptoPorts()),
  };
  const jobs = new JobQueue(options.db, options.jobs);
  const audit = new AuditService(ctx);
  const organizations = new OrganizationService(ctx, audit);
  const mailSettings = emailSettings(options);
  const assets = new AssetService(ctx, audit);
  const templates = new TemplateService(ctx, assets, audit);
  const renders = new RenderService(ctx, organizations, assets, templates);
  // A credential's email carries its certificate PDF when its achievement has a certificate or diploma template.
  if(mailSettings && !mailSettings.attachments) mailSettings.attachments = context => renders.emailAttachments(context);
  const email = new EmailService(ctx, jobs, audit, organizations, mailSettings);
  // Sign-in links go out through the same transport (SMTP or the outbox) and sender as all mail.
  const portfolio = new PortfolioService(ctx, mailSettings && {transport: mailSettings.transport, from: mailSettings.from}, requesterKey(options.masterKey),
    audit);
  portfolio.pdf = rendersPdf(renders);
  const achievements = new AchievementService(ctx, organizations, audit, templates);
  const statusLists = new StatusListService(ctx, organizations);
  const credentials = new CredentialService(ctx, organizations, achievements, statusLists, audit);
  const verification = new VerificationService(ctx, organizations, credentials, statusLists, options.fetchJson);
  const lifecycle = new LifecycleService(ctx, credentials, statusLists, audit, jobs, ids => {
    for(const id of ids) verification.forgetStored(id);
  }, options.bulkRevokeChunk);
  // Bulk revocation: idempotent (revoked credentials no longer match), so a retry after a crash resumes.
  const bulkPolicy = {retryLimit: 5, retryDelaySeconds: 2};
  void jobs.work<{organizationId: string; bulkRevocationId: string}>(BULK_REVOKE_JOB, async job => {
    try {
      await lifecycle.runBulkRevocation(job.data.bulkRevocationId);
    } catch(error) {
      if(job.retryCount >= bulkPolicy.retryLimit) await lifecycle.failBulkRevocation(job.data.bulkRevocationId, (error as Error).message);
      throw error;
    }
  }, bulkPolicy);
  const slice = options.batchSliceSeconds ?? BATCH_SLICE_SECONDS;
  const batches = new BatchService(ctx, credentials, jobs, options.batchChunk ?? BATCH_CHUNK, slice * 1000);
  if(email.enabled) batches.enqueueEmails = (tx, items) => email.enqueue(tx, items);
  if(email.enabled) credentials.email = {enqueue: (tx, items) => email.enqueue(tx, items), notify: () => email.notify()};
  // A batch job is idempotent (issued rows are never picked again), so a retry after a crash resumes it.
  const batchPolicy = {retryLimit: 5, retryDelaySeconds: 2, expireInSeconds: 2 * slice + 10};
  void jobs.work<{organizationId: string; batchId: string}>(BATCH_JOB, async job => {
    try {
      await batches.run(job.data.batchId, job.signal);
    } catch(error) {
      if(job.retryCount >= batchPolicy.retryLimit) await batches.fail(job.data.batchId, (error as Error).message);
      throw error;
    }
  }, batchPolicy);
  if(email.enabled) {
    // Email: at most once per delivery (a run cut off mid-conversation leaves it `unknown`), transient failures retried.
    void jobs.work<EmailJobData>(EMAIL_SEND_JOB, job => email.runSendJob(job), email.queuePolicy());
    // Expiry reminders: the sweep hands over credentials that expire soon (unique per credential: never twice).
    lifecycle.hooks.expiringSoon = async rows => { await email.enqueueExpiryReminders(rows); };
  }
  return {
    ctx, jobs, audit, organizations, achievements, credentials, statusLists, lifecycle, email, batches, portfolio,
    assets, templates, renders,
    uploadLimits: options.uploadLimits ?? {...DEFAULT_UPLOAD_LIMITS},
    callerSigner: new CallerCredentialSigner(ctx, organizations, statusLists),
    verification,
  };
}

/** Builds services and the Fastify app (not listening). */
export async function createLaurel(options: LaurelOptions): Promise<{app: FastifyInstance; services: Services}> {
  const services = createServices(options);
  await services.audit.init();
  const app = await buildApp(services, {adminToken: options.adminToken, trustProxy: options.trustProxy ?? false, logger: options.logger ?? false});
  // Jobs run from here until the app closes (which callers do before closing the database).
  services.jobs.setLogger(app.log);
  services.renders.onError = (error, message) => app.log.error({err: error}, message);
  app.addHook('onClose', async () => {
    services.lifecycle.stop();
    await services.jobs.stop();
    await services.credentials.close();
    await services.portfolio.close();
    await services.email.close();
  });
  try {
    await services.jobs.start();
  } catch(error) {
    await app.close();
    throw error;
  }
  return {app, services};
}

/** The mail settings of `options`, or null when mail is off. */
function emailSettings(options: LaurelOptions): EmailSettings | null {
  const mail = options.mail;
  if(!mail) return null;
  if(!mail.smtpUrl && !mail.outboxDir) throw new Error('mail needs smtpUrl or outboxDir');
  const host = new URL(options.publicUrl).hostname;
  return {
    transport: mail.smtpUrl ? smtpTransport(mail.smtpUrl) : outboxTransport(mail.outboxDir!),
    from: mail.from ?? {name: 'Laurel', address: `no-reply@${host}`},
    rate: mail.rate ?? 10,
    retryDelaySeconds: mail.retryDelaySeconds ?? 30,
    // Its own key, derived from the master key (never the master key itself).
    unsubscribeKey: unsubscribeKey(options.masterKey),
    attachments: mail.attachments,
  };
}

/** The options an entry point (main.ts, worker.ts) builds from the configuration. */
export function laurelOptions(config: Config, db: Database, masterKey: Buffer): LaurelOptions {
  return {
    db, masterKey, publicUrl: config.publicUrl,
    bulkRevokeChunk: config.bulkRevokeChunk, batchChunk: config.batchChunk, batchSliceSeconds: config.batchSliceSeconds,
    uploadLimits: config.uploadLimits,
    jobs: {workers: config.workers, maintenanceIntervalSeconds: config.jobMaintenanceSeconds},
    mail: {smtpUrl: config.smtpUrl, outboxDir: join(config.dataDir, 'outbox'), from: config.mailFrom, rate: config.mailRate},
  };
}
