/**
 * Node.js crypto ports for the core (`@laurel/core/node`): synchronous node:crypto
 * SHA-256, Ed25519 and ECDSA P-256 verification for a Canonicalizer, with the public
 * keys parsed once per process. Not part of the browser
 * bundle: browsers use the WebCrypto defaults.
 *
 * Why: WebCrypto's `subtle.verify` and `subtle.digest` run on libuv's thread pool,
 * so one verification at a time waits on a thread hop per call; node:crypto does
 * the same work on the calling thread (bench/run.ts, v1).
 */
import {createHash, createPublicKey, type KeyObject, verify} from 'node:crypto';
import type {CanonicalizerOptions} from './canonize.js';

// DER prefixes of SubjectPublicKeyInfo: Ed25519 (RFC 8410; the raw 32 bytes follow) and
// P-256 with a SEC1 compressed point (the 33 bytes follow).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const P256_SPKI_PREFIX = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
const MAX_KEYS = 1024;
const keys = new Map<string, KeyObject>();

/** The public key for raw key bytes under an SPKI prefix, parsed once per process (bounded; throws for an invalid key). */
function spkiKey(prefix: Buffer, raw: Uint8Array): KeyObject {
  const id = prefix.toString('hex') + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex');
  let key = keys.get(id);
  if(!key) {
    key = createPublicKey({key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki'});
    if(keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(id, key);
  }
  return key;
}

/** node:crypto Ed25519 verify over a raw public key; false for any malformed input. */
export function nodeVerifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if(publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return verify(null, data, spkiKey(ED25519_SPKI_PREFIX, publicKey), signature);
  } catch {
    return false;
  }
}

/** node:crypto ECDSA P-256 / SHA-256 verify (IEEE P1363 r‖s) over a compressed key; false for any malformed input. */
export function nodeVerifyP256(compressed: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if(compressed.length !== 33 || (compressed[0] !== 2 && compressed[0] !== 3) || signature.length !== 64) return false;
  try {
    // OpenSSL decompresses the point when parsing and refuses one off the curve (throws).
    return verify('sha256', data, {key: spkiKey(P256_SPKI_PREFIX, compressed), dsaEncoding: 'ieee-p1363'}, signature);
  } catch {
    return false;
  }
}

/** node:crypto SHA-256 over UTF-8 text. */
export function nodeSha256(text: string): Uint8Array {
  return createHash('sha256').update(text).digest();
}

/** Canonicalizer options with node:crypto hashing and signature checks. */
export function nodeCryptoPorts(): Pick<CanonicalizerOptions, 'sha256' | 'verifyEd25519' | 'verifyP256'> {
  return {sha256: nodeSha256, verifyEd25519: nodeVerifyEd25519, verifyP256: nodeVerifyP256};
}
