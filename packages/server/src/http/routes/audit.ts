/** The audit log API, /api/v1/audit: list, CSV export, signed head, server-side verification. */
import {Readable} from 'node:stream';
import type {FastifyInstance, FastifyRequest} from 'fastify';
import type {Services} from '../../laurel.js';
import {ListAuditQuery} from '../schemas.js';

/** Registers /api/v1/audit routes; every one is scoped to the API key's organization. */
export function registerAuditRoutes(app: FastifyInstance, s: Services, deps: {authenticate: (request: FastifyRequest) => Promise<void>}): void {
  const auth = {onRequest: deps.authenticate};

  app.get('/api/v1/audit', auth, async request => s.audit.list(request.org, ListAuditQuery.parse(request.query)));

  // Streamed a page of rows at a time, so a log of millions of entries is never held in memory.
  app.get('/api/v1/audit/export.csv', auth, async (request, reply) => reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="audit-${request.org.slug}.csv"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(s.audit.exportCsv(request.org))));

  app.get('/api/v1/audit/head', auth, async request => s.audit.head(request.org));

  app.get('/api/v1/audit/verify', auth, async request => s.audit.verify(request.org));
}
