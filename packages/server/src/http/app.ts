/** The Fastify app: JSON parsing, auth, problem+json, and the routes. */
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import {parseJsonStrict} from '@laurel/core';
import Fastify, {type FastifyInstance, type FastifyRequest} from 'fastify';
import type {OrganizationRow} from '../db/rows.js';
import {contentSecurityPolicy, newNonce} from '../pages/csp.js';
import {DomainError} from '../errors.js';
import type {Services} from '../laurel.js';
import type {Actor} from '../services/actor.js';
import {errorHandler, problem, sendProblem} from './problem.js';
import {registerApiRoutes} from './routes/api.js';
import {registerJobRoutes} from './routes/jobs.js';
import {registerAuditRoutes} from './routes/audit.js';
import {registerEmailRoutes} from './routes/email.js';
import {registerBatchRoutes} from './routes/batches.js';
import {registerLifecycleRoutes} from './routes/lifecycle.js';
import {registerPortfolioRoutes} from './routes/portfolio.js';
import {registerPublicRoutes} from './routes/public.js';
import {registerRenderRoutes} from './routes/renders.js';
import {registerTemplateRoutes} from './routes/templates.js';
import {registerVcApiRoutes} from './routes/vc-api.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organization whose own domain this request came in on, if any. */
    hostOrg: OrganizationRow | null;
    /** The organization of the API key, set by `authenticate`. */
    org: OrganizationRow;
    /** The API key as the actor of changes (the audit log's "who"), set by `authenticate`. */
    actor: Actor;
    /** This request's CSP nonce: pages put it on their script and style elements. */
    cspNonce: string;
  }
}

/** JSON bodies are limited to 1 MiB (413 beyond). */
export const BODY_LIMIT = 1024 * 1024;

/** HTTP settings. */
export interface AppOptions {
  adminToken?: string;
  trustProxy: boolean;
  logger: boolean | object;
}

/** Builds the app. */
export async function buildApp(services: Services, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger,
    bodyLimit: BODY_LIMIT,
    // Honour X-Forwarded-Proto / X-Forwarded-Host only when told a proxy is in front.
    trustProxy: options.trustProxy,
    routerOptions: {ignoreTrailingSlash: true, maxParamLength: 200},
  });

  // gzip/brotli for responses over 1 KiB when the client asks (the browser bundle, pages, credential JSON).
  await app.register(compress, {threshold: 1024, encodings: ['br', 'gzip']});

  // Helmet's headers, except the CSP: that one carries a fresh nonce per request (pages/csp.ts).
  await app.register(helmet, {
    contentSecurityPolicy: false,
    xFrameOptions: {action: 'deny'},
    crossOriginResourcePolicy: {policy: 'cross-origin'},
  });
  // Pages read `request.cspNonce` (a string). The reply carries the same nonce in the shape
  // @fastify/helmet's types give `reply.cspNonce` ({script, style}): `reply.request.cspNonce` is the string. (Helmet decorates the reply itself.)
  app.decorateRequest('cspNonce', '');
  app.addHook('onRequest', async (request, reply) => {
    request.cspNonce = newNonce();
    reply.cspNonce = {script: request.cspNonce, style: request.cspNonce};
    reply.header('content-security-policy', contentSecurityPolicy(request.cspNonce));
  });

  // Cookies (request.cookies, reply.setCookie): the recipient portfolio's session. Registered once, here.
  await app.register(cookie);

  // Strict JSON: duplicate keys and malformed text are 400s with their own codes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(/^application\/([a-z0-9.-]+\+)?json$/,
    {parseAs: 'string', bodyLimit: BODY_LIMIT}, (_req, body, done) => {
      const parsed = parseJsonStrict(body as unknown as string);
      if(parsed.ok) return done(null, parsed.value);
      done(new DomainError(parsed.problem.code, 400, parsed.problem.message), undefined);
    });
  // Bulk uploads: one file part, streamed (routes/batches.ts); its size limit is the upload limit.
  await app.register(multipart, {limits: {files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12, fileSize: services.uploadLimits.maxBytes}});

  app.decorateRequest('hostOrg', null);
  app.decorateRequest('org', null as unknown as OrganizationRow);
  // Set by `authenticate` (Actor is a union, which the typed decorator form cannot take).
  app.decorateRequest('actor');
  app.addHook('onRequest', async request => {
    const host = request.hostname.toLowerCase();
    const own = new URL(services.ctx.publicUrl).hostname.toLowerCase();
    request.hostOrg = host && host !== own && host.includes('.') ? await services.organizations.findByHost(host) : null;
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, 'NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`, {instance: request.url})));

  /** Resolves the Bearer API key to its organization, or answers 401. */
  const authenticate = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if(!m) throw new DomainError('UNAUTHENTICATED', 401, 'Send your API key as "Authorization: Bearer <key>".');
    const found = await services.organizations.authenticate(m[1]);
    if(!found) throw new DomainError('UNAUTHENTICATED', 401, 'The API key is not valid or has been revoked.');
    request.org = found.org;
    request.actor = found.actor;
  };

  registerApiRoutes(app, services, {authenticate, adminToken: options.adminToken});
  registerAuditRoutes(app, services, {authenticate});
  registerLifecycleRoutes(app, services, authenticate);
  registerBatchRoutes(app, services, authenticate, services.uploadLimits);
  registerJobRoutes(app, services, {authenticate});
  registerEmailRoutes(app, services, {authenticate});
  registerVcApiRoutes(app, services, {authenticate});
  registerPublicRoutes(app, services);
  registerTemplateRoutes(app, services, {authenticate});
  registerRenderRoutes(app, services);
  registerPortfolioRoutes(app, services);
  return app;
}
