/**
 * Public renders of a credential: `/c/:id/certificate.pdf`, `image.png`, `og.png`,
 * `badge.png`, `badge.svg`. Cacheable for an hour and revalidated by ETag; `?download=1`
 * asks the browser to save the file. Hidden and unknown credentials are the same 404.
 */
import type {FastifyInstance, FastifyRequest} from 'fastify';
import type {Services} from '../../laurel.js';
import {RENDER_KINDS, type RenderKind} from '../../services/renders.js';

/** Whether an If-None-Match header matches `etag` (RFC 9110 §13.1.2: weak comparison, or `*`). */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if(header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if(value.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return value.split(',').some(t => bare(t) === bare(etag));
}

/** Registers the render routes (no authentication: a credential's link is its capability). */
export function registerRenderRoutes(app: FastifyInstance, s: Services): void {
  for(const kind of Object.keys(RENDER_KINDS) as RenderKind[]) {
    app.get(`/c/:id/${kind}`, async (request: FastifyRequest<{Params: {id: string}; Querystring: {download?: string}}>, reply) => {
      const rendered = await s.renders.forPublic(request.params.id, kind, request.hostOrg);
      reply.type(rendered.contentType).header('etag', rendered.etag).header('cache-control', 'public, max-age=3600')
        .header('access-control-allow-origin', '*');
      // An SVG is a document: nothing in it may run or load, whatever text it carries.
      if(kind === 'badge.svg') reply.header('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'");
      const download = request.query.download;
      if(download === '1' || download === 'true') reply.header('content-disposition', `attachment; filename="${rendered.filename}"`);
      if(etagMatches(request.headers['if-none-match'], rendered.etag)) return reply.code(304).send();
      return reply.send(rendered.bytes);
    });
  }
}
