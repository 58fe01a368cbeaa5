// Interop with the Digital Bazaar reference stack (@digitalbazaar/vc 7.3.0, data-integrity 2.5.0,
// eddsa-rdfc-2022-cryptosuite 1.3.0, ed25519-multikey 1.3.1): what Laurel signs, DB verifies, and
// the other way round. Both sides load only Laurel's bundled contexts plus the key documents
// served here; nothing is fetched.
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader, DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT} from '../src/contexts/index.js';
import {buildAchievementCredential, type CredentialInput} from '../src/credential.js';
import {buildDidDocument, type ControllerResolver, resolveDidKey} from '../src/did.js';
import {decodeEd25519SecretKey} from '../src/multikey.js';
import {signCredential} from '../src/sign.js';
import {verifyCredential} from '../src/verify.js';
import {codesOf, randomDidKey, randomEd25519, sampleCredentialInput, seedSigner} from './helpers.js';

type Credential = Record<string, any>;
// The DB packages are untyped JavaScript; bench/digitalbazaar.d.ts declares them loosely, and
// these local shapes say what this test reads from them.
interface DbVerifyResult {
  verified: boolean;
  error?: {message?: string; errors?: {message?: string}[]};
  results?: {verified: boolean; error?: {message?: string}}[];
}
interface MultikeyExport {
  '@context'?: string;
  id: string;
  type: 'Multikey';
  controller: string;
  publicKeyMultibase: string;
  secretKeyMultibase?: string;
}

const NOW = new Date('2026-01-01T00:00:00Z');
const CREATED = '2025-01-01T00:00:00Z';
const canonicalizer = new Canonicalizer(createDocumentLoader());

/** DB's verifier, with a strict loader: Laurel's bundled contexts plus the given key documents. */
async function dbVerify(credential: unknown, documents: Record<string, unknown>) {
  const documentLoader = createDocumentLoader(new Map(Object.entries(documents)));
  return await vc.verifyCredential({credential, suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022}), documentLoader, now: NOW}) as DbVerifyResult;
}

/** Laurel's verifier with did:key plus, optionally, local controller documents. */
async function laurelVerify(credential: unknown, documents: Record<string, unknown> = {}) {
  const resolveController: ControllerResolver = async id => id in documents
    ? {ok: true, document: documents[id] as never}
    : resolveDidKey(id);
  return verifyCredential(credential, {canonicalizer, resolveController, now: () => NOW});
}

/**
 * The did:key documents DB needs, built from DB's own parsing of the key (did:key spec §3.1.2):
 * the DID document, and the verification method document it dereferences.
 */
async function dbDidKeyDocuments(did: string, publicKeyMultibase: string): Promise<Record<string, unknown>> {
  const vmId = `${did}#${publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({id: vmId, controller: did, publicKeyMultibase});
  const vm = await key.export({publicKey: true, includeContext: true}) as unknown as MultikeyExport;
  const {'@context': _ctx, ...embedded} = vm;
  return {
    [did]: {'@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT], id: did, verificationMethod: [embedded], assertionMethod: [vmId], authentication: [vmId]},
    [vmId]: vm,
  };
}

/** A did:key from DB's key generator: the key pair (with its signer) and its secret in Multikey form. */
async function dbDidKey() {
  const generated = await Ed25519Multikey.generate();
  const {publicKeyMultibase, secretKeyMultibase} = await generated.export({publicKey: true, secretKey: true, includeContext: false}) as unknown as MultikeyExport;
  const did = `did:key:${publicKeyMultibase}`;
  const vmId = `${did}#${publicKeyMultibase}`;
  const keyPair = await Ed25519Multikey.from({id: vmId, controller: did, publicKeyMultibase, secretKeyMultibase});
  return {did, vmId, publicKeyMultibase, secretKeyMultibase: secretKeyMultibase!, keyPair};
}

/** An OB 3.0 credential whose achievement was created by the issuer (the Profile appears twice). */
const withCreator = (input: CredentialInput): CredentialInput => ({...input, achievement: {...input.achievement, creator: input.issuer}});

const dbMessage = (r: DbVerifyResult) => r.error?.errors?.map(e => e.message).join('; ') ?? r.error?.message ?? r.results?.[0]?.error?.message;

