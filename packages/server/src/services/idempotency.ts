/**
 * Idempotency-Key handling: the first request's response is stored in the same
 * transaction as its effects; a retry with the same key and body gets it back,
 * the same key with another body is refused (422).
 */
import canonicalize from 'canonicalize';
import {sha256Hex} from '../crypto/tokens.js';
import type {Database, Queryable} from '../db/database.js';
import {claimIdempotencyKey, completeIdempotencyKey} from '../db/credentials-repo.js';
import {DomainError} from '../errors.js';

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

/** Runs `fn` in a transaction guarded by an optional idempotency key. */
export async function withIdempotency<T>(db: Database, organizationId: string, key: string | undefined, hash: string,
  statusCode: number, fn: (tx: Queryable) => Promise<T>): Promise<StoredResponse<T>> {
  return db.transaction(async tx => {
    if(key !== undefined) {
      const claim = await claimIdempotencyKey(tx, organizationId, key, hash);
      if(!claim.claimed) {
        if(claim.requestHash !== hash) {
          throw new DomainError('IDEMPOTENCY_KEY_REUSED', 422,
            'This Idempotency-Key was already used with a different request body. Use a new key for a new request.');
        }
        if(claim.statusCode === null || claim.response === null) {
          throw new DomainError('IDEMPOTENCY_KEY_IN_PROGRESS', 409, 'A request with this Idempotency-Key is still in progress; retry shortly.');
        }
        return {statusCode: claim.statusCode, body: JSON.parse(claim.response) as T, replayed: true};
      }
    }
    const body = await fn(tx);
    if(key !== undefined) await completeIdempotencyKey(tx, organizationId, key, statusCode, JSON.stringify(body));
    return {statusCode, body, replayed: false};
  });
}
