import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

const unsigned = (issuer: unknown) => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'urn:uuid:0d5a2e1f-4b2b-4a8e-9a51-1c7f3a6b2d11',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer,
  validFrom: '2026-01-01T00:00:00Z',
  credentialSubject: {type: ['AchievementSubject'], achievement: {id: 'https://example.org/a/1', type: ['Achievement'], name: 'A', description: 'D', criteria: {narrative: 'N'}}},
});

describe.each(BACKENDS)('VC-API (%s)', kind => {
  let t: TestLaurel;
  let web: {apiKey: string; did: string};
  let key: {apiKey: string; did: string};
  // Every network fetch verification attempts is recorded here, and fails.
  const fetched: string[] = [];

  beforeAll(async () => {
    t = await startLaurel(kind, {fetchJson: async url => {
      fetched.push(url.href);
      throw new Error('connection refused');
    }});
    web = await createOrg(t.app, {name: 'Web Org', slug: 'web-org'});
    key = await createOrg(t.app, {name: 'Key Org', didMethod: 'key'});
  });
  afterAll(() => t.close());

  it('POST /credentials/issue signs a caller credential as the caller (did:web and did:key)', async () => {
    for(const org of [web, key]) {
      const res = await api(t.app, org.apiKey).post('/credentials/issue', {credential: unsigned({id: org.did, type: ['Profile'], name: 'X'}), options: {}});
      expect(res.statusCode).toBe(201);
      const vc = res.json().verifiableCredential;
      expect(vc.proof.cryptosuite).toBe('eddsa-rdfc-2022');
      const verify = await t.app.inject({method: 'POST', url: '/credentials/verify', payload: {verifiableCredential: vc}});
      expect(verify.statusCode).toBe(200);
      expect(verify.json()).toMatchObject({verified: true, errors: [], warnings: []});
    }
    expect(key.did).toMatch(/^did:key:z6Mk/);
  });

  it('signs with eddsa-jcs-2022 when options.cryptosuite asks, and signs VC 1.1 credentials as the W3C suites send them', async () => {
    const jcs = await api(t.app, web.apiKey).post('/credentials/issue', {credential: unsigned({id: web.did, type: ['Profile'], name: 'X'}),
      options: {cryptosuite: 'eddsa-jcs-2022', credentialId: 'ignored'}});
    expect(jcs.statusCode).toBe(201);
    expect(jcs.json().verifiableCredential.proof.cryptosuite).toBe('eddsa-jcs-2022');
    expect((await t.app.inject({method: 'POST', url: '/credentials/verify', payload: {verifiableCredential: jcs.json().verifiableCredential}})).statusCode).toBe(200);
    const v1 = {
      '@context': ['https://www.w3.org/2018/credentials/v1'],
      id: 'urn:uuid:5f1a1b1e-0000-4000-8000-000000000001',
      type: ['VerifiableCredential'],
      issuer: web.did,
      issuanceDate: '2026-01-01T00:00:00Z',
      credentialSubject: {id: 'did:example:subject'},
    };
    for(const cryptosuite of ['eddsa-rdfc-2022', 'eddsa-jcs-2022']) {
      const res = await api(t.app, web.apiKey).post('/credentials/issue', {credential: v1, options: {cryptosuite}});
      expect(res.statusCode, res.body).toBe(201);
      const vc = res.json().verifiableCredential;
      expect(vc.proof.cryptosuite).toBe(cryptosuite);
      expect(vc.issuanceDate).toBe('2026-01-01T00:00:00Z');
      const verify = await t.app.inject({method: 'POST', url: '/credentials/verify', payload: {verifiableCredential: vc}});
      expect(verify.statusCode, verify.body).toBe(200);
    }
    const noDate = await api(t.app, web.apiKey).post('/credentials/issue', {credential: {...v1, issuanceDate: undefined}});
    expect(noDate.statusCode).toBe(422);
  });

  it('accepts the issuer as a plain DID string', async () => {
    const res = await api(t.app, web.apiKey).post('/credentials/issue', {credential: {...unsigned(web.did), type: ['VerifiableCredential']}});
    expect(res.statusCode).toBe(201);
  });

  it("refuses an issuer that is not one of the organization's DIDs (403)", async () => {
    const res = await api(t.app, web.apiKey).post('/credentials/issue', {credential: unsigned(key.did)});
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('ISSUER_NOT_OWNED');
  });

  it('refuses invalid credentials with 422 and missing fields with 400', async () => {
    const bad = await api(t.app, web.apiKey).post('/credentials/issue', {credential: {...unsigned(web.did), '@context': ['https://evil.example/ctx']}});
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('CREDENTIAL_INVALID');
    const relative = await api(t.app, web.apiKey).post('/credentials/issue', {credential: {...unsigned(web.did), id: 'not a url'}});
    expect(relative.statusCode).toBe(422);
    const missing = await api(t.app, web.apiKey).post('/credentials/issue', {options: {}});
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('VALIDATION_FAILED');
    const unauth = await t.app.inject({method: 'POST', url: '/credentials/issue', payload: {credential: unsigned(web.did)}});
    expect(unauth.statusCode).toBe(401);
  });

  it('POST /credentials/verify: 422 problem+json with the same result when not verified; 400 when malformed', async () => {
    const vc = (await api(t.app, web.apiKey).post('/credentials/issue', {credential: unsigned({id: web.did, type: ['Profile'], name: 'X'})})).json().verifiableCredential;
    const tampered = {...vc, validFrom: '2025-01-01T00:00:00Z'};
    const res = await t.app.inject({method: 'POST', url: '/credentials/verify', payload: {verifiableCredential: tampered}});
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body.code).toBe('NOT_VERIFIED');
    expect(body.verified).toBe(false);
    expect(body.errors.map((e: any) => e.code)).toContain('PROOF_VERIFICATION_ERROR');
    expect(body.checks).toHaveLength(8);
    for(const payload of [{}, {verifiableCredential: 'x'}, {verifiableCredential: [1]}]) {
      const r = await t.app.inject({method: 'POST', url: '/credentials/verify', payload});
      expect(r.statusCode).toBe(400);
    }
    const dup = await t.app.inject({method: 'POST', url: '/credentials/verify', headers: {'content-type': 'application/json'}, payload: '{"verifiableCredential":{},"verifiableCredential":{}}'});
    expect(dup.statusCode).toBe(400);
    expect(dup.json().code).toBe('DUPLICATE_JSON_KEY');
  });

  it('verifies Laurel credentials of this instance without any network (DIDs read from the database)', async () => {
    const ach = (await api(t.app, web.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    const issued = (await api(t.app, web.apiKey).post('/api/v1/credentials', {achievementId: ach.id, recipient: {name: 'Local'}})).json();
    fetched.length = 0;
    const res = await t.app.inject({method: 'POST', url: '/credentials/verify', payload: {verifiableCredential: issued.credential}});
    expect(res.statusCode).toBe(200);
    expect(fetched).toEqual([]);
  });

  it('reports a foreign did:web it cannot fetch as ISSUER_UNRESOLVED, never a 500', async () => {
    fetched.length = 0;
    {
      const vc = {...unsigned('did:web:issuer.example.com'), proof: {type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod',
        verificationMethod: 'did:web:issuer.example.com#key-1', created: '2026-01-01T00:00:00Z', proofValue: 'z' + '1'.repeat(80)}};
      const res = await t.app.inject({method: 'POST', url: '/credentials/verify', payload: {verifiableCredential: vc}});
      expect(res.statusCode).toBe(422);
      expect(res.json().errors.map((e: any) => e.code)).toContain('ISSUER_UNRESOLVED');
      expect(fetched).toEqual(['https://issuer.example.com/.well-known/did.json']);
    }
  });
});
