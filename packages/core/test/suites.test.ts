// Interop of Laurel's proof suites with the Digital Bazaar reference cryptosuites
// (eddsa-jcs-2022-cryptosuite 1.0.0, ecdsa-rdfc-2019-cryptosuite 1.3.0, ecdsa-jcs-2019-cryptosuite 1.0.0,
// ecdsa-multikey 1.8.0, ed25519-signature-2020 5.4.0 + ed25519-verification-key-2020 4.2.0, driven by
// @digitalbazaar/vc 7.3.0 and data-integrity 2.5.0). Both sides load only Laurel's bundled contexts plus
// the key documents served here; nothing is fetched.
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as ecdsaJcs from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite';
import {cryptosuite as dbEcdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import * as eddsaJcs from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {cryptosuite as dbEddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {nodeCryptoPorts} from '../src/node.js';
import {createDocumentLoader, DID_V1_CONTEXT, ED25519_2020_CONTEXT, MULTIKEY_V1_CONTEXT, VC_V1_CONTEXT} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {didKeyDocument, resolveDidKey} from '../src/did.js';
import {decodeEd25519SecretKey} from '../src/multikey.js';
import {publicKeyOf} from '../src/proof-suite.js';
import {signCredential} from '../src/sign.js';
import {ALL_SUITES, createEddsaJcsProof, ecdsaRdfc2019, eddsaJcs2022} from '../src/suites/index.js';
import {verifyCredential} from '../src/verify.js';
import {codesOf, randomDidKey, sampleCredentialInput, seedSigner} from './helpers.js';

type Credential = Record<string, any>;
interface DbVerifyResult {
  verified: boolean;
  error?: {message?: string; errors?: {message?: string}[]};
  results?: {verified: boolean; error?: {message?: string}}[];
}

const NOW = new Date('2026-01-01T00:00:00Z');
const CREATED = '2025-01-01T00:00:00Z';
const canonicalizer = new Canonicalizer(createDocumentLoader());
const nodeCanonicalizer = new Canonicalizer(createDocumentLoader(), nodeCryptoPorts());
const dbMessage = (r: DbVerifyResult) => r.error?.errors?.map(e => e.message).join('; ') ?? r.error?.message ?? r.results?.[0]?.error?.message;

/** Laurel's verifier with every suite and did:key resolution (Ed25519 and P-256). */
const laurelVerify = (credential: unknown) =>
  verifyCredential(credential, {canonicalizer, resolveController: resolveDidKey, now: () => NOW, suites: ALL_SUITES});

/** The did:key documents DB dereferences: Laurel's DID document and the method as its own document. */
function didKeyDocuments(did: string): Record<string, unknown> {
  const doc = didKeyDocument(did)!;
  const vm = doc.verificationMethod![0];
  return {[did]: doc, [vm.id]: {'@context': MULTIKEY_V1_CONTEXT, ...vm}};
}

async function dbIssue(unsigned: Record<string, unknown>, suite: unknown): Promise<Credential> {
  // vc.issue may add to the credential it is given: hand it a copy.
  return await vc.issue({credential: structuredClone(unsigned), suite, documentLoader: createDocumentLoader(), now: NOW}) as Credential;
}

async function dbVerify(credential: unknown, suite: unknown, documents: Record<string, unknown>): Promise<DbVerifyResult> {
  const documentLoader = createDocumentLoader(new Map(Object.entries(documents)));
  return await vc.verifyCredential({credential, suite, documentLoader, now: NOW}) as DbVerifyResult;
}

/** A DB Ed25519 Multikey did:key with its signer. */
async function dbEd25519DidKey() {
  const generated = await Ed25519Multikey.generate();
  const {publicKeyMultibase, secretKeyMultibase} = await generated.export({publicKey: true, secretKey: true, includeContext: false}) as
    {publicKeyMultibase: string; secretKeyMultibase: string};
  const did = `did:key:${publicKeyMultibase}`;
  const vmId = `${did}#${publicKeyMultibase}`;
  const keyPair = await Ed25519Multikey.from({id: vmId, controller: did, publicKeyMultibase, secretKeyMultibase});
  return {did, vmId, secretKeyMultibase, keyPair};
}

/** A DB ECDSA Multikey did:key (P-256 `zDn…`, or P-384) with its signer. */
async function dbEcdsaDidKey(curve: 'P-256' | 'P-384' = 'P-256') {
  const keyPair = await EcdsaMultikey.generate({curve});
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  keyPair.id = `${did}#${keyPair.publicKeyMultibase}`;
  keyPair.controller = did;
  return {did, vmId: keyPair.id, keyPair};
}

/** Copies a JSON value with every object's keys in reverse order. */
function reorderKeys(value: unknown): unknown {
  if(Array.isArray(value)) return value.map(reorderKeys);
  if(value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorderKeys(v)]));
  return value;
}

