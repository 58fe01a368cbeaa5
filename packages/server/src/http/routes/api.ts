/** The versioned REST API, /api/v1. Routes parse, authenticate, call a service and map. */
import {timingSafeEqual} from 'node:crypto';
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {DomainError} from '../../errors.js';
import type {Services} from '../../laurel.js';
import type {AchievementInput} from '../../services/achievements.js';
import {AchievementBody, AchievementPatch, CreateApiKey, CreateOrganization, IdempotencyKey, IssueCredential, ListAchievementsQuery,
  ListCredentialsQuery, UpdateOrganization} from '../schemas.js';

/** Auth helpers the routes need. */
export interface ApiDeps {
  authenticate: (request: FastifyRequest) => Promise<void>;
  adminToken?: string;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The Idempotency-Key header, checked (400 when malformed), or undefined. */
export function idempotencyKey(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if(raw === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(raw);
  if(!parsed.success) {
    throw new DomainError('VALIDATION_FAILED', 400, 'The Idempotency-Key header must be 1–255 printable ASCII characters.',
      {errors: [{path: 'Idempotency-Key', message: parsed.error.issues[0].message}]});
  }
  return parsed.data;
}

/** Registers /api/v1 routes. */
export function registerApiRoutes(app: FastifyInstance, s: Services, deps: ApiDeps): void {
  // onRequest: the key is checked before the body is even parsed.
  const auth = {onRequest: deps.authenticate};
  const idParam = (request: FastifyRequest) => (request.params as {id: string}).id;

  // Bootstrap: the admin token creates organizations (automation, tests).
  app.post('/api/v1/organizations', async (request, reply) => {
    if(!deps.adminToken) throw new DomainError('ADMIN_API_DISABLED', 403, 'Creating organizations over the API needs LAUREL_ADMIN_TOKEN to be set on the server.');
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if(!m || !safeEqual(m[1], deps.adminToken)) throw new DomainError('UNAUTHENTICATED', 401, 'Send the admin token as "Authorization: Bearer <LAUREL_ADMIN_TOKEN>".');
    const input = CreateOrganization.parse(request.body);
    return reply.code(201).send(await s.organizations.create(input, {type: 'admin'}));
  });

  app.get('/api/v1/organization', auth, async request => s.organizations.view(request.org));

  app.get('/api/v1/organization/did.json', auth, async request => {
    if(request.org.did_method !== 'web') {
      const did = await s.organizations.currentDid(request.org);
      return (await s.organizations.resolveLocalDid(did))!;
    }
    return s.organizations.didDocument(request.org);
  });

  app.post('/api/v1/organization/keys/rotate', auth, async request => s.organizations.rotateKey(request.org, request.actor));

  app.patch('/api/v1/organization', auth, async request =>
    s.organizations.updateSettings(request.org, UpdateOrganization.parse(request.body), request.actor));

  // API keys: the secret is shown once, at creation; revoking one stops it at once.
  app.get('/api/v1/api-keys', auth, async request => s.organizations.listApiKeys(request.org));
  app.post('/api/v1/api-keys', auth, async (request, reply) =>
    reply.code(201).send(await s.organizations.createApiKey(request.org, CreateApiKey.parse(request.body).name, request.actor)));
  app.delete('/api/v1/api-keys/:id', auth, async request => s.organizations.revokeApiKey(request.org, idParam(request), request.actor));

  // Achievements.
  app.post('/api/v1/achievements', auth, async (request, reply) =>
    reply.code(201).send(await s.achievements.create(request.org, AchievementBody.parse(request.body) as AchievementInput, request.actor)));

  app.get('/api/v1/achievements', auth, async request => {
    const q = ListAchievementsQuery.parse(request.query);
    return s.achievements.list(request.org, q);
  });

  app.get('/api/v1/achievements/:id', auth, async request => s.achievements.get(request.org, idParam(request)));

  app.put('/api/v1/achievements/:id', auth, async request =>
    s.achievements.update(request.org, idParam(request), AchievementBody.parse(request.body) as AchievementInput, request.actor));

  app.patch('/api/v1/achievements/:id', auth, async request => {
    const patch = AchievementPatch.parse(request.body);
    const current = await s.achievements.get(request.org, idParam(request));
    const {id: _i, status: _s, createdAt: _c, updatedAt: _u, achievement: _a, ...fields} = current;
    // Re-validate the merged result so PATCH can never store what PUT would refuse.
    const merged = AchievementBody.parse({...fields, ...patch});
    return s.achievements.update(request.org, idParam(request), merged as AchievementInput, request.actor);
  });

  app.post('/api/v1/achievements/:id/archive', auth, async request => s.achievements.setStatus(request.org, idParam(request), 'archived', request.actor));
  app.post('/api/v1/achievements/:id/unarchive', auth, async request => s.achievements.setStatus(request.org, idParam(request), 'active', request.actor));

  // Credentials.
  app.post('/api/v1/credentials', auth, async (request, reply) => {
    const key = idempotencyKey(request);
    const input = IssueCredential.parse(request.body);
    const result = await s.credentials.issue(request.org, input, request.actor, key);
    if(result.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(result.statusCode).header('location', `/api/v1/credentials/${result.body.id}`).send(result.body);
  });

  app.get('/api/v1/credentials', auth, async request => {
    const q = ListCredentialsQuery.parse(request.query);
    return s.credentials.list(request.org, q);
  });

  app.get('/api/v1/credentials/:id', auth, async request => s.credentials.get(request.org, idParam(request)));
}
