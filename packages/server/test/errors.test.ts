import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, ADMIN_TOKEN, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

const count = async (t: TestLaurel, table: string) => (await t.db.query<{n: number}>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

describe.each(BACKENDS)('bad input gets problem+json, never a 500 or a partial write (%s)', kind => {
  let t: TestLaurel;
  let key: string;
  let achievementId: string;

  beforeAll(async () => {
    t = await startLaurel(kind);
    key = (await createOrg(t.app)).apiKey;
    achievementId = (await api(t.app, key).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
  });
  afterAll(() => t.close());

  const expectProblem = (res: {statusCode: number; headers: Record<string, unknown>; json(): any}, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({status, code, type: expect.stringMatching(/^urn:laurel:problem:/), title: expect.any(String), detail: expect.any(String)});
    return body;
  };

  const post = (payload: string, headers: Record<string, string> = {}) => t.app.inject({method: 'POST', url: '/api/v1/credentials',
    headers: {authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers}, payload});

  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    expectProblem(await post('{"achievementId": '), 400, 'MALFORMED_JSON');
  });

  it('duplicate JSON keys → 400 DUPLICATE_JSON_KEY, including nested ones', async () => {
    expectProblem(await post(`{"achievementId":"${achievementId}","recipient":{"name":"A","name":"B"}}`), 400, 'DUPLICATE_JSON_KEY');
    expectProblem(await post('{"a":1,"\\u0061":2}'), 400, 'DUPLICATE_JSON_KEY');
  });

  it('wrong types and unknown fields → 400 VALIDATION_FAILED with a path per field', async () => {
    const body = expectProblem(await post(JSON.stringify({achievementId: 5, recipient: {name: '', email: 'not-an-email'}, extra: true})), 400, 'VALIDATION_FAILED');
    const paths = body.errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['achievementId', 'recipient.name', 'recipient.email']));
    expect(body.errors.some((e: any) => /extra/.test(e.message) || e.path === '(body)')).toBe(true);
  });

  it('a bad date or DID → 400 VALIDATION_FAILED', async () => {
    expectProblem(await post(JSON.stringify({achievementId, recipient: {name: 'A'}, validFrom: '2026-13-45'})), 400, 'VALIDATION_FAILED');
    expectProblem(await post(JSON.stringify({achievementId, recipient: {name: 'A', did: 'not a did'}})), 400, 'VALIDATION_FAILED');
  });

  it('a JSON array or scalar body → 400', async () => {
    expectProblem(await post('[1,2]'), 400, 'VALIDATION_FAILED');
    expectProblem(await post('"x"'), 400, 'VALIDATION_FAILED');
  });

  it('unknown achievement → 404 ACHIEVEMENT_NOT_FOUND', async () => {
    expectProblem(await post(JSON.stringify({achievementId: 'nope', recipient: {name: 'A'}})), 404, 'ACHIEVEMENT_NOT_FOUND');
  });

  it("another organization's achievement → 404, and nothing is written", async () => {
    const other = await createOrg(t.app, {name: 'Rival'});
    const rivalAchievement = (await api(t.app, other.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const before = await count(t, 'credentials');
    expectProblem(await post(JSON.stringify({achievementId: rivalAchievement, recipient: {name: 'Thief'}})), 404, 'ACHIEVEMENT_NOT_FOUND');
    expect(await count(t, 'credentials')).toBe(before);
    // Nor can one tenant read another's credential or achievement.
    const theirs = (await api(t.app, other.apiKey).post('/api/v1/credentials', {achievementId: rivalAchievement, recipient: {name: 'R'}})).json();
    expectProblem(await api(t.app, key).get(`/api/v1/credentials/${theirs.id}`), 404, 'CREDENTIAL_NOT_FOUND');
    expectProblem(await api(t.app, key).get(`/api/v1/achievements/${rivalAchievement}`), 404, 'ACHIEVEMENT_NOT_FOUND');
    expect((await api(t.app, key).get('/api/v1/credentials?limit=200')).json().items.map((c: any) => c.id)).not.toContain(theirs.id);
  });

  it('an archived achievement → 422 ACHIEVEMENT_ARCHIVED', async () => {
    const id = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Old'})).json().id;
    await api(t.app, key).post(`/api/v1/achievements/${id}/archive`);
    expectProblem(await post(JSON.stringify({achievementId: id, recipient: {name: 'A'}})), 422, 'ACHIEVEMENT_ARCHIVED');
  });

  it('a body over 1 MiB → 413 BODY_TOO_LARGE', async () => {
    const big = JSON.stringify({achievementId, recipient: {name: 'A'}, pad: 'x'.repeat(1024 * 1024)});
    expectProblem(await post(big), 413, 'BODY_TOO_LARGE');
  });

  it('a non-JSON content type → 415', async () => {
    expectProblem(await post('name=x', {'content-type': 'application/x-www-form-urlencoded'}), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('missing or wrong API key → 401 UNAUTHENTICATED, before the body is read', async () => {
    const none = await t.app.inject({method: 'GET', url: '/api/v1/credentials'});
    expectProblem(none, 401, 'UNAUTHENTICATED');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await t.app.inject({method: 'GET', url: '/api/v1/credentials', headers: {authorization: 'Bearer lrl_x_wrong'}}), 401, 'UNAUTHENTICATED');
    expectProblem(await t.app.inject({method: 'GET', url: '/api/v1/credentials', headers: {authorization: `Basic ${key}`}}), 401, 'UNAUTHENTICATED');
    expectProblem(await t.app.inject({method: 'POST', url: '/api/v1/credentials', headers: {'content-type': 'application/json'}, payload: '{"a":1,"a":2}'}), 401, 'UNAUTHENTICATED');
  });

  it('a bad Idempotency-Key header → 400', async () => {
    expectProblem(await post(JSON.stringify({achievementId, recipient: {name: 'A'}}), {'idempotency-key': 'has space'}), 400, 'VALIDATION_FAILED');
  });

  it('unknown routes → 404 problem', async () => {
    expectProblem(await api(t.app, key).get('/api/v1/nothing'), 404, 'NOT_FOUND');
  });

  describe('organization bootstrap', () => {
    it('needs the admin token', async () => {
      const res = await t.app.inject({method: 'POST', url: '/api/v1/organizations', headers: {authorization: 'Bearer wrong'}, payload: {name: 'X'}});
      expectProblem(res, 401, 'UNAUTHENTICATED');
      // An organization's API key is not the admin token.
      expectProblem(await api(t.app, key).post('/api/v1/organizations', {name: 'X'}), 401, 'UNAUTHENTICATED');
    });

    it('validates its body', async () => {
      const res = await t.app.inject({method: 'POST', url: '/api/v1/organizations', headers: {authorization: `Bearer ${ADMIN_TOKEN}`},
        payload: {name: 'X', slug: 'Bad Slug!', didMethod: 'ion', domain: 'http://x', email: 'no'}});
      const body = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(body.errors.map((e: any) => e.path)).toEqual(expect.arrayContaining(['slug', 'didMethod', 'domain', 'email']));
    });

    it('refuses a taken slug or domain with 409', async () => {
      await createOrg(t.app, {name: 'Unique', slug: 'unique', domain: 'certs.unique.example'});
      const slug = await t.app.inject({method: 'POST', url: '/api/v1/organizations', headers: {authorization: `Bearer ${ADMIN_TOKEN}`}, payload: {name: 'U2', slug: 'unique'}});
      expectProblem(slug, 409, 'SLUG_TAKEN');
      const domain = await t.app.inject({method: 'POST', url: '/api/v1/organizations', headers: {authorization: `Bearer ${ADMIN_TOKEN}`}, payload: {name: 'U3', domain: 'CERTS.unique.example'}});
      expectProblem(domain, 409, 'DOMAIN_TAKEN');
    });

    it('stores the API key hashed, never in clear', async () => {
      const created = await createOrg(t.app, {name: 'Hashed'});
      const {rows} = await t.db.query<{secret_hash: Uint8Array; prefix: string}>('SELECT secret_hash, prefix FROM api_keys');
      for(const row of rows) {
        expect(Buffer.from(row.secret_hash).toString('utf8')).not.toContain(created.apiKey);
        expect(created.apiKey.includes(Buffer.from(row.secret_hash).toString('base64url'))).toBe(false);
      }
      const dump = JSON.stringify((await t.db.query('SELECT * FROM api_keys')).rows);
      const secret = /^lrl_[0-9a-f]{12}_([A-Za-z0-9_-]{43})$/.exec(created.apiKey)![1];
      expect(dump).not.toContain(secret);
      // And the key works.
      expect((await api(t.app, created.apiKey).get('/api/v1/organization')).json().name).toBe('Hashed');
    });

    it('is disabled without LAUREL_ADMIN_TOKEN', async () => {
      const t2 = await startLaurel(kind, {adminToken: undefined});
      try {
        const res = await t2.app.inject({method: 'POST', url: '/api/v1/organizations', headers: {authorization: 'Bearer anything'}, payload: {name: 'X'}});
        expectProblem(res, 403, 'ADMIN_API_DISABLED');
      } finally {
        await t2.close();
      }
    });
  });

  it('signing keys are encrypted at rest', async () => {
    const {rows} = await t.db.query<{encrypted_secret: Uint8Array; public_key: Uint8Array}>('SELECT encrypted_secret, public_key FROM signing_keys');
    expect(rows.length).toBeGreaterThan(0);
    for(const r of rows) expect(r.encrypted_secret.length).toBe(12 + 32 + 16);
  });
});
