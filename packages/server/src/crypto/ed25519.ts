/** node:crypto Ed25519 keys for the server: generation and fast signing. */
import {createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign} from 'node:crypto';
import type {Signer} from '@laurel/core';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A new random Ed25519 key pair as raw bytes. */
export function generateEd25519(): {seed: Buffer; publicKey: Buffer} {
  const {privateKey} = generateKeyPairSync('ed25519');
  return {
    seed: privateKey.export({format: 'der', type: 'pkcs8'}).subarray(16),
    publicKey: createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(12),
  };
}

/** A node:crypto private KeyObject from a raw 32-byte seed. */
export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8'});
}

/** A core Signer backed by node:crypto (synchronous, ~20 µs per signature). */
export function nodeSigner(id: string, key: KeyObject): Signer {
  return {id, algorithm: 'Ed25519', sign: data => new Uint8Array(sign(null, data, key))};
}
