// Verifiable presentations: a did:key holder presents a Laurel-issued credential to a verifier
// that sent a challenge and a domain (VC 2.0 §4.13, VC-DI authentication proofs).
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as dbEddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader, DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT, VC_V2_CONTEXT} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {type ControllerResolver, resolveDidKey} from '../src/did.js';
import {signPresentation, verifyPresentation, VC_JWT_DATA_URL_PREFIX} from '../src/presentation.js';
import {signCredential} from '../src/sign.js';
import {ALL_SUITES} from '../src/suites/index.js';
import {signVcJwt} from '../src/vc-jose.js';
import {verifyCredential, type VerifyPorts} from '../src/verify.js';
import {randomDidKey, sampleCredentialInput, type TestDidKey} from './helpers.js';

const canonicalizer = new Canonicalizer(createDocumentLoader());
const NOW = new Date('2026-01-01T00:00:00Z');
const CREATED = '2025-06-01T00:00:00Z';
const ports = (resolveController: ControllerResolver = resolveDidKey): VerifyPorts =>
  ({canonicalizer, resolveController, now: () => NOW, suites: ALL_SUITES});

const CHALLENGE = 'c0ae1c8e-c7e7-469f-b252-86e6a0e7387e';
const DOMAIN = 'verifier.example';

async function issue(issuer: TestDidKey, subjectDid?: string) {
  const unsigned = buildAchievementCredential(sampleCredentialInput(issuer.did, subjectDid ? {recipient: {name: 'Ada', did: subjectDid} as never} : {}));
  return signCredential(unsigned, issuer.signer, '2025-01-01T00:00:00Z', canonicalizer);
}

const unsignedVp = (holder: unknown, verifiableCredential: unknown) =>
  ({'@context': [VC_V2_CONTEXT], type: ['VerifiablePresentation'], holder, verifiableCredential});

const codes = (checks: {check: string; code: string}[]) => Object.fromEntries(checks.map(c => [c.check, c.code]));

