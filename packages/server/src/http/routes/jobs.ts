/** GET /api/v1/jobs: the caller organization's background jobs (jobs carry organizationId in their data). */
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {notFound} from '../../errors.js';
import type {Services} from '../../laurel.js';
import {ListJobsQuery} from '../schemas.js';

/** Registers the job routes behind the API key hook. */
export function registerJobRoutes(app: FastifyInstance, s: Services, deps: {authenticate: (request: FastifyRequest) => Promise<void>}): void {
  const auth = {onRequest: deps.authenticate};

  app.get('/api/v1/jobs', auth, async request => s.jobs.list(request.org.id, ListJobsQuery.parse(request.query)));

  app.get('/api/v1/jobs/:id', auth, async request => {
    const id = (request.params as {id: string}).id;
    // Another organization's job answers 404, as every other id does.
    const job = await s.jobs.get(id, request.org.id);
    if(!job) throw notFound('NOT_FOUND', `Job ${id}`);
    return job;
  });
}
