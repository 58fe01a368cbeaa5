/**
 * Unsubscribe links (RFC 8058 one-click): the token names the organization and the
 * address (its hash) and carries an HMAC, so nothing needs to be stored per message
 * and a token cannot be forged or moved to another address or organization.
 */
import {createHash, createHmac, hkdfSync, timingSafeEqual} from 'node:crypto';

const VERSION = 1;
const TAG_BYTES = 16;
const UUID_HEX = /^[0-9a-f]{32}$/;

/**
 * The HMAC key of unsubscribe tokens, derived from the master key with HKDF-SHA256 under its
 * own label: never the master key itself, and independent of the keys it encrypts with.
 */
export function unsubscribeKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'laurel/email-unsubscribe/v1', 32));
}

/** The address as compared: trimmed, NFC, lower-case (providers treat the local part case-insensitively in practice). */
export function normaliseAddress(address: string): string {
  return address.trim().normalize('NFC').toLowerCase();
}

/** SHA-256 of the normalised address: how suppressions are stored. */
export function addressHash(address: string): Buffer {
  return createHash('sha256').update(normaliseAddress(address)).digest();
}

function tag(key: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', key).update(body).digest().subarray(0, TAG_BYTES);
}

/** `base64url(version ‖ organization id (16) ‖ address hash (32) ‖ HMAC-SHA256 truncated to 128 bits)`. */
export function unsubscribeToken(key: Buffer, organizationId: string, hash: Buffer): string {
  const body = Buffer.concat([Buffer.from([VERSION]), Buffer.from(organizationId.replace(/-/g, ''), 'hex'), hash]);
  return Buffer.concat([body, tag(key, body)]).toString('base64url');
}

/** The organization and address hash of a genuine token, or null. */
export function parseUnsubscribeToken(key: Buffer, token: string): {organizationId: string; addressHash: Buffer} | null {
  if(!/^[A-Za-z0-9_-]{1,200}$/.test(token)) return null;
  const raw = Buffer.from(token, 'base64url');
  if(raw.length !== 1 + 16 + 32 + TAG_BYTES || raw[0] !== VERSION) return null;
  const body = raw.subarray(0, 1 + 16 + 32);
  if(!timingSafeEqual(tag(key, body), raw.subarray(body.length))) return null;
  const hex = body.subarray(1, 17).toString('hex');
  if(!UUID_HEX.test(hex)) return null;
  const organizationId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return {organizationId, addressHash: Buffer.from(body.subarray(17))};
}