async function expectValid(signed: Credential) {
  const result = await laurelVerify(signed);
  expect(result.errors).toEqual([]);
  expect(codesOf(result)).toMatchObject({structure: 'STRUCTURE_VALID', contexts: 'CONTEXTS_ALLOWED', proof: 'PROOF_VALID', issuer: 'ISSUER_VALID'});
  expect(result.verified).toBe(true);
}

async function expectTamperFails(signed: Credential) {
  const tampered: Credential = structuredClone(signed);
  tampered.credentialSubject.achievement.name = 'Rust 102';
  const result = await laurelVerify(tampered);
  expect(result.verified).toBe(false);
  expect(codesOf(result).proof).toBe('PROOF_VERIFICATION_ERROR');
}

describe('eddsa-jcs-2022', () => {
  it('DB signs, Laurel verifies; tampering fails; key order does not matter', async () => {
    const key = await dbEd25519DidKey();
    const signed = await dbIssue(buildAchievementCredential(sampleCredentialInput(key.did)),
      new DataIntegrityProof({signer: key.keyPair.signer(), date: CREATED, cryptosuite: eddsaJcs.createSignCryptosuite()}));
    expect(signed.proof).toMatchObject({type: 'DataIntegrityProof', cryptosuite: 'eddsa-jcs-2022', verificationMethod: key.vmId});
    await expectValid(signed);
    await expectTamperFails(signed);
    await expectValid(reorderKeys(signed) as Credential);
    // JCS is value-sensitive: a changed value type is an altered document.
    const retyped: Credential = structuredClone(signed);
    retyped.credentialSubject.achievement.tag = 'rust';
    expect(codesOf(await laurelVerify(retyped)).proof).toBe('PROOF_VERIFICATION_ERROR');
  });

  it('Laurel signs, DB verifies, and the signature is byte-identical to DB\'s', async () => {
    const key = await dbEd25519DidKey();
    const unsigned = buildAchievementCredential(sampleCredentialInput(key.did));
    const ours = await signCredential(unsigned, seedSigner(key.vmId, decodeEd25519SecretKey(key.secretKeyMultibase)!), CREATED, canonicalizer,
      {cryptosuite: 'eddsa-jcs-2022'});
    expect(ours.proof).toMatchObject({cryptosuite: 'eddsa-jcs-2022', '@context': unsigned['@context']});
    const verifySuite = new DataIntegrityProof({cryptosuite: eddsaJcs.createVerifyCryptosuite()});
    const result = await dbVerify(ours, verifySuite, didKeyDocuments(key.did));
    expect(result.verified, dbMessage(result)).toBe(true);
    await expectValid(ours);

    const theirs = await dbIssue(unsigned, new DataIntegrityProof({signer: key.keyPair.signer(), date: CREATED, cryptosuite: eddsaJcs.createSignCryptosuite()}));
    expect(ours.proof.proofValue).toBe(theirs.proof.proofValue);

    const tampered: Credential = structuredClone(ours);
    tampered.credentialSubject.achievement.name = 'Rust 102';
    expect((await dbVerify(tampered, verifySuite, didKeyDocuments(key.did))).verified).toBe(false);
  });

  it('a proof whose @context is not a prefix of the document\'s is malformed', async () => {
    const issuer = randomDidKey();
    const unsigned = buildAchievementCredential(sampleCredentialInput(issuer.did));
    const proof = await createEddsaJcsProof(unsigned, issuer.signer, {created: CREATED}, canonicalizer);
    const moved = {...unsigned, proof: {...proof, '@context': [...(unsigned['@context'] as string[])].reverse()}};
    expect(codesOf(await laurelVerify(moved)).proof).toBe('MALFORMED_PROOF_ERROR');
    expect(proof.proofValue).toMatch(/^z/);
  });
});

