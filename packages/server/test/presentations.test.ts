// VC-API POST /presentations/verify: a did:key holder presents a credential this instance issued.
import {Canonicalizer, createDocumentLoader, signPresentation, VC_V2_CONTEXT} from '@laurel/core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {randomDidKey} from '../../core/test/helpers.js';
import {ACHIEVEMENT, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

const canonicalizer = new Canonicalizer(createDocumentLoader());
const CHALLENGE = '7c1ed7ad-1b8f-4e58-8b1b-0d0c4c3f6a53';
const DOMAIN = 'verifier.example';
const CREATED = '2026-02-01T00:00:00Z';

describe.each(BACKENDS)('POST /presentations/verify (%s)', kind => {
  let t: TestLaurel;
  let credential: Record<string, any>;
  const holder = randomDidKey();
  const fetched: string[] = [];

  beforeAll(async () => {
    t = await startLaurel(kind, {fetchJson: async url => {
      fetched.push(url.href);
      throw new Error('connection refused');
    }});
    const org = await createOrg(t.app, {name: 'Web Org', slug: 'web-org'});
    const ach = (await api(t.app, org.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    const issued = await api(t.app, org.apiKey).post('/api/v1/credentials', {achievementId: ach.id, recipient: {name: 'Holder', did: holder.did}});
    expect(issued.statusCode).toBe(201);
    credential = issued.json().credential;
  });
  afterAll(() => t.close());

  const present = (verifiableCredential: unknown[], options: {challenge?: string; domain?: string} = {challenge: CHALLENGE, domain: DOMAIN}) =>
    signPresentation({'@context': [VC_V2_CONTEXT], type: ['VerifiablePresentation'], holder: holder.did, verifiableCredential},
      holder.signer, {created: CREATED, ...options}, canonicalizer);
  const verify = (payload: unknown) => t.app.inject({method: 'POST', url: '/presentations/verify', payload: payload as any});

  it('200 with the result when the presentation and its credentials verify (no network)', async () => {
    fetched.length = 0;
    const vp = await present([credential]);
    const res = await verify({verifiablePresentation: vp, options: {challenge: CHALLENGE, domain: DOMAIN}});
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({verified: true, errors: [], warnings: []});
    expect(body.presentation.checks.map((c: any) => c.code)).toEqual(['STRUCTURE_VALID', 'CONTEXTS_ALLOWED', 'PROOF_VALID', 'HOLDER_VALID', 'CREDENTIALS_VERIFIED']);
    expect(body.credentials).toHaveLength(1);
    expect(body.credentials[0].verified).toBe(true);
    expect(fetched).toEqual([]);
    // Options are optional; unknown verifier options are ignored.
    const bare = await verify({verifiablePresentation: vp, options: {checks: ['proof']}});
    expect(bare.statusCode).toBe(200);
  });

  it('422 problem+json carrying the result when not verified', async () => {
    const vp = await present([credential]);
    const wrong = await verify({verifiablePresentation: vp, options: {challenge: 'another', domain: DOMAIN}});
    expect(wrong.statusCode).toBe(422);
    expect(wrong.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = wrong.json();
    expect(body).toMatchObject({code: 'NOT_VERIFIED', verified: false});
    expect(body.errors.map((e: any) => e.code)).toEqual(['INVALID_CHALLENGE_ERROR']);
    expect(body.detail).toMatch(/^INVALID_CHALLENGE_ERROR/);
    expect(body.presentation.checks).toHaveLength(5);

    const wrongDomain = await verify({verifiablePresentation: vp, options: {challenge: CHALLENGE, domain: 'evil.example'}});
    expect(wrongDomain.statusCode).toBe(422);
    expect(wrongDomain.json().errors.map((e: any) => e.code)).toEqual(['INVALID_DOMAIN_ERROR']);

    const tampered = structuredClone(credential);
    tampered.credentialSubject.achievement.name = 'Something else';
    const withTampered = await verify({verifiablePresentation: await present([tampered]), options: {challenge: CHALLENGE}});
    expect(withTampered.statusCode).toBe(422);
    const tb = withTampered.json();
    expect(tb.errors).toContainEqual(expect.objectContaining({code: 'PROOF_VERIFICATION_ERROR', credential: 0}));
    expect(tb.credentials[0].verified).toBe(false);

    const {proof: _proof, ...unsigned} = vp;
    const noProof = await verify({verifiablePresentation: unsigned});
    expect(noProof.statusCode).toBe(422);
    expect(noProof.json().errors.map((e: any) => e.code)).toContain('PROOF_MISSING');

    const junk = await verify({verifiablePresentation: {type: 'Nothing'}});
    expect(junk.statusCode).toBe(422);
    expect(junk.json().errors.map((e: any) => e.code)).toContain('STRUCTURE_INVALID');
  });

  it('400 for a malformed request', async () => {
    for(const payload of [{}, {verifiablePresentation: 'x'}, {verifiablePresentation: [1]}, {verifiableCredential: {}},
      {verifiablePresentation: {}, options: {challenge: 5}}, {verifiablePresentation: {}, options: 'x'}]) {
      const r = await verify(payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().code).toBe('VALIDATION_FAILED');
    }
    const dup = await t.app.inject({method: 'POST', url: '/presentations/verify', headers: {'content-type': 'application/json'},
      payload: '{"verifiablePresentation":{},"verifiablePresentation":{}}'});
    expect(dup.statusCode).toBe(400);
  });
});
