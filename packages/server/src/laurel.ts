/** Composition root: builds Laurel's services and HTTP app over one database. */
import {createHash} from 'node:crypto';
import {Canonicalizer, createDocumentLoader} from '@laurel/core';
import type {FastifyInstance} from 'fastify';
import {createSecretBox} from './crypto/master-key.js';
import type {Database} from './db/database.js';
import {buildApp} from './http/app.js';
import {JobQueue, type JobQueueOptions} from './jobs/queue.js';
import {AchievementService} from './services/achievements.js';
import {AuditService} from './services/audit.js';
import type {ServiceContext} from './services/context.js';
import {CallerCredentialSigner, CredentialService} from './services/credentials.js';
import {BULK_REVOKE_JOB, LifecycleService} from './services/lifecycle.js';
import {StatusListService} from './services/status-lists.js';
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
  /** Background jobs: polling, maintenance, whether this process runs the workers (default: it does). */
  jobs?: JobQueueOptions;
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
    canonicalizer: new Canonicalizer(createDocumentLoader(), {sha256: text => createHash('sha256').update(text).digest()}),
  };
  const jobs = new JobQueue(options.db, options.jobs);
  const audit = new AuditService(ctx);
  const organizations = new OrganizationService(ctx, audit);
  const achievements = new AchievementService(ctx, organizations, audit);
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
  return {
    ctx, jobs, audit, organizations, achievements, credentials, statusLists, lifecycle,
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
  app.addHook('onClose', async () => {
    services.lifecycle.stop();
    await services.jobs.stop();
  });
  try {
    await services.jobs.start();
  } catch(error) {
    await app.close();
    throw error;
  }
  return {app, services};
}