describe('verifyPresentation', () => {
  it('verifies a did:key holder presenting a Laurel credential, bound to challenge and domain', async () => {
    const issuer = randomDidKey(), holder = randomDidKey();
    const credential = await issue(issuer);
    expect((await verifyCredential(credential, ports())).verified).toBe(true);
    const vp = await signPresentation(unsignedVp(holder.did, [credential]), holder.signer, {created: CREATED, challenge: CHALLENGE, domain: DOMAIN}, canonicalizer);
    expect(vp.proof).toMatchObject({proofPurpose: 'authentication', challenge: CHALLENGE, domain: DOMAIN, cryptosuite: 'eddsa-rdfc-2022'});
    const result = await verifyPresentation(vp, {challenge: CHALLENGE, domain: DOMAIN}, ports());
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(codes(result.presentation.checks)).toEqual({structure: 'STRUCTURE_VALID', contexts: 'CONTEXTS_ALLOWED', proof: 'PROOF_VALID',
      holder: 'HOLDER_VALID', credentials: 'CREDENTIALS_VERIFIED'});
    expect(result.credentials).toHaveLength(1);
    expect(result.credentials[0].verified).toBe(true);
    // Holder as an object, and no expectations from the verifier: still fine.
    const vp2 = await signPresentation(unsignedVp({id: holder.did}, credential), holder.signer, {created: CREATED, challenge: CHALLENGE}, canonicalizer);
    expect((await verifyPresentation(vp2, {}, ports())).verified).toBe(true);
    // An empty presentation (no credentials) verifies on its own proof (DID authentication).
    const empty = await signPresentation({'@context': [VC_V2_CONTEXT], type: 'VerifiablePresentation', holder: holder.did}, holder.signer,
      {created: CREATED, challenge: CHALLENGE}, canonicalizer);
    const emptyResult = await verifyPresentation(empty, {challenge: CHALLENGE}, ports());
    expect(emptyResult.verified).toBe(true);
    expect(codes(emptyResult.presentation.checks).credentials).toBe('CREDENTIALS_NONE');
  });

  it('refuses a wrong or missing challenge, and a wrong domain', async () => {
    const issuer = randomDidKey(), holder = randomDidKey();
    const credential = await issue(issuer);
    const vp = await signPresentation(unsignedVp(holder.did, [credential]), holder.signer, {created: CREATED, challenge: CHALLENGE, domain: DOMAIN}, canonicalizer);
    const wrongChallenge = await verifyPresentation(vp, {challenge: 'another-challenge', domain: DOMAIN}, ports());
    expect(wrongChallenge.verified).toBe(false);
    expect(codes(wrongChallenge.presentation.checks).proof).toBe('INVALID_CHALLENGE_ERROR');
    expect(wrongChallenge.errors.map(e => e.code)).toEqual(['INVALID_CHALLENGE_ERROR']);
    const wrongDomain = await verifyPresentation(vp, {challenge: CHALLENGE, domain: 'evil.example'}, ports());
    expect(wrongDomain.verified).toBe(false);
    expect(codes(wrongDomain.presentation.checks).proof).toBe('INVALID_DOMAIN_ERROR');
    const noChallenge = await signPresentation(unsignedVp(holder.did, [credential]), holder.signer, {created: CREATED}, canonicalizer);
    expect(codes((await verifyPresentation(noChallenge, {challenge: CHALLENGE}, ports())).presentation.checks).proof).toBe('INVALID_CHALLENGE_ERROR');
    expect(codes((await verifyPresentation(noChallenge, {domain: DOMAIN}, ports())).presentation.checks).proof).toBe('INVALID_DOMAIN_ERROR');
    // Changing the challenge inside the proof breaks the signature.
    const edited = {...vp, proof: {...vp.proof, challenge: 'another-challenge'}};
    expect(codes((await verifyPresentation(edited, {challenge: 'another-challenge'}, ports())).presentation.checks).proof).toBe('PROOF_VERIFICATION_ERROR');
  });

  it('refuses an assertionMethod proof on a presentation', async () => {
    const holder = randomDidKey();
    const vp = await signCredential(unsignedVp(holder.did, []), holder.signer, CREATED, canonicalizer);
    const result = await verifyPresentation(vp, {}, ports());
    expect(result.verified).toBe(false);
    expect(codes(result.presentation.checks).proof).toBe('MISMATCHED_PROOF_PURPOSE_ERROR');
  });

  it('refuses a presentation signed by someone other than the holder', async () => {
    const issuer = randomDidKey(), holder = randomDidKey(), thief = randomDidKey();
    const credential = await issue(issuer, holder.did);
    const vp = await signPresentation(unsignedVp(holder.did, [credential]), thief.signer, {created: CREATED, challenge: CHALLENGE}, canonicalizer);
    const result = await verifyPresentation(vp, {challenge: CHALLENGE}, ports());
    expect(result.verified).toBe(false);
    expect(codes(result.presentation.checks).holder).toBe('KEY_NOT_CONTROLLED_BY_HOLDER');
    // No holder at all: the signature cannot be attributed.
    const {holder: _h, ...anonymous} = unsignedVp(holder.did, [credential]);
    const anon = await signPresentation(anonymous, holder.signer, {created: CREATED, challenge: CHALLENGE}, canonicalizer);
    const anonResult = await verifyPresentation(anon, {challenge: CHALLENGE}, ports());
    expect(anonResult.verified).toBe(false);
    expect(codes(anonResult.presentation.checks).holder).toBe('KEY_NOT_CONTROLLED_BY_HOLDER');
    // A key the holder does not list under authentication.
    const noAuth: ControllerResolver = async id => {
      const r = await resolveDidKey(id);
      return r.ok ? {ok: true, document: {...r.document, authentication: []}} : r;
    };
    const good = await signPresentation(unsignedVp(holder.did, [credential]), holder.signer, {created: CREATED, challenge: CHALLENGE}, canonicalizer);
    const notAuth = await verifyPresentation(good, {challenge: CHALLENGE}, ports(noAuth));
    expect(codes(notAuth.presentation.checks).holder).toBe('KEY_NOT_CONTROLLED_BY_HOLDER');
    expect(notAuth.verified).toBe(false);
  });

  it('fails when an embedded credential was tampered with, and lists its error', async () => {
    const issuer = randomDidKey(), holder = randomDidKey();
    const credential = await issue(issuer);
    const tampered = structuredClone(credential) as Record<string, any>;
    tampered.credentialSubject.achievement.name = 'Rust 999';
    // The holder signs over the tampered credential: the presentation proof itself is valid.
    const vp = await signPresentation(unsignedVp(holder.did, [credential, tampered]), holder.signer, {created: CREATED, challenge: CHALLENGE}, canonicalizer);
    const result = await verifyPresentation(vp, {challenge: CHALLENGE}, ports());
    expect(result.verified).toBe(false);
    expect(codes(result.presentation.checks)).toMatchObject({proof: 'PROOF_VALID', holder: 'HOLDER_VALID', credentials: 'CREDENTIAL_NOT_VERIFIED'});
    expect(result.credentials.map(r => r.verified)).toEqual([true, false]);
    expect(result.credentials[1].errors.map(e => e.code)).toContain('PROOF_VERIFICATION_ERROR');
    expect(result.errors).toContainEqual(expect.objectContaining({code: 'PROOF_VERIFICATION_ERROR', credential: 1}));
  });

  it('verifies an enveloped vc+jwt credential', async () => {
    const issuer = randomDidKey(), holder = randomDidKey();
    const unsigned = buildAchievementCredential(sampleCredentialInput(issuer.did));
    const jwt = await signVcJwt(unsigned, {kid: issuer.vmId, alg: 'EdDSA', sign: issuer.signer.sign}, new Date('2025-01-01T00:00:00Z'));
    const enveloped = {'@context': [VC_V2_CONTEXT], type: 'EnvelopedVerifiableCredential', id: `${VC_JWT_DATA_URL_PREFIX}${jwt}`};
    const vp = await signPresentation(unsignedVp(holder.did, [enveloped]), holder.signer, {created: CREATED, challenge: CHALLENGE}, canonicalizer);
    const result = await verifyPresentation(vp, {challenge: CHALLENGE}, ports());
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    const broken = await signPresentation(unsignedVp(holder.did, [{...enveloped, id: `${enveloped.id}x`}]), holder.signer, {created: CREATED}, canonicalizer);
    const brokenResult = await verifyPresentation(broken, {}, ports());
    expect(brokenResult.verified).toBe(false);
    expect(brokenResult.credentials[0].errors.map(e => e.code)).toContain('PROOF_VERIFICATION_ERROR');
  });

  it('fails a presentation without a proof', async () => {
    const issuer = randomDidKey(), holder = randomDidKey();
    const result = await verifyPresentation(unsignedVp(holder.did, [await issue(issuer)]), {}, ports());
    expect(result.verified).toBe(false);
    expect(codes(result.presentation.checks)).toMatchObject({proof: 'PROOF_MISSING', holder: 'CHECK_NOT_RUN', credentials: 'CREDENTIALS_VERIFIED'});
  });

  it('never throws for junk input', async () => {
    const junk = [null, undefined, 42, 'x', [], {}, {'@context': 'x'}, {proof: 1}, {'@context': [VC_V2_CONTEXT], type: 'VerifiablePresentation', proof: [null]},
      {'@context': [VC_V2_CONTEXT], type: 'VerifiablePresentation', verifiableCredential: [1, 'x']},
      {'@context': [VC_V2_CONTEXT], type: 'VerifiablePresentation', verifiableCredential: [{}, {type: 'EnvelopedVerifiableCredential', id: 5}]},
      {'@context': ['https://evil.example/ctx'], type: ['VerifiablePresentation'], holder: 'did:key:z6Mkx', proof: {}},
      {'@context': [VC_V2_CONTEXT], type: 'VerifiablePresentation', holder: 'did:key:z6Mkx',
        proof: {type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'authentication', verificationMethod: 'did:key:z6Mkx#z6Mkx', proofValue: 'zzz'}}];
    for(const vp of junk) {
      const r = await verifyPresentation(vp, {challenge: 'c'}, ports());
      expect(r.verified).toBe(false);
      expect(r.presentation.checks.map(c => c.check)).toEqual(['structure', 'contexts', 'proof', 'holder', 'credentials']);
    }
    const r = await verifyPresentation({}, null as never, ports());
    expect(r.verified).toBe(false);
  });
});

