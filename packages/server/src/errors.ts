/**
 * Coded domain errors. Services throw these; one mapper (http/problem.ts) turns
 * them into RFC 9457 problem+json. Codes are public API.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED' | 'MALFORMED_JSON' | 'DUPLICATE_JSON_KEY' | 'UNSUPPORTED_MEDIA_TYPE' | 'BODY_TOO_LARGE'
  | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'ADMIN_API_DISABLED'
  | 'NOT_FOUND' | 'ACHIEVEMENT_NOT_FOUND' | 'CREDENTIAL_NOT_FOUND' | 'ORGANIZATION_NOT_FOUND'
  | 'ACHIEVEMENT_ARCHIVED' | 'SLUG_TAKEN' | 'DOMAIN_TAKEN'
  | 'IDEMPOTENCY_KEY_REUSED' | 'IDEMPOTENCY_KEY_IN_PROGRESS'
  | 'ISSUER_NOT_OWNED' | 'CREDENTIAL_INVALID' | 'NOT_VERIFIED'
  | 'CREDENTIAL_REVOKED' | 'CREDENTIAL_IMMUTABLE' | 'BULK_REVOCATION_NOT_FOUND'
  | 'BATCH_NOT_FOUND' | 'BATCH_FINISHED' | 'BATCH_FILE_INVALID' | 'BATCH_TOO_LARGE'
  | 'API_KEY_NOT_FOUND' | 'LAST_API_KEY'
  | 'EMAIL_DISABLED' | 'CREDENTIAL_HAS_NO_EMAIL' | 'EMAIL_TEMPLATE_INVALID' | 'EMAIL_TEMPLATE_NOT_FOUND' | 'UNSUBSCRIBE_LINK_INVALID'
  | 'TEMPLATE_NOT_FOUND' | 'TEMPLATE_VERSION_NOT_FOUND' | 'TEMPLATE_INVALID' | 'TEMPLATE_ARCHIVED' | 'TEMPLATE_FORMAT_MISMATCH'
  | 'ASSET_NOT_FOUND' | 'ASSET_TYPE_UNSUPPORTED' | 'ASSET_INVALID' | 'ASSET_TOO_LARGE'
  | 'MAGIC_LINK_INVALID' | 'CSRF_INVALID' | 'HANDLE_INVALID' | 'HANDLE_TAKEN'
  | 'METHOD_NOT_ALLOWED' | 'RATE_LIMITED' | 'INTERNAL';

/** One field-level problem, pointing at the input. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** An error a client can act on. */
export class DomainError extends Error {
  constructor(readonly code: ErrorCode, readonly status: number, message: string,
    readonly extra: {errors?: FieldProblem[]; [k: string]: unknown} = {}) {
    super(message);
  }
}

export const notFound = (code: ErrorCode, what: string) => new DomainError(code, 404, `${what} was not found.`);
