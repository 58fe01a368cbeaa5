/** Random public ids and API keys. */
import {createHash, randomBytes} from 'node:crypto';

/** A public id with 128 random bits, base64url (22 characters): unguessable in URLs. */
export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A new API key: `lrl_<12 hex prefix>_<256-bit secret, base64url>`; only its hash is
 * stored. The prefix is hex (no `_`), so the key splits unambiguously.
 */
export function generateApiKey(): {key: string; prefix: string; hash: Buffer} {
  const prefix = randomBytes(6).toString('hex');
  const key = `lrl_${prefix}_${randomBytes(32).toString('base64url')}`;
  return {key, prefix, hash: hashApiKey(key)};
}

/**
 * SHA-256 of an API key. The secret has 256 random bits, so a fast hash is
 * enough (no dictionary to guess from) and lookups stay O(1) by hash.
 */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** SHA-256 hex of a string. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