describe('Laurel issues, Digital Bazaar verifies', () => {
  it('a did:key credential', async () => {
    const issuer = randomDidKey();
    const signed = await signCredential(buildAchievementCredential(sampleCredentialInput(issuer.did)), issuer.signer, CREATED, canonicalizer);
    const documents = await dbDidKeyDocuments(issuer.did, issuer.did.slice('did:key:'.length));
    const result = await dbVerify(signed, documents);
    expect(result.verified, dbMessage(result)).toBe(true);
    expect((await laurelVerify(signed)).verified).toBe(true);

    const tampered: Credential = structuredClone(signed);
    tampered.credentialSubject.identifier[1].identityHash = 'Eve Mallory';
    expect((await dbVerify(tampered, documents)).verified).toBe(false);
  });

  it('a did:web credential whose achievement creator is the issuer, with a rotated key', async () => {
    const did = 'did:web:acme.example';
    const oldKey = randomEd25519(), newKey = randomEd25519();
    const didDocument = buildDidDocument(did, [
      {fragment: 'key-1', publicKey: oldKey.publicKey, validFrom: '2024-01-01T00:00:00Z', validUntil: '2025-06-01T00:00:00Z'},
      {fragment: 'key-2', publicKey: newKey.publicKey, validFrom: '2025-06-01T00:00:00Z'},
    ]);
    // DB dereferences the verification method URL itself: serve each method as its own document.
    const documents: Record<string, unknown> = {[did]: didDocument};
    for(const vm of didDocument.verificationMethod!) documents[vm.id] = {'@context': MULTIKEY_V1_CONTEXT, ...vm};

    for(const [fragment, seed, created] of [['key-1', oldKey.seed, CREATED], ['key-2', newKey.seed, '2025-07-01T00:00:00Z']] as const) {
      const unsigned = buildAchievementCredential(withCreator(sampleCredentialInput(did)));
      const signed = await signCredential(unsigned, seedSigner(`${did}#${fragment}`, seed), created, canonicalizer);
      const result = await dbVerify(signed, documents);
      expect(result.verified, `${fragment}: ${dbMessage(result)}`).toBe(true);
      expect((await laurelVerify(signed, {[did]: didDocument})).verified).toBe(true);

      const tampered: Credential = structuredClone(signed);
      tampered.credentialSubject.achievement.creator.name = 'Evil Academy';
      expect((await dbVerify(tampered, documents)).verified).toBe(false);
      expect(codesOf(await laurelVerify(tampered, {[did]: didDocument})).proof).toBe('PROOF_VERIFICATION_ERROR');
    }
  });

  it('DB refuses a Laurel credential whose issuer is not the key controller, as Laurel does', async () => {
    const signer = randomDidKey(), claimed = randomDidKey();
    const signed = await signCredential(buildAchievementCredential(sampleCredentialInput(claimed.did)), signer.signer, CREATED, canonicalizer);
    const documents = await dbDidKeyDocuments(signer.did, signer.did.slice('did:key:'.length));
    expect((await dbVerify(signed, documents)).verified).toBe(false);
    expect(codesOf(await laurelVerify(signed))).toMatchObject({proof: 'PROOF_VALID', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'});
  });
});

describe('Digital Bazaar issues, Laurel verifies', () => {
  const issueWithDb = async (unsigned: Record<string, unknown>, key: Awaited<ReturnType<typeof dbDidKey>>) => {
    const suite = new DataIntegrityProof({signer: key.keyPair.signer(), date: CREATED, cryptosuite: eddsaRdfc2022});
    // vc.issue may add to the credential it is given: hand it a copy.
    return await vc.issue({credential: structuredClone(unsigned), suite, documentLoader: createDocumentLoader(), now: NOW}) as Credential;
  };

  for(const [name, input] of [['the sample credential', (did: string) => sampleCredentialInput(did)],
    ['a credential whose achievement creator is the issuer', (did: string) => withCreator(sampleCredentialInput(did))]] as const) {
    it(`${name}: verifies, and fails when tampered`, async () => {
      const key = await dbDidKey();
      const unsigned = buildAchievementCredential(input(key.did));
      const signed = await issueWithDb(unsigned, key);
      expect(signed['@context']).toEqual(unsigned['@context']);
      expect(signed.proof).toMatchObject({type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod',
        verificationMethod: key.vmId, created: CREATED});
      // Sanity: DB accepts its own credential with the same documents Laurel derives.
      expect((await dbVerify(signed, await dbDidKeyDocuments(key.did, key.publicKeyMultibase))).verified).toBe(true);

      const result = await laurelVerify(signed);
      expect(result.errors).toEqual([]);
      expect(codesOf(result)).toMatchObject({structure: 'STRUCTURE_VALID', contexts: 'CONTEXTS_ALLOWED', schema: 'SCHEMA_VALID',
        proof: 'PROOF_VALID', issuer: 'ISSUER_VALID', validity: 'VALIDITY_OK'});
      expect(result.verified).toBe(true);

      const tampered: Credential = structuredClone(signed);
      tampered.credentialSubject.achievement.name = 'Rust 102';
      const bad = await laurelVerify(tampered);
      expect(bad.verified).toBe(false);
      expect(codesOf(bad).proof).toBe('PROOF_VERIFICATION_ERROR');

      const forgedIssuer: Credential = structuredClone(signed);
      forgedIssuer.issuer.id = randomDidKey().did;
      expect(codesOf(await laurelVerify(forgedIssuer))).toMatchObject({proof: 'PROOF_VERIFICATION_ERROR', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'});
    });
  }

  it('signatures are byte-identical: same key, same document, same created', async () => {
    // Ed25519 is deterministic, so equal proofValues mean equal canonical N-Quads on both sides.
    const key = await dbDidKey();
    const seed = decodeEd25519SecretKey(key.secretKeyMultibase);
    expect(seed).not.toBeNull();
    for(const input of [sampleCredentialInput(key.did), withCreator(sampleCredentialInput(key.did))]) {
      const unsigned = buildAchievementCredential(input);
      const ours = await signCredential(unsigned, seedSigner(key.vmId, seed!), CREATED, canonicalizer);
      const theirs = await issueWithDb(unsigned, key);
      expect(ours.proof.proofValue).toBe(theirs.proof.proofValue);
    }
  });
});