describe('ecdsa-rdfc-2019 and ecdsa-jcs-2019 (P-256)', () => {
  for(const [name, sign] of [
    ['ecdsa-rdfc-2019', () => dbEcdsaRdfc2019],
    ['ecdsa-jcs-2019', () => ecdsaJcs.createSignCryptosuite()],
  ] as const) {
    it(`${name}: DB signs with a zDn did:key, Laurel verifies; tampering fails`, async () => {
      const key = await dbEcdsaDidKey();
      expect(key.did).toMatch(/^did:key:zDn/);
      expect(publicKeyOf(didKeyDocument(key.did)!.verificationMethod![0])?.kind).toBe('P-256');
      const signed = await dbIssue(buildAchievementCredential(sampleCredentialInput(key.did)),
        new DataIntegrityProof({signer: key.keyPair.signer(), date: CREATED, cryptosuite: sign()}));
      expect(signed.proof).toMatchObject({cryptosuite: name, verificationMethod: key.vmId});
      await expectValid(signed);
      await expectTamperFails(signed);
      // The node:crypto P-256 port (@laurel/core/node) gives the same results as WebCrypto.
      const nodeVerify = (credential: unknown) => verifyCredential(credential, {canonicalizer: nodeCanonicalizer,
        resolveController: resolveDidKey, now: () => NOW, suites: ALL_SUITES});
      const forged = {...signed, credentialSubject: {...signed.credentialSubject, name: 'Forged'}};
      for(const doc of [signed, forged]) {
        expect(codesOf(await nodeVerify(doc))).toEqual(codesOf(await laurelVerify(doc)));
      }
      expect((await nodeVerify(signed)).verified).toBe(true);
      expect((await nodeVerify(forged)).verified).toBe(false);
      if(name === 'ecdsa-jcs-2019') await expectValid(reorderKeys(signed) as Credential);
    });
  }

  it('a P-384 key is refused cleanly, never thrown', async () => {
    const key = await dbEcdsaDidKey('P-384');
    const signed = await dbIssue(buildAchievementCredential(sampleCredentialInput(key.did)),
      new DataIntegrityProof({signer: key.keyPair.signer(), date: CREATED, cryptosuite: dbEcdsaRdfc2019}));
    expect(didKeyDocument(key.did)).toBeNull();
    expect(publicKeyOf({id: key.vmId, type: 'Multikey', controller: key.did, publicKeyMultibase: key.keyPair.publicKeyMultibase})).toBeNull();
    const result = await laurelVerify(signed);
    expect(result.verified).toBe(false);
    expect(codesOf(result)).toMatchObject({proof: 'CHECK_NOT_RUN', issuer: 'ISSUER_UNRESOLVED'});
  });
});

