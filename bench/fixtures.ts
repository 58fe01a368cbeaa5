/**
 * What every bench signs: one OB 3.0 AchievementCredential shape, made distinct
 * per iteration (credential id, recipient name, email and salt), and one Ed25519
 * key shared by Laurel and the Digital Bazaar stack.
 */
import {createHash, createPrivateKey, createPublicKey, type KeyObject, sign as edSign} from 'node:crypto';
import {
  type AchievementCredential,
  buildAchievementCredential,
  createDocumentLoader,
  didKeyDocument,
  didKeyFromPublicKey,
  type DocumentLoader,
  encodeEd25519PublicKey,
  MULTIKEY_V1_CONTEXT,
  type Signer,
} from '@laurel/core';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The proof `created` timestamp used by both stacks (fixed: same work, comparable output). */
export const CREATED = '2025-06-01T12:00:00Z';
/** A clock inside the credentials' validity window, for the verification sanity checks. */
export const VERIFY_NOW = new Date('2026-01-01T00:00:00Z');

/** The bench key: a fixed seed, its node:crypto private key, raw public key, did:key and method id. */
export interface BenchKey {
  seed: Uint8Array;
  privateKey: KeyObject;
  publicKey: Uint8Array;
  publicKeyMultibase: string;
  did: string;
  verificationMethod: string;
}

export function benchKey(): BenchKey {
  const seed = new Uint8Array(createHash('sha256').update('laurel bench key').digest());
  const privateKey = createPrivateKey({key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8'});
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(12));
  const did = didKeyFromPublicKey(publicKey);
  const publicKeyMultibase = encodeEd25519PublicKey(publicKey);
  return {seed, privateKey, publicKey, publicKeyMultibase, did, verificationMethod: `${did}#${publicKeyMultibase}`};
}

/** A Laurel Signer over node:crypto (as the server would use: key object created once). */
export function nodeSigner(key: BenchKey): Signer {
  return {id: key.verificationMethod, algorithm: 'Ed25519', sign: data => new Uint8Array(edSign(null, data, key.privateKey))};
}

/**
 * Document loader for the Digital Bazaar stack: Laurel's bundled contexts, plus
 * the did:key controller document and its verification method (what DB's
 * verifier dereferences). Nothing is fetched.
 */
export function dbDocumentLoader(key: BenchKey): DocumentLoader {
  const controllerDoc = didKeyDocument(key.did);
  if(!controllerDoc) throw new Error(`not an Ed25519 did:key: ${key.did}`);
  const method = {'@context': MULTIKEY_V1_CONTEXT, id: key.verificationMethod, type: 'Multikey', controller: key.did,
    publicKeyMultibase: key.publicKeyMultibase};
  return createDocumentLoader(new Map<string, unknown>([[key.did, controllerDoc], [key.verificationMethod, method]]));
}

// One counter for the whole process: no two credentials signed in a run are the same.
let counter = 0;

/** A fresh unsigned OB 3.0 credential, distinct from every other one built in this process. */
export function nextCredential(issuerDid: string): AchievementCredential {
  const i = counter++;
  return buildAchievementCredential({
    id: `https://bench.laurel.example/c/${i.toString(36)}-${(i * 2654435761 >>> 0).toString(16)}`,
    issuer: {
      id: issuerDid,
      type: ['Profile'],
      name: 'Laurel Bench University',
      url: 'https://bench.laurel.example',
      email: 'registrar@bench.laurel.example',
    },
    achievement: {
      id: 'https://bench.laurel.example/achievements/applied-cryptography-101',
      type: ['Achievement'],
      name: 'Applied Cryptography 101',
      description: 'Completed the Applied Cryptography 101 course: hashing, signatures and key management.',
      criteria: {narrative: 'Passed all six lab assignments and the final exam with a grade of at least 70%.'},
      achievementType: 'Certificate',
      alignment: [{
        type: ['Alignment'],
        targetName: 'Cryptography',
        targetUrl: 'https://esco.ec.europa.eu/en/classification/skill?uri=http://data.europa.eu/esco/skill/example-cryptography',
        targetDescription: 'Apply cryptographic techniques to protect information.',
        targetFramework: 'ESCO',
        targetCode: 'S5.6.1',
      }],
    },
    recipient: {name: `Learner Number ${i}`, email: `learner.${i}@students.bench.laurel.example`},
    salt: `s${i.toString(16).padStart(8, '0')}`,
    validFrom: '2025-06-01T00:00:00Z',
    validUntil: '2030-06-01T00:00:00Z',
  });
}
