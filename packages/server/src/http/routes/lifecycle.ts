/**
 * Credential lifecycle routes: revoke, suspend, reinstate, renew, bulk revocation.
 * `<id>` is the last path segment of `credential.id` (or, for a credential signed
 * through VC-API, its `id`).
 */
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {DomainError} from '../../errors.js';
import type {Services} from '../../laurel.js';
import {BulkRevoke, RenewCredential, RevokeCredential, SuspendCredential} from '../schemas.js';

/** Registers the lifecycle routes behind the API key hook. */
export function registerLifecycleRoutes(app: FastifyInstance, s: Services, authenticate: (request: FastifyRequest) => Promise<void>): void {
  const auth = {onRequest: authenticate};
  const idParam = (request: FastifyRequest) => (request.params as {id: string}).id;

  app.post('/api/v1/credentials/:id/revoke', auth, async request =>
    s.lifecycle.revoke(request.org, idParam(request), RevokeCredential.parse(request.body), request.actor));

  app.post('/api/v1/credentials/:id/suspend', auth, async request =>
    s.lifecycle.suspend(request.org, idParam(request), SuspendCredential.parse(request.body), request.actor));

  app.post('/api/v1/credentials/:id/reinstate', auth, async request =>
    s.lifecycle.reinstate(request.org, idParam(request), request.actor));

  app.post('/api/v1/credentials/:id/renew', auth, async (request, reply) => {
    const input = RenewCredential.parse(request.body ?? {});
    const result = await s.credentials.renew(request.org, idParam(request), input, request.actor, s.lifecycle.revokeForRenewal(request.actor));
    return reply.code(result.statusCode).header('location', `/api/v1/credentials/${result.body.id}`).send(result.body);
  });

  // A signed credential never changes: expiry moves by renewal (a new credential).
  const immutable = async (_request: FastifyRequest, reply: {header: (k: string, v: string) => unknown}) => {
    reply.header('allow', 'GET');
    throw new DomainError('CREDENTIAL_IMMUTABLE', 405,
      'An issued credential is signed and cannot be edited. To change its expiry, renew it: POST /api/v1/credentials/<id>/renew {"validUntil": "…", "revokeOld": true}.');
  };
  app.patch('/api/v1/credentials/:id', auth, immutable);
  app.put('/api/v1/credentials/:id', auth, immutable);

  app.post('/api/v1/credentials/revocations', auth, async (request, reply) => {
    const input = BulkRevoke.parse(request.body);
    const view = await s.lifecycle.startBulkRevocation(request.org, input.filter, input, request.actor);
    return reply.code(202).header('location', `/api/v1/credentials/revocations/${view.id}`).send(view);
  });

  app.get('/api/v1/credentials/revocations/:id', auth, async request => s.lifecycle.bulkRevocation(request.org, idParam(request)));
}