describe('a proof presented with a key of the wrong type fails cleanly', () => {
  it('Ed25519 suites with a P-256 key, ECDSA suites with an Ed25519 key', async () => {
    const p256 = await dbEcdsaDidKey();
    const ecdsaSigned = await dbIssue(buildAchievementCredential(sampleCredentialInput(p256.did)),
      new DataIntegrityProof({signer: p256.keyPair.signer(), date: CREATED, cryptosuite: dbEcdsaRdfc2019}));
    for(const relabel of [{cryptosuite: 'eddsa-jcs-2022'}, {cryptosuite: 'eddsa-rdfc-2022'}, {type: 'Ed25519Signature2020', cryptosuite: undefined}]) {
      const relabelled = {...ecdsaSigned, proof: {...ecdsaSigned.proof, ...relabel}};
      const result = await laurelVerify(relabelled);
      expect(codesOf(result).proof, JSON.stringify(relabel)).toBe('PROOF_VERIFICATION_ERROR');
      expect(result.checks.find(c => c.check === 'proof')!.message).toMatch(/P-256 key/);
    }
    const ed = randomDidKey();
    const edSigned = await signCredential(buildAchievementCredential(sampleCredentialInput(ed.did)), ed.signer, CREATED, canonicalizer);
    for(const cryptosuite of ['ecdsa-rdfc-2019', 'ecdsa-jcs-2019']) {
      const result = await laurelVerify({...edSigned, proof: {...edSigned.proof, cryptosuite}});
      expect(codesOf(result).proof).toBe('PROOF_VERIFICATION_ERROR');
      expect(result.checks.find(c => c.check === 'proof')!.message).toMatch(/Ed25519 key/);
    }
    // Directly, too: the suite objects never throw.
    expect(await eddsaJcs2022.verify(ecdsaSigned, ecdsaSigned.proof, {kind: 'P-256', compressed: new Uint8Array(33)}, canonicalizer))
      .toMatchObject({verified: false, code: 'PROOF_VERIFICATION_ERROR'});
    expect(await ecdsaRdfc2019.verify(ecdsaSigned, ecdsaSigned.proof, {kind: 'P-256', compressed: new Uint8Array(33)}, canonicalizer))
      .toMatchObject({verified: false, code: 'PROOF_VERIFICATION_ERROR'});
  });
});

/** The sample OB 3.0 credential as VC 1.1: v1 context first, issuanceDate / expirationDate. */
function vc11Credential(issuerDid: string, extraContexts: string[] = []): Record<string, unknown> {
  const {validFrom, validUntil, '@context': context, ...rest} = buildAchievementCredential(sampleCredentialInput(issuerDid)) as Credential;
  return {'@context': [VC_V1_CONTEXT, ...(context as string[]).slice(1), ...extraContexts], ...rest,
    issuanceDate: validFrom, expirationDate: validUntil};
}

describe('VC 1.1 credentials', () => {
  it('Ed25519Signature2020: DB signs, Laurel verifies; tampering fails', async () => {
    const generated = await Ed25519VerificationKey2020.generate();
    const did = `did:key:${generated.publicKeyMultibase}`;
    generated.id = `${did}#${generated.publicKeyMultibase}`;
    generated.controller = did;
    const signed = await dbIssue(vc11Credential(did, [ED25519_2020_CONTEXT]), new Ed25519Signature2020({key: generated, date: CREATED}));
    expect(signed.proof).toMatchObject({type: 'Ed25519Signature2020', verificationMethod: generated.id});
    await expectValid(signed);
    expect(codesOf(await laurelVerify(signed))).toMatchObject({schema: 'SCHEMA_NOT_APPLICABLE', validity: 'VALIDITY_OK'});
    await expectTamperFails(signed);
  });

  it('eddsa-rdfc-2022: DB signs, Laurel verifies; tampering fails', async () => {
    const key = await dbEd25519DidKey();
    const signed = await dbIssue(vc11Credential(key.did),
      new DataIntegrityProof({signer: key.keyPair.signer(), date: CREATED, cryptosuite: dbEddsaRdfc2022}));
    expect(signed['@context'][0]).toBe(VC_V1_CONTEXT);
    await expectValid(signed);
    await expectTamperFails(signed);
  });
});

it('the did:key documents Laurel derives carry the DID and Multikey contexts', () => {
  expect(didKeyDocument(randomDidKey().did)!['@context']).toEqual([DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT]);
});
