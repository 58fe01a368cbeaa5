/**
 * Bulk issuance routes. `POST /api/v1/batches` takes multipart/form-data (fields
 * `achievementId`, `mapping`, `sendEmail`, `duplicatePolicy`, `locale`, then the
 * `file` part: CSV or .xlsx, streamed) or JSON rows; `?dryRun=true` only reports.
 */
import {Readable} from 'node:stream';
import type {FastifyInstance, FastifyRequest} from 'fastify';
import {DomainError} from '../../errors.js';
import type {Services} from '../../laurel.js';
import {ingest, ingestFile, jsonRows, JSON_MAPPING, type UploadLimits} from '../../services/batches/ingest.js';
import {UploadError, type UploadFormat} from '../../services/batches/parse.js';
import {parseMapping} from '../../services/batches/validate.js';
import {BatchFields, BatchJson, BatchQuery, ListBatchesQuery} from '../schemas.js';
import {idempotencyKey} from './api.js';

/** Largest JSON body of rows. */
export const JSON_ROWS_BODY_LIMIT = 32 * 1024 * 1024;

/** The format of an uploaded file, from its name (then its media type). */
function formatOf(filename: string, mimetype: string): UploadFormat | null {
  const lower = filename.toLowerCase();
  if(lower.endsWith('.csv') || lower.endsWith('.txt') || lower.endsWith('.tsv')) return 'csv';
  if(lower.endsWith('.xlsx')) return 'xlsx';
  if(/^text\/(csv|plain|tab-separated-values)/.test(mimetype)) return 'csv';
  if(mimetype === 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet') return 'xlsx';
  return null;
}

/** Turns a refused upload into a problem. */
function uploadProblem(error: unknown): never {
  if(error instanceof UploadError) {
    throw new DomainError(error.status === 413 ? 'BATCH_TOO_LARGE' : 'BATCH_FILE_INVALID', error.status === 413 ? 413 : 422, error.message,
      {reason: error.code, ...(error.row !== null ? {row: error.row} : {})});
  }
  const code = (error as {code?: string})?.code;
  if(code === 'FST_REQ_FILE_TOO_LARGE') throw new DomainError('BATCH_TOO_LARGE', 413, 'The file is larger than this server accepts.', {reason: 'FILE_TOO_LARGE'});
  throw error;
}

/** Registers the batch routes behind the API key hook. */
export function registerBatchRoutes(app: FastifyInstance, s: Services, authenticate: (request: FastifyRequest) => Promise<void>, limits: UploadLimits): void {
  const auth = {onRequest: authenticate};
  const idParam = (request: FastifyRequest) => (request.params as {id: string}).id;

  app.post('/api/v1/batches', {...auth, bodyLimit: JSON_ROWS_BODY_LIMIT}, async (request, reply) => {
    const {dryRun} = BatchQuery.parse(request.query);
    const key = idempotencyKey(request);
    let result;
    if(request.isMultipart()) {
      const fields: Record<string, string> = {};
      let done = false;
      for await (const part of request.parts()) {
        if(part.type === 'field') {
          if(done) continue;
          fields[part.fieldname] = String(part.value);
          continue;
        }
        if(done || part.fieldname !== 'file') {
          part.file.resume();
          if(!done) throw new DomainError('VALIDATION_FAILED', 400, `Unexpected file field "${part.fieldname}": send the file as "file".`);
          continue;
        }
        const meta = BatchFields.safeParse(fields);
        if(!meta.success) {
          part.file.resume();
          throw new DomainError('VALIDATION_FAILED', 400,
            'Send the field achievementId (and optionally mapping, sendEmail, duplicatePolicy, locale) before the file part.',
            {errors: meta.error.issues.map(i => ({path: i.path.join('.'), message: i.message}))});
        }
        const mapping = meta.data.mapping === undefined ? {ok: true as const, mapping: undefined} : parseMapping(meta.data.mapping);
        if(!mapping.ok) {
          part.file.resume();
          throw new DomainError('VALIDATION_FAILED', 400, 'The mapping is not valid.',
            {errors: mapping.problems.map(p => ({path: `mapping${p.column ? `.${p.column}` : ''}`, message: p.message}))});
        }
        const format = formatOf(part.filename ?? '', part.mimetype ?? '');
        if(!format) {
          part.file.resume();
          throw new DomainError('BATCH_FILE_INVALID', 415, 'Upload a .csv or .xlsx file.', {reason: 'FORMAT_UNKNOWN'});
        }
        try {
          result = await ingestFile(s.batches, request.org, part.file, format, limits, {
            achievementId: meta.data.achievementId, mapping: mapping.mapping, sendEmail: meta.data.sendEmail,
            duplicatePolicy: meta.data.duplicatePolicy, locale: meta.data.locale, filename: part.filename, idempotencyKey: key, dryRun,
          }, request.actor);
        } catch(error) {
          part.file.resume();
          uploadProblem(error);
        }
        if(part.file.truncated) uploadProblem({code: 'FST_REQ_FILE_TOO_LARGE'});
        // A replayed upload (Idempotency-Key) is not read: drain it so the request can end.
        part.file.resume();
        done = true;
      }
      if(!result) throw new DomainError('VALIDATION_FAILED', 400, 'No file: send it as the multipart field "file".');
    } else {
      const body = BatchJson.parse(request.body);
      const fieldNames = [...new Set(body.rows.flatMap(r => Object.keys(r.fields ?? {})))];
      const mapping = {...JSON_MAPPING, ...(fieldNames.length ? {fields: Object.fromEntries(fieldNames.map(f => [f, `fields.${f}`]))} : {})};
      result = await ingest(s.batches, request.org, {format: 'json', items: jsonRows(body.rows, fieldNames)}, {
        achievementId: body.achievementId, mapping, sendEmail: body.sendEmail, duplicatePolicy: body.duplicatePolicy, locale: body.locale,
        idempotencyKey: key, dryRun,
      }, request.actor).catch(uploadProblem);
    }
    if(result.dryRun) return reply.code(200).send(result.report);
    if(result.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(202).header('location', `/api/v1/batches/${result.batch.id}`).send(result.batch);
  });

  app.get('/api/v1/batches', auth, async request => s.batches.list(request.org, ListBatchesQuery.parse(request.query)));
  app.get('/api/v1/batches/:id', auth, async request => s.batches.get(request.org, idParam(request)));
  app.post('/api/v1/batches/:id/cancel', auth, async request => s.batches.cancel(request.org, idParam(request), request.actor));
  app.get('/api/v1/batches/:id/errors.csv', auth, async (request, reply) => {
    const rows = s.batches.errorsCsv(request.org, idParam(request));
    // The first chunk (the header) is read before the status is sent, so a 404 is still a problem.
    const first = await rows.next();
    async function* all() {
      if(!first.done) yield first.value;
      yield* rows;
    }
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="batch-${idParam(request).replace(/[^A-Za-z0-9_-]/g, '')}-errors.csv"`)
      .send(Readable.from(all()));
  });
}
