import {verifyCredential} from '@laurel/core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

describe.each(BACKENDS)('issuing credentials (%s)', kind => {
  let t: TestLaurel;
  let key: string;
  let did: string;
  let achievementId: string;

  beforeAll(async () => {
    t = await startLaurel(kind);
    ({apiKey: key, did} = await createOrg(t.app, {slug: 'acme'}));
    const res = await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, validityMonths: 24,
      alignment: [{targetName: 'Collaboration', targetUrl: 'https://example.org/skills/collab', targetFramework: 'ESCO', targetCode: 'S1.2'}],
      tags: ['soft-skills'], creditsAvailable: 2});
    expect(res.statusCode).toBe(201);
    achievementId = res.json().id;
  });
  afterAll(() => t.close());

  it('issues a signed OB 3.0 credential that verifies', async () => {
    const res = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Ada Lovelace', email: 'Ada@Example.org', did: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'}});
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(body.url).toBe(`https://laurel.test/c/${body.id}`);
    expect(res.headers.location).toBe(`/api/v1/credentials/${body.id}`);
    const vc = body.credential;
    expect(vc.id).toBe(body.url);
    expect(vc.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(vc.issuer).toMatchObject({id: did, type: ['Profile'], name: 'Acme Academy'});
    expect(did).toBe('did:web:laurel.test:issuers:acme');
    expect(vc.credentialSubject.id).toBe('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
    const [email, name] = vc.credentialSubject.identifier;
    expect(email).toMatchObject({type: 'IdentityObject', identityType: 'emailAddress', hashed: true});
    expect(email.identityHash).toMatch(/^sha256\$[0-9a-f]{64}$/);
    expect(JSON.stringify(vc)).not.toContain('Ada@Example.org');
    expect(name).toEqual({type: 'IdentityObject', identityHash: 'Ada Lovelace', identityType: 'name', hashed: false});
    expect(vc.credentialSubject.achievement).toMatchObject({name: 'Teamwork', achievementType: 'Badge', creditsAvailable: 2,
      alignment: [{type: ['Alignment'], targetName: 'Collaboration', targetCode: 'S1.2'}], tag: ['soft-skills']});
    expect(vc.proof).toMatchObject({type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod',
      verificationMethod: `${did}#key-1`});
    // 24-month validity period from the achievement.
    expect(vc.validFrom).toBe('2026-03-01T12:00:00.000Z');
    expect(vc.validUntil).toBe('2028-03-01T12:00:00.000Z');
    const result = await t.services.verification.verify(vc);
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
  });

  it('stores what it returned: GET gives the same credential', async () => {
    const issued = (await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Grace Hopper'}})).json();
    const got = await api(t.app, key).get(`/api/v1/credentials/${issued.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(issued);
  });

  it('honours explicit validFrom/validUntil and refuses an inverted window', async () => {
    const ok = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Alan'},
      validFrom: '2026-01-01T00:00:00Z', validUntil: '2027-01-01T00:00:00Z'});
    expect(ok.statusCode).toBe(201);
    expect(ok.json().credential.validUntil).toBe('2027-01-01T00:00:00Z');
    const bad = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Alan'},
      validFrom: '2026-01-01T00:00:00Z', validUntil: '2025-01-01T00:00:00Z'});
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
  });

  it('carries evidence and results', async () => {
    const res = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Edsger'},
      evidence: [{id: 'https://example.org/portfolio/1', name: 'Capstone', narrative: 'Built a compiler.'}],
      results: [{value: 'A', status: 'Completed'}]});
    expect(res.statusCode).toBe(201);
    const vc = res.json().credential;
    expect(vc.evidence).toEqual([{type: ['Evidence'], id: 'https://example.org/portfolio/1', name: 'Capstone', narrative: 'Built a compiler.'}]);
    expect(vc.credentialSubject.result).toEqual([{type: ['Result'], value: 'A', status: 'Completed'}]);
    expect((await t.services.verification.verify(vc)).verified).toBe(true);
  });

  it('lists with filters and cursor pagination', async () => {
    const other = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Other'})).json();
    for(let i = 0; i < 5; i++) {
      t.clock.now = new Date(t.clock.now.getTime() + 1000);
      await api(t.app, key).post('/api/v1/credentials', {achievementId: other.id, recipient: {name: `Listed ${i}`, email: `listed${i}@example.org`}});
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api(t.app, key).get(`/api/v1/credentials?achievementId=${other.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      seen.push(...page.items.map((c: any) => c.recipient.name));
      cursor = page.nextCursor;
    } while(cursor);
    expect(seen).toEqual(['Listed 4', 'Listed 3', 'Listed 2', 'Listed 1', 'Listed 0']);
    const search = (await api(t.app, key).get('/api/v1/credentials?q=listed3%40')).json();
    expect(search.items.map((c: any) => c.recipient.name)).toEqual(['Listed 3']);
    // LIKE wildcards are literal text.
    expect((await api(t.app, key).get('/api/v1/credentials?q=%25')).json().items).toEqual([]);
    const bad = await api(t.app, key).get('/api/v1/credentials?cursor=garbage');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
  });

  it('filters expired credentials by status', async () => {
    const res = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Short Lived'},
      validFrom: '2020-01-01T00:00:00Z', validUntil: '2021-01-01T00:00:00Z'});
    expect(res.json().status).toBe('expired');
    const expired = (await api(t.app, key).get('/api/v1/credentials?status=expired')).json();
    expect(expired.items.map((c: any) => c.recipient.name)).toContain('Short Lived');
    const active = (await api(t.app, key).get('/api/v1/credentials?status=active&limit=200')).json();
    expect(active.items.map((c: any) => c.recipient.name)).not.toContain('Short Lived');
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body', async () => {
      const body = {achievementId, recipient: {name: 'Once', email: 'once@example.org'}};
      const first = await api(t.app, key).post('/api/v1/credentials', body, {'idempotency-key': 'k-1'});
      // Same body, keys in another order: still the same request.
      const second = await api(t.app, key).post('/api/v1/credentials', {recipient: {email: 'once@example.org', name: 'Once'}, achievementId}, {'idempotency-key': 'k-1'});
      expect(first.statusCode).toBe(201);
      expect(second.statusCode).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.json()).toEqual(first.json());
      const list = (await api(t.app, key).get('/api/v1/credentials?q=once%40example.org')).json();
      expect(list.items).toHaveLength(1);
    });

    it('refuses the same key with another body (422) and writes nothing', async () => {
      await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Twice'}}, {'idempotency-key': 'k-2'});
      const res = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Thrice'}}, {'idempotency-key': 'k-2'});
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect((await api(t.app, key).get('/api/v1/credentials?q=Thrice')).json().items).toEqual([]);
    });

    it('issues once under concurrent retries', async () => {
      const body = {achievementId, recipient: {name: 'Concurrent'}};
      const results = await Promise.all(Array.from({length: 6}, () => api(t.app, key).post('/api/v1/credentials', body, {'idempotency-key': 'k-3'})));
      expect(new Set(results.map(r => r.json().id)).size).toBe(1);
      expect(results.every(r => r.statusCode === 201)).toBe(true);
      expect((await api(t.app, key).get('/api/v1/credentials?q=Concurrent')).json().items).toHaveLength(1);
    });

    it('scopes keys per organization', async () => {
      const other = await createOrg(t.app, {name: 'Other Org'});
      const otherAch = (await api(t.app, other.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
      const a = await api(t.app, other.apiKey).post('/api/v1/credentials', {achievementId: otherAch.id, recipient: {name: 'X'}}, {'idempotency-key': 'shared'});
      const b = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'X'}}, {'idempotency-key': 'shared'});
      expect(a.statusCode).toBe(201);
      expect(b.statusCode).toBe(201);
      expect(a.json().id).not.toBe(b.json().id);
    });
  });

  it('group commit: concurrent requests with mixed outcomes each get their own answer', async () => {
    const archived = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Archived'})).json().id;
    await api(t.app, key).post(`/api/v1/achievements/${archived}/archive`);
    await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Keyed'}}, {'idempotency-key': 'mixed-1'});
    const requests = [
      ...Array.from({length: 10}, (_, i) => api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: `Batch ${i}`}})),
      api(t.app, key).post('/api/v1/credentials', {achievementId: archived, recipient: {name: 'Batch archived'}}),
      api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Other body'}}, {'idempotency-key': 'mixed-1'}),
      api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Keyed'}}, {'idempotency-key': 'mixed-1'}),
      api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Bad window'}, validFrom: '2026-01-01T00:00:00Z', validUntil: '2025-01-01T00:00:00Z'}),
    ];
    const res = await Promise.all(requests);
    expect(res.slice(0, 10).map(r => r.statusCode)).toEqual(Array(10).fill(201));
    expect(new Set(res.slice(0, 10).map(r => r.json().id)).size).toBe(10);
    expect(res[10].json().code).toBe('ACHIEVEMENT_ARCHIVED');
    expect(res[11].json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(res[12].statusCode).toBe(201);
    expect(res[12].headers['idempotent-replayed']).toBe('true');
    expect(res[13].json().code).toBe('VALIDATION_FAILED');
    for(const r of res.slice(0, 10)) expect((await t.services.verification.verify(r.json().credential)).verified).toBe(true);
    const stored = (await api(t.app, key).get('/api/v1/credentials?q=Batch&limit=200')).json().items;
    expect(stored.map((c: any) => c.recipient.name).sort()).toEqual(Array.from({length: 10}, (_, i) => `Batch ${i}`).sort());
  });

  it('signs with eddsa-jcs-2022 when the achievement or the request asks for it', async () => {
    const jcs = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'JCS', cryptosuite: 'eddsa-jcs-2022'})).json();
    expect(jcs.cryptosuite).toBe('eddsa-jcs-2022');
    const a = (await api(t.app, key).post('/api/v1/credentials', {achievementId: jcs.id, recipient: {name: 'Jay'}})).json();
    expect(a.credential.proof.cryptosuite).toBe('eddsa-jcs-2022');
    const b = (await api(t.app, key).post('/api/v1/credentials', {achievementId: jcs.id, recipient: {name: 'Ray'},
      options: {cryptosuite: 'eddsa-rdfc-2022'}})).json();
    expect(b.credential.proof.cryptosuite).toBe('eddsa-rdfc-2022');
    const c = (await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Kay'}, options: {cryptosuite: 'eddsa-jcs-2022'}})).json();
    expect(c.credential.proof.cryptosuite).toBe('eddsa-jcs-2022');
    for(const x of [a, b, c]) expect((await t.services.verification.verify(x.credential)).verified).toBe(true);
    const tampered = {...a.credential, name: 'Other'};
    expect((await t.services.verification.verify(tampered)).errors.map(e => e.code)).toContain('PROOF_VERIFICATION_ERROR');
    const bad = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'X'}, options: {cryptosuite: 'ecdsa-rdfc-2019'}});
    expect(bad.statusCode).toBe(400);
  });

  it('keeps old credentials verifying after key rotation', async () => {
    const before = (await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Before Rotation'}})).json();
    t.clock.now = new Date(t.clock.now.getTime() + 60_000);
    const rotated = await api(t.app, key).post('/api/v1/organization/keys/rotate');
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().verificationMethod).toBe(`${did}#key-2`);
    t.clock.now = new Date(t.clock.now.getTime() + 60_000);
    const after = (await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'After Rotation'}})).json();
    expect(after.credential.proof.verificationMethod).toBe(`${did}#key-2`);
    const doc = (await t.app.inject({method: 'GET', url: '/issuers/acme/did.json'})).json();
    expect(doc.verificationMethod.map((m: any) => m.id)).toEqual([`${did}#key-1`, `${did}#key-2`]);
    expect(doc.verificationMethod[0].validUntil).toBeDefined();
    expect(doc.verificationMethod[1].validUntil).toBeUndefined();
    for(const c of [before, after]) expect((await t.services.verification.verify(c.credential)).verified).toBe(true);
    // A credential claiming the retired key signed it after rotation is refused.
    const forged = structuredClone(after.credential);
    forged.proof.verificationMethod = `${did}#key-1`;
    const result = await t.services.verification.verify(forged);
    expect(result.verified).toBe(false);
    expect(result.errors.map(e => e.code)).toEqual(expect.arrayContaining(['PROOF_VERIFICATION_ERROR', 'KEY_NOT_VALID_AT_PROOF_TIME']));
  });

  it('verifies with the core alone, given the served DID document (no server trust)', async () => {
    const issued = (await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient: {name: 'Offline'}})).json();
    const doc = (await t.app.inject({method: 'GET', url: '/issuers/acme/did.json'})).json();
    const {Canonicalizer, createDocumentLoader} = await import('@laurel/core');
    const result = await verifyCredential(issued.credential, {
      canonicalizer: new Canonicalizer(createDocumentLoader()),
      resolveController: async id => id === doc.id ? {ok: true, document: doc} : {ok: false, message: 'unknown'},
      now: () => new Date('2026-06-01T00:00:00Z'),
    });
    expect(result.verified).toBe(true);
  });
});
