/**
 * Idempotency-Key support: the first request's response is stored in the same
 * transaction as its effects (services/credentials.ts); a retry with the same
 * key and body gets it back, the same key with another body is refused (422).
 */
import canonicalize from 'canonicalize';
import {sha256Hex} from '../crypto/tokens.js';

/** A response to replay: status code and JSON body. */
export interface StoredResponse<T> {
  statusCode: number;
  body: T;
  replayed: boolean;
}

/** Hash of a request: route plus the JCS-canonical body, so key order does not matter. */
export function requestHash(route: string, body: unknown): string {
  return sha256Hex(`${route}\n${(canonicalize as unknown as (v: unknown) => string)(body ?? null)}`);
}
