/** Composition root: builds Laurel's services and HTTP app over one database. */
import {createHash} from 'node:crypto';
import {Canonicalizer, createDocumentLoader} from '@laurel/core';
import type {FastifyInstance} from 'fastify';
import {createSecretBox} from './crypto/master-key.js';
import type {Database} from './db/database.js';
import {buildApp} from './http/app.js';
import {AchievementService} from './services/achievements.js';
import type {ServiceContext} from './services/context.js';
import {CallerCredentialSigner, CredentialService} from './services/credentials.js';
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
}

/** All services, for the HTTP layer, the demo seed and tests. */
export interface Services {
  ctx: ServiceContext;
  organizations: OrganizationService;
  achievements: AchievementService;
  credentials: CredentialService;
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
  const organizations = new OrganizationService(ctx);
  const achievements = new AchievementService(ctx, organizations);
  const credentials = new CredentialService(ctx, organizations, achievements);
  return {
    ctx, organizations, achievements, credentials,
    callerSigner: new CallerCredentialSigner(ctx, organizations),
    verification: new VerificationService(ctx, organizations, credentials, options.fetchJson),
  };
}

/** Builds services and the Fastify app (not listening). */
export async function createLaurel(options: LaurelOptions): Promise<{app: FastifyInstance; services: Services}> {
  const services = createServices(options);
  const app = await buildApp(services, {adminToken: options.adminToken, trustProxy: options.trustProxy ?? false, logger: options.logger ?? false});
  return {app, services};
}