describe('Digital Bazaar signs a presentation, Laurel verifies it', () => {
  it('vc.signPresentation with an eddsa-rdfc-2022 authentication proof, challenge and domain', async () => {
    const issuer = randomDidKey();
    const credential = await issue(issuer);
    const generated = await Ed25519Multikey.generate();
    const {publicKeyMultibase, secretKeyMultibase} = await generated.export({publicKey: true, secretKey: true, includeContext: false}) as any;
    const did = `did:key:${publicKeyMultibase}`;
    const keyPair = await Ed25519Multikey.from({id: `${did}#${publicKeyMultibase}`, controller: did, publicKeyMultibase, secretKeyMultibase});
    const presentation = vc.createPresentation({verifiableCredential: [credential], holder: did, version: 2.0});
    const suite = new DataIntegrityProof({signer: keyPair.signer(), date: CREATED, cryptosuite: dbEddsaRdfc2022});
    const documentLoader = createDocumentLoader();
    const vp = await vc.signPresentation({presentation, suite, challenge: CHALLENGE, domain: DOMAIN, documentLoader});
    expect(vp.proof).toMatchObject({proofPurpose: 'authentication', challenge: CHALLENGE, domain: DOMAIN});
    const result = await verifyPresentation(vp, {challenge: CHALLENGE, domain: DOMAIN}, ports());
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(codes((await verifyPresentation(vp, {challenge: 'nope'}, ports())).presentation.checks).proof).toBe('INVALID_CHALLENGE_ERROR');
  });
});

