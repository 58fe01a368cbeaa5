/**
 * Node.js crypto ports for the core (`@laurel/core/node`): synchronous node:crypto
 * SHA-256 and Ed25519 verification for a Canonicalizer. Not part of the browser
 * bundle: browsers use the WebCrypto defaults.
 *
 * Why: WebCrypto's `subtle.verify` and `subtle.digest` run on libuv's thread pool,
 * so one verification at a time waits on a thread hop per call; node:crypto does
 * the same work on the calling thread (bench/run.ts, v1).
 */
import {createHash, createPublicKey, type KeyObject, verify} from 'node:crypto';
import type {CanonicalizerOptions} from './canonize.js';

// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32 bytes follow.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAX_KEYS = 1024;
const keys = new Map<string, KeyObject>();

function ed25519Key(raw: Uint8Array): KeyObject {
  const hex = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex');
  let key = keys.get(hex);
  if(!key) {
    key = createPublicKey({key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki'});
    if(keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(hex, key);
  }
  return key;
}

/** node:crypto Ed25519 verify over a raw public key; false for any malformed input. */
export function nodeVerifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if(publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return verify(null, data, ed25519Key(publicKey), signature);
  } catch {
    return false;
  }
}

/** node:crypto SHA-256 over UTF-8 text. */
export function nodeSha256(text: string): Uint8Array {
  return createHash('sha256').update(text).digest();
}

/** Canonicalizer options with node:crypto hashing and signature checks. */
export function nodeCryptoPorts(): Pick<CanonicalizerOptions, 'sha256' | 'verifyEd25519'> {
  return {sha256: nodeSha256, verifyEd25519: nodeVerifyEd25519};
}
