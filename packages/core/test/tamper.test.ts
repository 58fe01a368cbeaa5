// Tamper corpus: every altered credential must fail with the expected check code
// (STYLE: test vectors are mostly negative, as in RFC 6962 / Trillian).
import fc from 'fast-check';
import {beforeAll, describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader, OB_CONTEXT, VC_V2_CONTEXT} from '../src/contexts/index.js';
import {buildAchievementCredential, hashIdentity} from '../src/credential.js';
import {buildDidDocument, type ControllerDocument, type ControllerResolver, resolveDidKey} from '../src/did.js';
import {fromBase58btc, toBase58btc} from '../src/multikey.js';
import {signCredential} from '../src/sign.js';
import {verifyCredential, type VerifyPorts} from '../src/verify.js';
import {codesOf, randomDidKey, randomEd25519, sampleCredentialInput, seedSigner} from './helpers.js';

type Credential = Record<string, any>;

const canonicalizer = new Canonicalizer(createDocumentLoader());
const NOW = new Date('2026-01-01T00:00:00Z');
const ports = (resolveController: ControllerResolver = resolveDidKey): VerifyPorts =>
  ({canonicalizer, resolveController, now: () => NOW});
const clone = (c: Credential): Credential => structuredClone(c);

const issuer = randomDidKey();
const attacker = randomDidKey();
let signed: Credential;
let other: Credential;

beforeAll(async () => {
  signed = await signCredential(buildAchievementCredential(sampleCredentialInput(issuer.did)), issuer.signer, '2025-01-01T00:00:00Z', canonicalizer);
  other = await signCredential(buildAchievementCredential(sampleCredentialInput(issuer.did, {
    id: 'https://laurel.test/c/other', recipient: {name: 'Grace Hopper'},
  })), issuer.signer, '2025-01-01T00:00:00Z', canonicalizer);
});

async function expectFailure(credential: unknown, expected: Record<string, string>, resolver?: ControllerResolver) {
  const result = await verifyCredential(credential, ports(resolver));
  expect(result.verified).toBe(false);
  expect(codesOf(result)).toMatchObject(expected);
  return result;
}

describe('baseline', () => {
  it('the untampered credential verifies', async () => {
    const result = await verifyCredential(signed, ports());
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
  });

  it('reordering JSON keys at every depth (proof included) still verifies', async () => {
    const reverse = (v: unknown): unknown => Array.isArray(v) ? v.map(reverse)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    const reordered = reverse(signed) as Credential;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(signed));
    const result = await verifyCredential(reordered, ports());
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
  });

  it('a JSON round trip with whitespace still verifies', async () => {
    const result = await verifyCredential(JSON.parse(JSON.stringify(signed, null, 4)), ports());
    expect(result.verified).toBe(true);
  });
});

