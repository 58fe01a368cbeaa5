/**
 * Templates and uploaded images: `/api/v1/templates` (versions, archive, validate, preview)
 * and `/api/v1/assets`. Every route is scoped to the API key's organization: another
 * tenant's ids answer 404.
 */
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {DomainError} from '../../errors.js';
import type {Services} from '../../laurel.js';
import {MAX_ASSET_BYTES} from '../../services/assets.js';
import {CreateTemplate, ListTemplatesQuery, PreviewQuery, PreviewTemplate, UpdateTemplate, ValidateTemplate} from '../schemas.js';

/** Registers the template and asset routes behind the API key hook. */
export function registerTemplateRoutes(app: FastifyInstance, s: Services, deps: {authenticate: (request: FastifyRequest) => Promise<void>}): void {
  const auth = {onRequest: deps.authenticate};
  const idParam = (request: FastifyRequest) => (request.params as {id: string}).id;

  app.post('/api/v1/templates', auth, async (request, reply) =>
    reply.code(201).send(await s.templates.create(request.org, CreateTemplate.parse(request.body), request.actor)));

  app.get('/api/v1/templates', auth, async request => s.templates.list(request.org, ListTemplatesQuery.parse(request.query)));

  // Before /:id, so "validate" and "preview" are never taken for ids.
  app.post('/api/v1/templates/validate', auth, async request => s.templates.validate(request.org, ValidateTemplate.parse(request.body).layout));

  app.post('/api/v1/templates/preview', auth, async (request, reply) => {
    const query = PreviewQuery.parse(request.query);
    const body = PreviewTemplate.parse(request.body);
    const source = 'layout' in body ? {layout: body.layout} : {templateId: body.templateId, version: body.version};
    const out = await s.templates.preview(request.org, source, query.format, body.sample ?? {}, query.width);
    return reply.type(out.contentType).header('cache-control', 'no-store').send(out.body);
  });

  app.get('/api/v1/templates/:id', auth, async request => s.templates.get(request.org, idParam(request)));

  app.put('/api/v1/templates/:id', auth, async request =>
    s.templates.update(request.org, idParam(request), UpdateTemplate.parse(request.body), request.actor));

  app.get('/api/v1/templates/:id/versions', auth, async request => s.templates.versions(request.org, idParam(request)));

  app.get('/api/v1/templates/:id/versions/:version', auth, async request => {
    const {id, version} = request.params as {id: string; version: string};
    return s.templates.version(request.org, id, /^\d{1,9}$/.test(version) ? Number(version) : NaN);
  });

  app.post('/api/v1/templates/:id/archive', auth, async request => s.templates.setStatus(request.org, idParam(request), 'archived', request.actor));
  app.post('/api/v1/templates/:id/unarchive', auth, async request => s.templates.setStatus(request.org, idParam(request), 'active', request.actor));

  // Images: multipart/form-data with one file part (any field name). PNG or JPEG by content, 5 MiB at most.
  app.post('/api/v1/assets', auth, async (request, reply) => {
    if(!request.isMultipart()) {
      throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 415, 'Upload the image as multipart/form-data with one file part.');
    }
    let bytes: Buffer;
    try {
      const part = await request.file({limits: {fileSize: MAX_ASSET_BYTES, files: 1}});
      if(!part) throw new DomainError('VALIDATION_FAILED', 400, 'The request has no file part.', {errors: [{path: 'file', message: 'required'}]});
      bytes = await part.toBuffer();
    } catch(error) {
      if((error as {code?: string})?.code === 'FST_REQ_FILE_TOO_LARGE') {
        throw new DomainError('ASSET_TOO_LARGE', 413, `An image may be at most ${MAX_ASSET_BYTES / 1024 / 1024} MiB.`);
      }
      throw error;
    }
    const {asset, created} = await s.assets.upload(request.org, bytes, request.actor);
    // The organization's identical image is answered instead of a copy (200, same id).
    return reply.code(created ? 201 : 200).header('location', `/api/v1/assets/${asset.id}`).send(asset);
  });

  app.get('/api/v1/assets/:id', auth, async (request, reply) => {
    const {view, bytes} = await s.assets.get(request.org, idParam(request));
    const etag = `"${view.sha256}"`;
    reply.type(view.mime).header('cache-control', 'private, max-age=3600').header('etag', etag)
      .header('x-content-type-options', 'nosniff').header('content-disposition', 'inline');
    if(request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(Buffer.from(bytes));
  });
}
