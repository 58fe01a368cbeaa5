// Test helpers: node:crypto backed Ed25519 signers (tests may do I/O; the core may not).
import {createPrivateKey, createPublicKey, generateKeyPairSync, sign} from 'node:crypto';
import type {CredentialInput} from '../src/credential.js';
import {didKeyFromPublicKey} from '../src/did.js';
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

/** A did:key issuer for tests: its DID, verification method URL and Signer. */
export interface TestDidKey {
  did: string;
  vmId: string;
  publicKey: Uint8Array;
  seed: Uint8Array;
  signer: Signer;
}

/** A fresh did:key issuer (Ed25519). */
export function randomDidKey(): TestDidKey {
  const {seed, publicKey} = randomEd25519();
  const did = didKeyFromPublicKey(publicKey);
  const vmId = `${did}#${did.slice('did:key:'.length)}`;
  return {did, vmId, publicKey, seed, signer: seedSigner(vmId, seed)};
}

/** A realistic OB 3.0 credential input for `issuerId`: every optional part Laurel supports is filled. */
export function sampleCredentialInput(issuerId: string, overrides: Partial<CredentialInput> = {}): CredentialInput {
  return {
    id: 'https://laurel.test/c/4f2c9a',
    issuer: {id: issuerId, type: ['Profile'], name: 'Acme Academy', url: 'https://acme.example/', email: 'badges@acme.example'},
    achievement: {
      id: 'https://laurel.test/achievements/rust-101', type: ['Achievement'], name: 'Rust 101',
      description: 'Completed the \u201cRust 101\u201d course.', criteria: {narrative: 'Pass all *five* labs.'},
      achievementType: 'Certificate', tag: ['rust', 'systems'],
      alignment: [{type: ['Alignment'], targetName: 'Ownership', targetUrl: 'https://skills.example/ownership', targetFramework: 'ESCO'}],
    },
    recipient: {name: 'Ada Lovelace', email: 'Ada@Example.com'},
    salt: 'e1d0c9a7',
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: '2030-01-01T00:00:00Z',
    awardedDate: '2024-12-20T12:00:00Z',
    evidence: [{id: 'https://laurel.test/evidence/1', name: 'Final project', narrative: 'A borrow checker in 200 lines.'}],
    ...overrides,
  };
}

/** The code of each check, by check name. */
export function codesOf(result: {checks: {check: string; code: string}[]}): Record<string, string> {
  return Object.fromEntries(result.checks.map(c => [c.check, c.code]));
}
