import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {type ControllerResolver, didKeyFromPublicKey, resolveDidKey} from '../src/did.js';
import {encodeEd25519PublicKey} from '../src/multikey.js';
import {signCredential} from '../src/sign.js';
import {verifyCredential, type VerifyPorts} from '../src/verify.js';
import {randomEd25519, seedSigner} from './helpers.js';

const vector = JSON.parse(readFileSync(new URL('./vectors/ob3-eddsa-rdfc-2022.json', import.meta.url), 'utf8'));
const canonicalizer = new Canonicalizer(createDocumentLoader());

// The vector's controller document is published nowhere: serve it locally (vector note).
const vectorResolver: ControllerResolver = async id => id === vector.keyPair.controller
  ? {ok: true, document: {id, verificationMethod: [{id: vector.verificationMethod, type: 'Multikey', controller: id,
      publicKeyMultibase: vector.keyPair.publicKeyMultibase}], assertionMethod: [vector.verificationMethod]}}
  : {ok: false, message: 'unknown'};

const ports = (resolveController: ControllerResolver, now = new Date('2026-01-01T00:00:00Z')): VerifyPorts =>
  ({canonicalizer, resolveController, now: () => now});

const codes = (r: {checks: {check: string; code: string}[]}) => Object.fromEntries(r.checks.map(c => [c.check, c.code]));

describe('verifyCredential', () => {
  it('verifies the 1EdTech vector credential', async () => {
    const vc = {...vector.unsignedCredential, proof: {...vector.proofOptions, proofValue: vector.expectedProofValue}};
    const result = await verifyCredential(vc, ports(vectorResolver));
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(codes(result)).toMatchObject({structure: 'STRUCTURE_VALID', contexts: 'CONTEXTS_ALLOWED', schema: 'SCHEMA_VALID',
      proof: 'PROOF_VALID', issuer: 'ISSUER_VALID', validity: 'VALIDITY_OK', status: 'STATUS_NONE'});
  });

  it('issues and verifies a did:key credential, and reports the clock', async () => {
    const key = randomEd25519();
    const did = didKeyFromPublicKey(key.publicKey);
    const signer = seedSigner(`${did}#${encodeEd25519PublicKey(key.publicKey)}`, key.seed);
    const unsigned = buildAchievementCredential({
      id: 'https://laurel.test/c/abc', issuer: {id: did, type: ['Profile'], name: 'Test Issuer'},
      achievement: {id: 'https://laurel.test/achievements/1', type: ['Achievement'], name: 'A', description: 'D', criteria: {narrative: 'N'}},
      recipient: {name: 'Ada', email: 'ada@example.com'}, salt: 'pepper', validFrom: '2025-01-01T00:00:00Z', validUntil: '2027-01-01T00:00:00Z',
    });
    const vc = await signCredential(unsigned, signer, '2025-01-01T00:00:00Z', canonicalizer);
    expect((await verifyCredential(vc, ports(resolveDidKey))).verified).toBe(true);
    const late = await verifyCredential(vc, ports(resolveDidKey, new Date('2028-01-01T00:00:00Z')));
    expect(late.verified).toBe(false);
    expect(codes(late).validity).toBe('EXPIRED');
    const early = await verifyCredential(vc, ports(resolveDidKey, new Date('2024-01-01T00:00:00Z')));
    expect(codes(early).validity).toBe('NOT_YET_VALID');
  });

  it('never throws for junk input', async () => {
    for(const junk of [null, 42, 'x', [], {}, {'@context': 'x'}, {proof: 1}, {'@context': ['https://evil.example/ctx'], type: ['VerifiableCredential'], issuer: 'x', credentialSubject: {}}]) {
      const r = await verifyCredential(junk, ports(resolveDidKey));
      expect(r.verified).toBe(false);
      expect(r.checks).toHaveLength(8);
    }
  });
});

