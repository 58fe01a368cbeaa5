// Test credentials, signed with core and node:crypto Ed25519 keys (tests may do I/O; the core may not).
import {createPrivateKey, createPublicKey, sign} from 'node:crypto';
import {buildAchievementCredential, buildDidDocument, Canonicalizer, type ControllerDocument, createDocumentLoader,
  didKeyFromPublicKey, encodeEd25519PublicKey, signCredential, type Signer} from '@laurel/core';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const canonicalizer = new Canonicalizer(createDocumentLoader());

/** An Ed25519 key from a fixed seed byte, so runs are reproducible. */
export interface TestKey {
  publicKey: Uint8Array;
  signerFor(verificationMethod: string): Signer;
}

/** A deterministic Ed25519 key: the seed is 32 copies of `seedByte`. */
export function testKey(seedByte: number): TestKey {
  const privateKey = createPrivateKey({key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.alloc(32, seedByte)]), format: 'der', type: 'pkcs8'});
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(12));
  return {
    publicKey,
    signerFor: id => ({id, algorithm: 'Ed25519', sign: data => new Uint8Array(sign(null, data, privateKey))}),
  };
}

/** An issuer: its DID, the key's verification method, and (for did:web) the document to serve. */
export interface TestIssuer {
  did: string;
  signer: Signer;
  document: ControllerDocument;
}

/** A did:key issuer. */
export function didKeyIssuer(key: TestKey): TestIssuer {
  const did = didKeyFromPublicKey(key.publicKey);
  const fragment = encodeEd25519PublicKey(key.publicKey);
  return {did, signer: key.signerFor(`${did}#${fragment}`), document: {id: did}};
}

/** A did:web issuer whose key-1 has been valid since 2020. */
export function didWebIssuer(did: string, key: TestKey): TestIssuer {
  const document = buildDidDocument(did, [{fragment: 'key-1', publicKey: key.publicKey, validFrom: '2020-01-01T00:00:00Z'}]);
  return {did, signer: key.signerFor(`${did}#key-1`), document};
}

/** Issues a signed OB 3.0 credential valid from 2025 until 2099. */
export async function issueCredential(issuer: TestIssuer, id = 'https://laurel.test/c/1', achievementName = 'Test Badge'): Promise<Record<string, unknown>> {
  const unsigned = buildAchievementCredential({
    id,
    issuer: {id: issuer.did, type: ['Profile'], name: 'Test Issuer'},
    achievement: {id: 'https://laurel.test/achievements/1', type: ['Achievement'], name: achievementName, description: 'A badge for tests.',
      criteria: {narrative: 'Run the tests.'}},
    recipient: {name: 'Ada Lovelace', email: 'ada@example.com'},
    salt: 'test-salt',
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: '2099-01-01T00:00:00Z',
  });
  return signCredential(unsigned, issuer.signer, '2025-01-01T00:00:00Z', canonicalizer);
}