// Each case: a change to a copy of the signed credential, and the check codes it must produce.
const cases: [string, (c: Credential) => void, Record<string, string>][] = [
  ['recipient name changed', c => { c.credentialSubject.identifier[1].identityHash = 'Eve Mallory'; },
    {proof: 'PROOF_VERIFICATION_ERROR', issuer: 'ISSUER_VALID'}],
  ['recipient email hash changed', c => { c.credentialSubject.identifier[0].identityHash = hashIdentity('eve@example.com', 'e1d0c9a7'); },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['recipient salt changed', c => { c.credentialSubject.identifier[0].salt = 'e1d0c9a8'; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['validFrom moved a day earlier', c => { c.validFrom = '2024-12-31T00:00:00Z'; },
    {proof: 'PROOF_VERIFICATION_ERROR', validity: 'VALIDITY_OK'}],
  ['validFrom rewritten as the same instant', c => { c.validFrom = '2025-01-01T00:00:00.000Z'; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['validUntil extended', c => { c.validUntil = '2099-01-01T00:00:00Z'; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['validUntil removed', c => { delete c.validUntil; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['achievement name changed', c => { c.credentialSubject.achievement.name = 'Rust 102'; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['top-level field added (a defined term)', c => { c.description = 'Now with honours'; },
    {proof: 'PROOF_VERIFICATION_ERROR', schema: 'SCHEMA_VALID'}],
  ['top-level field added (an undefined term: dropped, so refused in safe mode)', c => { c.honours = true; },
    {proof: 'PROOF_TRANSFORMATION_ERROR'}],
  ['field added inside the achievement', c => { c.credentialSubject.achievement.creditsAvailable = 10; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['tag added inside the achievement', c => { c.credentialSubject.achievement.tag.push('expert'); },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['alignment added', c => { c.credentialSubject.achievement.alignment.push({type: ['Alignment'], targetName: 'Unsafe', targetUrl: 'https://skills.example/unsafe'}); },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['evidence removed', c => { delete c.evidence; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['achievementType removed', c => { delete c.credentialSubject.achievement.achievementType; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['required criteria removed', c => { delete c.credentialSubject.achievement.criteria; },
    {proof: 'PROOF_VERIFICATION_ERROR', schema: 'SCHEMA_INVALID'}],
  ['issuer Profile replaced by its bare id', c => { c.issuer = c.issuer.id; },
    {proof: 'PROOF_VERIFICATION_ERROR', issuer: 'ISSUER_VALID'}],
  ['issuer name changed', c => { c.issuer.name = 'Evil Academy'; },
    {proof: 'PROOF_VERIFICATION_ERROR', issuer: 'ISSUER_VALID'}],
  // The key still belongs to the original DID: the content changed and the claimed issuer is not the key's controller.
  ['issuer swapped for another DID', c => { c.issuer.id = attacker.did; },
    {proof: 'PROOF_VERIFICATION_ERROR', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'}],
  ['verificationMethod swapped to another did:key', c => { c.proof.verificationMethod = attacker.vmId; },
    {proof: 'PROOF_VERIFICATION_ERROR', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'}],
  ['verificationMethod names a key the issuer does not publish', c => { c.proof.verificationMethod = `${issuer.did}#key-2`; },
    {proof: 'CHECK_NOT_RUN', issuer: 'ISSUER_UNRESOLVED'}],
  ['verificationMethod is not a did:key', c => { c.proof.verificationMethod = 'https://evil.example/keys/1'; },
    {proof: 'CHECK_NOT_RUN', issuer: 'ISSUER_UNRESOLVED'}],
  ['proofValue truncated', c => { c.proof.proofValue = c.proof.proofValue.slice(0, -4); },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['proofValue with a character outside base58', c => { c.proof.proofValue = c.proof.proofValue.slice(0, -1) + '0'; },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['proofValue without its multibase prefix', c => { c.proof.proofValue = c.proof.proofValue.slice(1); },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['proofValue removed', c => { delete c.proof.proofValue; },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['one bit of the signature flipped', c => {
    const sig = fromBase58btc(c.proof.proofValue)!;
    sig[10] ^= 0x01;
    c.proof.proofValue = toBase58btc(sig);
  }, {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['proof.created changed', c => { c.proof.created = '2025-01-01T00:00:01Z'; },
    {proof: 'PROOF_VERIFICATION_ERROR', issuer: 'ISSUER_VALID'}],
  ['proof.created not a dateTime', c => { c.proof.created = 'yesterday'; },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['proofPurpose changed to authentication', c => { c.proof.proofPurpose = 'authentication'; },
    {proof: 'MISMATCHED_PROOF_PURPOSE_ERROR', issuer: 'CHECK_NOT_RUN'}],
  ['proofPurpose removed', c => { delete c.proof.proofPurpose; },
    {proof: 'MISMATCHED_PROOF_PURPOSE_ERROR'}],
  ['cryptosuite changed to eddsa-jcs-2022', c => { c.proof.cryptosuite = 'eddsa-jcs-2022'; },
    {proof: 'MALFORMED_PROOF_ERROR', issuer: 'CHECK_NOT_RUN'}],
  ['proof type changed to Ed25519Signature2020', c => { c.proof.type = 'Ed25519Signature2020'; },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['proof with its own, different @context', c => { c.proof['@context'] = [VC_V2_CONTEXT]; },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['challenge added to the proof', c => { c.proof.challenge = 'abc'; },
    {proof: 'PROOF_VERIFICATION_ERROR'}],
  ['proof removed', c => { delete c.proof; },
    {proof: 'PROOF_MISSING', issuer: 'CHECK_NOT_RUN'}],
  ['proof set with a junk second proof', c => { c.proof = [c.proof, 'junk']; },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['proof set with an unsigned copy of the proof', c => { c.proof = [c.proof, {...c.proof, proofValue: undefined}]; },
    {proof: 'MALFORMED_PROOF_ERROR'}],
  ['unknown context appended', c => { c['@context'].push('https://evil.example/context.json'); },
    {contexts: 'CONTEXT_NOT_ALLOWED', proof: 'CHECK_NOT_RUN', issuer: 'CHECK_NOT_RUN'}],
  ['inline context appended', c => { c['@context'].push({honours: 'https://evil.example/honours'}); },
    {contexts: 'CONTEXT_NOT_ALLOWED', proof: 'CHECK_NOT_RUN'}],
  // 3.0.2 is allowed but lacks terms this credential uses, so safe mode refuses it.
  ['OB context swapped for an older version', c => { c['@context'][1] = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json'; },
    {contexts: 'CONTEXTS_ALLOWED', proof: 'PROOF_TRANSFORMATION_ERROR'}],
  ['contexts reordered', c => { c['@context'].reverse(); },
    {structure: 'STRUCTURE_INVALID', proof: 'CHECK_NOT_RUN'}],
  ['VerifiableCredential type removed', c => { c.type = ['OpenBadgeCredential']; },
    {structure: 'STRUCTURE_INVALID', proof: 'CHECK_NOT_RUN'}],
];

describe('tampered credentials', () => {
  it('the corpus is large enough', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  it.each(cases)('%s', async (_name, mutate, expected) => {
    const tampered = clone(signed);
    mutate(tampered);
    expect(tampered).not.toEqual(signed);
    await expectFailure(tampered, expected);
  });

  it("another credential's proof does not verify this one", async () => {
    const tampered = {...clone(signed), proof: clone(other).proof};
    expect(tampered.proof.proofValue).not.toBe(signed.proof.proofValue);
    await expectFailure(tampered, {proof: 'PROOF_VERIFICATION_ERROR', issuer: 'ISSUER_VALID'});
  });

  it("an attacker's valid signature with their own key does not make them the issuer", async () => {
    const {proof: _p, ...unsigned} = clone(signed);
    unsigned.credentialSubject.identifier[1].identityHash = 'Eve Mallory';
    const forged = await signCredential(unsigned, attacker.signer, '2025-01-01T00:00:00Z', canonicalizer);
    await expectFailure(forged, {proof: 'PROOF_VALID', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'});
  });

  it('the input is never modified by verification', async () => {
    const copy = clone(signed);
    await verifyCredential(copy, ports());
    expect(copy).toEqual(signed);
  });
});

describe('key validity windows (rotation)', () => {
  const did = 'did:web:acme.example';
  const k1 = randomEd25519(), k2 = randomEd25519(), k3 = randomEd25519();
  const doc = buildDidDocument(did, [
    {fragment: 'key-1', publicKey: k1.publicKey, validFrom: '2024-01-01T00:00:00Z', validUntil: '2025-06-01T00:00:00Z'},
    {fragment: 'key-2', publicKey: k2.publicKey, validFrom: '2025-06-01T00:00:00Z'},
    {fragment: 'key-3', publicKey: k3.publicKey, validFrom: '2024-01-01T00:00:00Z'},
  ]);
  // key-3 was compromised and revoked (CID 1.0 `revoked`).
  doc.verificationMethod![2].revoked = '2025-03-01T00:00:00Z';
  const resolver: ControllerResolver = async id => id === did ? {ok: true, document: doc} : {ok: false, message: 'not found'};
  const signers = {
    'key-1': seedSigner(`${did}#key-1`, k1.seed), 'key-2': seedSigner(`${did}#key-2`, k2.seed), 'key-3': seedSigner(`${did}#key-3`, k3.seed),
  };
  const issue = (key: keyof typeof signers, created: string) =>
    signCredential(buildAchievementCredential(sampleCredentialInput(did)), signers[key], created, canonicalizer);

  it.each([
    ['the old key, inside its window (still verifies after rotation)', 'key-1', '2025-01-01T00:00:00Z'],
    ['the old key, at the first instant of its window', 'key-1', '2024-01-01T00:00:00Z'],
    ['the new key, at the first instant of its window', 'key-2', '2025-06-01T00:00:00Z'],
    ['the new key, inside its window', 'key-2', '2025-12-01T00:00:00Z'],
    ['a revoked key, before its revocation', 'key-3', '2025-02-28T23:59:59Z'],
  ] as const)('passes: %s', async (_name, key, created) => {
    const result = await verifyCredential(await issue(key, created), ports(resolver));
    expect(result.errors).toEqual([]);
    expect(codesOf(result)).toMatchObject({proof: 'PROOF_VALID', issuer: 'ISSUER_VALID'});
    expect(result.verified).toBe(true);
  });

  it.each([
    ['the old key, after it was retired', 'key-1', '2025-07-01T00:00:00Z'],
    ['the old key, at the exclusive end of its window', 'key-1', '2025-06-01T00:00:00Z'],
    ['the old key, before its window', 'key-1', '2023-12-31T23:59:59Z'],
    ['the new key, before its window (back-dated)', 'key-2', '2025-05-31T23:59:59Z'],
    ['a revoked key, after its revocation', 'key-3', '2025-03-01T00:00:00Z'],
  ] as const)('fails with KEY_NOT_VALID_AT_PROOF_TIME: %s', async (_name, key, created) => {
    // The signature itself is good: only the key's validity fails.
    await expectFailure(await issue(key, created), {proof: 'PROOF_VALID', issuer: 'KEY_NOT_VALID_AT_PROOF_TIME'}, resolver);
  });

  it('a proof without created cannot be placed in a key window', async () => {
    const vc = clone(await issue('key-1', '2025-01-01T00:00:00Z'));
    delete vc.proof.created;
    await expectFailure(vc, {issuer: 'KEY_NOT_VALID_AT_PROOF_TIME'}, resolver);
  });
});

describe('the issuer must control the key', () => {
  const a = 'did:web:a.example', b = 'did:web:b.example';
  const ka = randomEd25519(), kb = randomEd25519();
  const docA = buildDidDocument(a, [{fragment: 'key-1', publicKey: ka.publicKey, validFrom: '2024-01-01T00:00:00Z'}]);
  const docB = buildDidDocument(b, [{fragment: 'key-1', publicKey: kb.publicKey, validFrom: '2024-01-01T00:00:00Z'}]);
  const resolverOf = (docs: Record<string, ControllerDocument>): ControllerResolver =>
    async id => docs[id] ? {ok: true, document: docs[id]} : {ok: false, message: `${id} not found`};
  const issueAs = (issuerId: string, vmId: string, seed: Uint8Array) =>
    signCredential(buildAchievementCredential(sampleCredentialInput(issuerId)), seedSigner(vmId, seed), '2025-01-01T00:00:00Z', canonicalizer);

  it('control case: A signing with its own key verifies', async () => {
    const result = await verifyCredential(await issueAs(a, `${a}#key-1`, ka.seed), ports(resolverOf({[a]: docA, [b]: docB})));
    expect(result.verified).toBe(true);
  });

  it("issuer A, signed with B's key from B's document", async () => {
    await expectFailure(await issueAs(a, `${b}#key-1`, kb.seed),
      {proof: 'PROOF_VALID', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'}, resolverOf({[a]: docA, [b]: docB}));
  });

  it("issuer A, whose document lists a key controlled by B", async () => {
    const listed = structuredClone(docA);
    listed.verificationMethod![0] = {...docB.verificationMethod![0], id: `${a}#key-1`};
    await expectFailure(await issueAs(a, `${a}#key-1`, kb.seed),
      {proof: 'PROOF_VALID', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'}, resolverOf({[a]: listed}));
  });

  it("issuer A, but resolving A returns B's document", async () => {
    const vc = await issueAs(a, `${a}#key-1`, kb.seed);
    const lying: ControllerDocument = {...structuredClone(docB), verificationMethod: [{...docB.verificationMethod![0], id: `${a}#key-1`, controller: a}],
      assertionMethod: [`${a}#key-1`]};
    await expectFailure(vc, {issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'}, resolverOf({[a]: lying}));
  });

  it('a key published but not authorised for assertionMethod', async () => {
    const authOnly = {...structuredClone(docA), assertionMethod: []};
    await expectFailure(await issueAs(a, `${a}#key-1`, ka.seed), {proof: 'PROOF_VALID', issuer: 'KEY_NOT_CONTROLLED_BY_ISSUER'}, resolverOf({[a]: authOnly}));
  });

  it('a key that is not an Ed25519 Multikey', async () => {
    const jwk = structuredClone(docA);
    jwk.verificationMethod![0] = {id: `${a}#key-1`, type: 'JsonWebKey', controller: a, publicKeyJwk: {kty: 'OKP', crv: 'Ed25519', x: 'AA'}};
    await expectFailure(await issueAs(a, `${a}#key-1`, ka.seed), {proof: 'CHECK_NOT_RUN', issuer: 'ISSUER_UNRESOLVED'}, resolverOf({[a]: jwk}));
  });

  it('an unresolvable or throwing resolver gives ISSUER_UNRESOLVED, never an exception', async () => {
    const vc = await issueAs(a, `${a}#key-1`, ka.seed);
    await expectFailure(vc, {proof: 'CHECK_NOT_RUN', issuer: 'ISSUER_UNRESOLVED'}, resolverOf({}));
    await expectFailure(vc, {proof: 'CHECK_NOT_RUN', issuer: 'ISSUER_UNRESOLVED'}, async () => { throw new Error('network down'); });
  });
});

/** Paths of every string leaf outside `proof`. */
function stringLeaves(node: unknown, path: (string | number)[] = []): (string | number)[][] {
  if(typeof node === 'string') return [path];
  if(Array.isArray(node)) return node.flatMap((v, i) => stringLeaves(v, [...path, i]));
  if(node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => path.length === 0 && k === 'proof' ? [] : stringLeaves(v, [...path, k]));
  }
  return [];
}

function setAt(root: Credential, path: (string | number)[], value: string): void {
  let node: any = root;
  for(const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]] = value;
}

describe('property: any single string change outside the proof is caught', () => {
  const replacement = fc.oneof(
    fc.string({unit: 'binary', maxLength: 12}),
    fc.string({maxLength: 12}),
    fc.constantFrom('', ' ', 'https://acme.example/', 'did:key:z6Mk', 'urn:uuid:1', 'OpenBadgeCredential', 'Profile', '2025-01-01T00:00:00Z', OB_CONTEXT),
    fc.webUrl(),
  );

  it('never verifies, never throws, and never reports a valid proof', async () => {
    const leaves = stringLeaves(signed);
    expect(leaves.length).toBeGreaterThan(30);
    await fc.assert(fc.asyncProperty(fc.nat({max: leaves.length - 1}), replacement, async (index, value) => {
      const path = leaves[index];
      const tampered = clone(signed);
      let original: any = tampered;
      for(const key of path) original = original[key];
      fc.pre(original !== value);
      setAt(tampered, path, value);
      const result = await verifyCredential(tampered, ports());
      expect(result.verified).toBe(false);
      const codes = codesOf(result);
      expect(codes.proof).not.toBe('PROOF_VALID');
      if(codes.proof === 'CHECK_NOT_RUN') {
        // Only a credential refused before the proof check may skip it.
        expect(codes.structure === 'STRUCTURE_INVALID' || codes.contexts === 'CONTEXT_NOT_ALLOWED').toBe(true);
      } else {
        expect(['PROOF_VERIFICATION_ERROR', 'PROOF_TRANSFORMATION_ERROR']).toContain(codes.proof);
      }
    }), {numRuns: 150});
  });
});