/** The did:key documents DB dereferences: the DID document and its verification method (as interop.test.ts). */
async function dbDidKeyDocuments(did: string): Promise<Record<string, unknown>> {
  const publicKeyMultibase = did.slice('did:key:'.length), vmId = `${did}#${publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({id: vmId, controller: did, publicKeyMultibase});
  const vm = await key.export({publicKey: true, includeContext: true}) as Record<string, unknown>;
  const {'@context': _ctx, ...embedded} = vm;
  return {
    [did]: {'@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT], id: did, verificationMethod: [embedded], assertionMethod: [vmId], authentication: [vmId]},
    [vmId]: vm,
  };
}

describe('Laurel signs a presentation, Digital Bazaar verifies it', () => {
  it('signPresentation passes vc.verify with the same challenge and domain, and fails with another', async () => {
    const issuer = randomDidKey(), holder = randomDidKey();
    const credential = await issue(issuer);
    const vp = await signPresentation(unsignedVp(holder.did, [credential]), holder.signer, {created: CREATED, challenge: CHALLENGE, domain: DOMAIN}, canonicalizer);
    const documentLoader = createDocumentLoader(new Map(Object.entries({...await dbDidKeyDocuments(issuer.did), ...await dbDidKeyDocuments(holder.did)})));
    const suite = new DataIntegrityProof({cryptosuite: dbEddsaRdfc2022});
    const ok = await vc.verify({presentation: vp, suite, documentLoader, challenge: CHALLENGE, domain: DOMAIN, now: NOW});
    expect(ok.verified, JSON.stringify(ok.error)).toBe(true);
    const wrong = await vc.verify({presentation: vp, suite, documentLoader, challenge: 'nope', domain: DOMAIN, now: NOW});
    expect(wrong.verified).toBe(false);
  });
});
