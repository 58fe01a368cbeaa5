/** RFC 9457 problem details: the one mapper from errors to HTTP responses (STYLE habit 7). */
import type {FastifyError, FastifyReply, FastifyRequest} from 'fastify';
import {ZodError} from 'zod';
import {DomainError, type ErrorCode, type FieldProblem} from '../errors.js';

/** A problem+json body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode | string;
  instance?: string;
  errors?: FieldProblem[];
  [k: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 500: 'Internal Server Error',
};

/** Builds a problem body. The type is a URN per code: stable and never dereferenced. */
export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return {type: `urn:laurel:problem:${code.toLowerCase().replace(/_/g, '-')}`, title: TITLES[status] ?? 'Error', status, detail, code, ...extra};
}

/** Sends a problem+json response. */
export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  if(p.status === 401) reply.header('www-authenticate', 'Bearer realm="laurel"');
  return reply.code(p.status).type('application/problem+json; charset=utf-8').send(p);
}

/** Turns zod issues into field problems with dotted paths. */
export function zodProblems(error: ZodError): FieldProblem[] {
  return error.issues.map(i => ({path: i.path.map(String).join('.') || '(body)', message: i.message}));
}

// Fastify's own client errors, mapped to stable codes.
const FASTIFY_CODES: Record<string, [number, ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE', 'The request body is larger than the 1 MiB limit.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Send JSON with Content-Type: application/json.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'MALFORMED_JSON', 'The request body is empty; send a JSON object.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'MALFORMED_JSON', 'Content-Length does not match the body.'],
};

/** The error handler: every error becomes problem+json; only programmer errors become 500. */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if(error instanceof DomainError) {
    return sendProblem(reply, problem(error.status, error.code, error.message, {instance: request.url, ...error.extra}));
  }
  if(error instanceof ZodError) {
    return sendProblem(reply, problem(400, 'VALIDATION_FAILED', 'The request is not valid; see errors for each field.',
      {instance: request.url, errors: zodProblems(error)}));
  }
  const fe = error as FastifyError;
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if(mapped) return sendProblem(reply, problem(mapped[0], mapped[1], mapped[2], {instance: request.url}));
  if(fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendProblem(reply, problem(fe.statusCode, fe.statusCode === 429 ? 'RATE_LIMITED' : 'VALIDATION_FAILED', fe.message, {instance: request.url}));
  }
  request.log.error({err: error}, 'unhandled error');
  return sendProblem(reply, problem(500, 'INTERNAL', 'An unexpected error occurred; it has been logged.', {instance: request.url}));
}