describe('parseCredential', () => {
  it('returns the typed envelope of a valid credential', async () => {
    const {parseCredential} = await import('../src/parse.js');
    const r = parseCredential({...vector.unsignedCredential, proof: {type: 'DataIntegrityProof'}});
    expect(r.ok).toBe(true);
    if(r.ok) {
      expect(r.credential).toMatchObject({version: '2.0', issuerId: 'https://example.edu/issuers/565049', validFrom: '2010-01-01T00:00:00Z',
        types: ['VerifiableCredential', 'OpenBadgeCredential']});
      expect(r.credential.proofs).toHaveLength(1);
      expect(r.credential.subjects).toHaveLength(1);
    }
  });

  it('lists every problem with its path and code', async () => {
    const {parseCredential} = await import('../src/parse.js');
    const r = parseCredential({'@context': ['https://example.org/x'], type: 'Foo', issuer: 5, credentialSubject: [], validFrom: 'yesterday', id: 7});
    expect(r.ok).toBe(false);
    if(!r.ok) {
      expect(r.problems.map(p => p.path)).toEqual(['@context', 'type', 'issuer', 'credentialSubject', 'validFrom', 'id']);
      expect(new Set(r.problems.map(p => p.code))).toEqual(new Set(['STRUCTURE_INVALID']));
    }
    const v1 = parseCredential({'@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential'], issuer: 'did:x:y', credentialSubject: {}});
    expect(v1.ok).toBe(false);
    if(!v1.ok) expect(v1.problems.map(p => p.path)).toEqual(['issuanceDate']);
  });
});

describe('issuer domain check', () => {
  const issueAs = async (did: string) => {
    const key = randomEd25519();
    const vm = `${did}#key-1`;
    const unsigned = buildAchievementCredential({
      id: 'https://laurel.test/c/dom', issuer: {id: did, type: ['Profile'], name: 'Apple Academy'},
      achievement: {id: 'https://laurel.test/achievements/1', type: ['Achievement'], name: 'A', description: 'D', criteria: {narrative: 'N'}},
      recipient: {name: 'Ada'}, validFrom: '2025-01-01T00:00:00Z',
    });
    const vc = await signCredential(unsigned, seedSigner(vm, key.seed), '2025-01-01T00:00:00Z', canonicalizer);
    const resolver: ControllerResolver = async id => id === did
      ? {ok: true, document: {id, verificationMethod: [{id: vm, type: 'Multikey', controller: id, publicKeyMultibase: encodeEd25519PublicKey(key.publicKey)}], assertionMethod: [vm]}}
      : {ok: false, message: 'unknown'};
    return verifyCredential(vc, ports(resolver));
  };

  it('passes a plain domain and names it', async () => {
    const r = await issueAs('did:web:certs.example.edu');
    expect(r.verified).toBe(true);
    expect(r.checks.find(c => c.check === 'domain')).toMatchObject({code: 'ISSUER_DOMAIN_OK', status: 'passed'});
  });

  it('warns for a look-alike domain without hiding that the credential is otherwise valid', async () => {
    // xn--80ak6aa92e.com is "аррӏе.com" in Cyrillic.
    const r = await issueAs('did:web:xn--80ak6aa92e.com');
    expect(r.verified).toBe(true);
    expect(r.warnings.map(w => w.code)).toEqual(['ISSUER_DOMAIN_LOOKALIKE']);
  });

  it('is not applicable to did:key issuers', async () => {
    const key = randomEd25519();
    const did = didKeyFromPublicKey(key.publicKey);
    const unsigned = buildAchievementCredential({
      id: 'https://laurel.test/c/k', issuer: {id: did, type: ['Profile'], name: 'K'},
      achievement: {id: 'https://laurel.test/achievements/1', type: ['Achievement'], name: 'A', description: 'D', criteria: {narrative: 'N'}},
      recipient: {name: 'Ada'}, validFrom: '2025-01-01T00:00:00Z',
    });
    const vc = await signCredential(unsigned, seedSigner(`${did}#${encodeEd25519PublicKey(key.publicKey)}`, key.seed), '2025-01-01T00:00:00Z', canonicalizer);
    const r = await verifyCredential(vc, ports(resolveDidKey));
    expect(r.checks.find(c => c.check === 'domain')?.code).toBe('ISSUER_DOMAIN_NOT_APPLICABLE');
  });
});
