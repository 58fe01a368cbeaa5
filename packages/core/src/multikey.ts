/**
 * Multibase / Multikey encoding of Ed25519 keys (Controlled Identifiers §2.2.2, VC-DI-EDDSA §2.1.1).
 * A public key is base58btc('z') of 0xed 0x01 ‖ 32 bytes; a secret key of 0x80 0x26 ‖ 32 bytes.
 */
import {base58, base64url} from '@scure/base';

const ED25519_PUB = [0xed, 0x01];
const ED25519_SECRET = [0x80, 0x26];
/** p256-pub multicodec 0x1200 as a varint (Controlled Identifiers §2.2.2). */
const P256_PUB = [0x80, 0x24];

/** Encodes bytes as multibase base58btc (leading 'z'). */
export function toBase58btc(bytes: Uint8Array): string {
  return 'z' + base58.encode(bytes);
}

/** Decodes multibase base58btc, or returns null when the input is not valid base58btc. */
export function fromBase58btc(text: string): Uint8Array | null {
  if(typeof text !== 'string' || text[0] !== 'z') return null;
  try {
    return base58.decode(text.slice(1));
  } catch {
    return null;
  }
}

/** Decodes multibase base64url-no-pad ('u'), or null. */
export function fromBase64urlMultibase(text: string): Uint8Array | null {
  if(typeof text !== 'string' || text[0] !== 'u') return null;
  try {
    const body = text.slice(1);
    return base64url.decode(body + '='.repeat((4 - body.length % 4) % 4));
  } catch {
    return null;
  }
}

function withPrefix(prefix: number[], key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out;
}

/** The Multikey `publicKeyMultibase` of a raw 32-byte Ed25519 public key. */
export function encodeEd25519PublicKey(raw: Uint8Array): string {
  if(raw.length !== 32) throw new TypeError('Ed25519 public key must be 32 bytes');
  return toBase58btc(withPrefix(ED25519_PUB, raw));
}

/** The Multikey `secretKeyMultibase` of a raw 32-byte Ed25519 seed. */
export function encodeEd25519SecretKey(seed: Uint8Array): string {
  if(seed.length !== 32) throw new TypeError('Ed25519 secret key must be 32 bytes');
  return toBase58btc(withPrefix(ED25519_SECRET, seed));
}

/** Raw 32-byte Ed25519 public key from `publicKeyMultibase`, or null if it is not one. */
export function decodeEd25519PublicKey(multibase: string): Uint8Array | null {
  const bytes = fromBase58btc(multibase);
  if(!bytes || bytes.length !== 34 || bytes[0] !== ED25519_PUB[0] || bytes[1] !== ED25519_PUB[1]) return null;
  return bytes.slice(2);
}

/**
 * Raw 32-byte Ed25519 seed from `secretKeyMultibase`, or null if it is not one.
 * Accepts the 32-byte seed form and the 64-byte seed ‖ public key form that
 * Digital Bazaar's ed25519-multikey (and the 1EdTech vector) use.
 */
export function decodeEd25519SecretKey(multibase: string): Uint8Array | null {
  const bytes = fromBase58btc(multibase);
  if(!bytes || (bytes.length !== 34 && bytes.length !== 66)) return null;
  if(bytes[0] !== ED25519_SECRET[0] || bytes[1] !== ED25519_SECRET[1]) return null;
  return bytes.slice(2, 34);
}

/**
 * SEC1 compressed P-256 point (33 bytes) from a Multikey `publicKeyMultibase`
 * (`zDn…`), or null. Only the encoding is checked; whether the point lies on the
 * curve is left to the verifier's key import.
 */
export function decodeP256PublicKey(multibase: string): Uint8Array | null {
  const bytes = fromBase58btc(multibase);
  if(!bytes || bytes.length !== 35 || bytes[0] !== P256_PUB[0] || bytes[1] !== P256_PUB[1]) return null;
  if(bytes[2] !== 0x02 && bytes[2] !== 0x03) return null;
  return bytes.slice(2);
}
