// Test helpers: node:crypto backed Ed25519 signers (tests may do I/O; the core may not).
import {createPrivateKey, createPublicKey, generateKeyPairSync, sign} from 'node:crypto';
import type {Signer} from '../src/signer.js';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A Signer over a raw 32-byte Ed25519 seed. */
export function seedSigner(id: string, seed: Uint8Array): Signer {
  const key = createPrivateKey({key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8'});
  return {id, algorithm: 'Ed25519', sign: data => new Uint8Array(sign(null, data, key))};
}

/** A fresh random Ed25519 key: its seed and raw public key. */
export function randomEd25519(): {seed: Uint8Array; publicKey: Uint8Array} {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519');
  const seed = new Uint8Array(privateKey.export({format: 'der', type: 'pkcs8'}).subarray(16));
  const pub = new Uint8Array(createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(12));
  return {seed, publicKey: pub};
}
