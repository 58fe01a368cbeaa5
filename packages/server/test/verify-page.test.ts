/**
 * The /verify page without a browser: the no-JavaScript form post, the
 * verifier bundle's caching headers, and the bundle's browser-safety guard.
 */
import {build} from 'esbuild';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildBrowserBundle, refuseNodeBuiltins} from '../src/pages/browser-bundle.js';
import {ACHIEVEMENT, api, createOrg, startLaurel, type TestLaurel} from './harness.js';

const form = (input: string) => ({method: 'POST' as const, url: '/verify', headers: {'content-type': 'application/x-www-form-urlencoded'},
  payload: new URLSearchParams({input, where: 'server'}).toString()});
const codes = (page: string) => [...page.matchAll(/<li class="([a-z]+)" data-code="([A-Z_]+)">/g)].map(m => [m[1], m[2]]);

describe('/verify and the verifier bundle', () => {
  let t: TestLaurel;
  let id: string;
  let json: string;

  beforeAll(async () => {
    t = await startLaurel('pglite');
    const {apiKey} = await createOrg(t.app, {slug: 'acme'});
    const achievement = (await api(t.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    id = (await api(t.app, apiKey).post('/api/v1/credentials', {achievementId: achievement.id, recipient: {name: 'Ada'}})).json().id;
    json = (await t.app.inject({method: 'GET', url: `/c/${id}.json`})).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves the form with the hashed bundle and a JSON data block', async () => {
    const res = await t.app.inject({method: 'GET', url: '/verify'});
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<form method="post" action="\/verify" id="verify-form">/);
    expect(res.body).toMatch(/<script type="module" src="\/assets\/verify-[0-9a-f]{16}\.js" nonce="[A-Za-z0-9+/=]{24}"><\/script>/);
    expect(res.body).toContain('<script type="application/json" id="laurel-verify">{"mode":"verify","publicHost":"laurel.test","locale":"en"}</script>');
  });

  it('serves the bundle immutable under its hash, revalidated under its plain name', async () => {
    const page = (await t.app.inject({method: 'GET', url: `/c/${id}`})).body;
    const src = /<script type="module" src="(\/assets\/verify-[^"]+)"/.exec(page)![1];
    const hashed = await t.app.inject({method: 'GET', url: src});
    expect(hashed.statusCode).toBe(200);
    expect(hashed.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(hashed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const plain = await t.app.inject({method: 'GET', url: '/assets/verify.js'});
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.body).toBe(hashed.body);
    const again = await t.app.inject({method: 'GET', url: '/assets/verify.js', headers: {'if-none-match': String(plain.headers.etag)}});
    expect(again.statusCode).toBe(304);
    expect((await t.app.inject({method: 'GET', url: '/assets/verify-0000000000000000.js'})).statusCode).toBe(404);
  });

  it('verifies a posted credential on the server (no JavaScript)', async () => {
    const res = await t.app.inject(form(json));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-testid="verdict">✓ Verified');
    expect(codes(res.body)).toContainEqual(['passed', 'PROOF_VALID']);
    expect(res.body).toContain('<p class="note muted" data-testid="result-where">Checked by this server.</p>');
  });

  it('finds a tampered credential, and explains input it cannot read', async () => {
    const tampered = JSON.parse(json);
    tampered.credentialSubject.identifier[0].identityHash = 'Mallory';
    const res = await t.app.inject(form(JSON.stringify(tampered)));
    expect(res.body).toContain('data-testid="verdict">✗ Not verified');
    expect(codes(res.body)).toContainEqual(['failed', 'PROOF_VERIFICATION_ERROR']);
    for(const input of ['', 'hello', '{"a": 1, "a": 2}']) {
      expect((await t.app.inject(form(input))).body, input).toContain('data-testid="input-error"');
    }
  });

  it('verifies a link to this instance from the database', async () => {
    const res = await t.app.inject(form(`https://laurel.test/c/${id}`));
    expect(res.body).toContain('data-testid="verdict">✓ Verified');
  });

  it('accepts form bodies on POST /verify only', async () => {
    const res = await t.app.inject({method: 'POST', url: '/api/v1/verify', headers: {'content-type': 'application/x-www-form-urlencoded'}, payload: 'url=x'});
    expect(res.statusCode).toBe(415);
  });

  it('bundles for browsers with no Node built-ins', async () => {
    const bundle = await buildBrowserBundle();
    expect(bundle.url).toBe(`/assets/verify-${bundle.hash}.js`);
    expect(bundle.code).not.toMatch(/from\s*["']node:|require\(["'](node:)?(fs|crypto|path|url|http|https|zlib|stream|util)["']\)/);
    await expect(build({stdin: {contents: 'import "node:fs"; import "crypto";', resolveDir: process.cwd()}, bundle: true, platform: 'browser',
      write: false, logLevel: 'silent', plugins: [refuseNodeBuiltins]})).rejects.toThrow(/Node built-in "node:fs"/);
  });
});

describe('compression', () => {
  it('compresses the browser bundle and pages when asked, and not otherwise', async () => {
    const {gunzipSync} = await import('node:zlib');
    const t = await startLaurel('pglite');
    try {
      const plain = await t.app.inject({method: 'GET', url: '/assets/verify.js'});
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const gz = await t.app.inject({method: 'GET', url: '/assets/verify.js', headers: {'accept-encoding': 'gzip'}});
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
      expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    } finally {
      await t.close();
    }
  });
});
