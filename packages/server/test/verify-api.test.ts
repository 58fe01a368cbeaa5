import {createServer, type Server} from 'node:net';
import jsQRModule from 'jsqr';
import {PNG} from 'pngjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {fetchPublicJson, isNonPublicAddress} from '../src/services/safe-fetch.js';
import {ACHIEVEMENT, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

// jsqr is CommonJS with a default export: unwrap it under ESM.
const jsQR = ((jsQRModule as unknown as {default?: unknown}).default ?? jsQRModule) as unknown as
  (data: Uint8ClampedArray, width: number, height: number) => {data: string} | null;

describe.each(BACKENDS)('POST /api/v1/verify and QR codes (%s)', kind => {
  let t: TestLaurel;
  let key: string;
  let issued: any;
  let onDomain: any;
  // Every fetch verification attempts is recorded; the stub serves one foreign credential.
  const fetched: string[] = [];
  let foreign: unknown;

  beforeAll(async () => {
    t = await startLaurel(kind, {fetchJson: async url => {
      fetched.push(url.href);
      if(url.href === 'https://badges.other.example/c/1') return JSON.stringify(foreign);
      throw new Error('connection refused');
    }});
    key = (await createOrg(t.app, {slug: 'acme'})).apiKey;
    const ach = (await api(t.app, key).post('/api/v1/achievements', ACHIEVEMENT)).json();
    issued = (await api(t.app, key).post('/api/v1/credentials', {achievementId: ach.id, recipient: {name: 'Ada'}})).json();
    const domainKey = (await createOrg(t.app, {name: 'Exu', domain: 'certs.example.edu'})).apiKey;
    const domainAch = (await api(t.app, domainKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    onDomain = (await api(t.app, domainKey).post('/api/v1/credentials', {achievementId: domainAch.id, recipient: {name: 'Bo'}})).json();
    // A credential "published elsewhere": a did:key issuer, so it verifies without this instance's database.
    const keyOrg = await createOrg(t.app, {name: 'Keyed', didMethod: 'key'});
    const keyAch = (await api(t.app, keyOrg.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    foreign = (await api(t.app, keyOrg.apiKey).post('/api/v1/credentials', {achievementId: keyAch.id, recipient: {name: 'Cy'}})).json().credential;
  });
  afterAll(() => t.close());

  const verify = (payload: unknown) => t.app.inject({method: 'POST', url: '/api/v1/verify', payload: payload as object});

  it('verifies a credential body: 200 whether or not it is valid', async () => {
    const ok = await verify({credential: issued.credential});
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({verified: true, input: {kind: 'credential'}});
    const bad = await verify({credential: {...issued.credential, name: 'Forged'}});
    expect(bad.statusCode).toBe(200);
    expect(bad.json().verified).toBe(false);
    expect(bad.json().errors.map((e: any) => e.code)).toContain('PROOF_VERIFICATION_ERROR');
  });

  it('looks URLs on its own origin and on organization domains up in the database, fetching nothing', async () => {
    fetched.length = 0;
    for(const url of [issued.url, `${issued.url}.json`, onDomain.url]) {
      const res = await verify({url});
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({verified: true, input: {kind: 'url', url}});
    }
    const unknown = (await verify({url: 'https://laurel.test/c/doesnotexist'})).json();
    expect(unknown.verified).toBe(false);
    expect(unknown.input.error).toMatch(/No credential/);
    // A credential of another organization is not served on a domain organization's host.
    const crossed = (await verify({url: `https://certs.example.edu/c/${issued.id}`})).json();
    expect(crossed.verified).toBe(false);
    expect(fetched).toEqual([]);
  });

  it('fetches other https URLs through the safe fetcher, and refuses plain http', async () => {
    fetched.length = 0;
    const res = (await verify({url: 'https://badges.other.example/c/1'})).json();
    expect(res).toMatchObject({verified: true, input: {kind: 'url'}});
    const refused = (await verify({url: 'http://badges.other.example/c/1'})).json();
    expect(refused.verified).toBe(false);
    expect(refused.input.error).toMatch(/https/);
    const unreachable = (await verify({url: 'https://down.example/c/1'})).json();
    expect(unreachable.verified).toBe(false);
    expect(unreachable.input.error).toMatch(/could not be fetched/);
    expect(fetched).toEqual(['https://badges.other.example/c/1', 'https://down.example/c/1']);
    // Every check is still listed.
    expect(unreachable.checks).toHaveLength(8);
  });

  it('verifies a vc+jwt token (EdDSA, did:key issuer) and reports a forged one', async () => {
    const {generateKeyPairSync, sign, createPublicKey} = await import('node:crypto');
    const {didKeyFromPublicKey, encodeEd25519PublicKey, signVcJwt} = await import('@laurel/core');
    const {privateKey} = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(12));
    const did = didKeyFromPublicKey(raw);
    const credential: Record<string, any> = {...structuredClone(foreign) as Record<string, any>, issuer: {id: did, type: ['Profile'], name: 'JWT issuer'}};
    delete credential.proof;
    const jwt = await signVcJwt(credential, {kid: `${did}#${encodeEd25519PublicKey(raw)}`, alg: 'EdDSA',
      sign: data => new Uint8Array(sign(null, data, privateKey))}, new Date('2026-03-01T12:00:00Z'));
    const ok = await verify({jwt});
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({verified: true, input: {kind: 'jwt'}});
    const [h, p, sig] = jwt.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload.name = 'Forged';
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
    const bad = (await verify({jwt: forged})).json();
    expect(bad.verified).toBe(false);
    expect(bad.errors.map((e: any) => e.code)).toContain('PROOF_VERIFICATION_ERROR');
    const none = `${Buffer.from(JSON.stringify({alg: 'none', typ: 'vc+jwt'})).toString('base64url')}.${p}.`;
    expect((await verify({jwt: none})).json().verified).toBe(false);
  });

  it('answers 400 for a malformed request', async () => {
    for(const payload of [{}, {credential: issued.credential, url: issued.url}, {url: 5}, {credential: 'x'}, {jwt: ''}, {other: 1}]) {
      const res = await verify(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    const dup = await t.app.inject({method: 'POST', url: '/api/v1/verify', headers: {'content-type': 'application/json'},
      payload: '{"url":"a","url":"b"}'});
    expect(dup.json().code).toBe('DUPLICATE_JSON_KEY');
    const deep = await t.app.inject({method: 'POST', url: '/api/v1/verify', headers: {'content-type': 'application/json'},
      payload: `{"credential":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`});
    expect(deep.statusCode).toBe(200);
    expect(deep.json().verified).toBe(false);
  });

  it('serves QR codes that decode to the verification URL', async () => {
    const png = await t.app.inject({method: 'GET', url: `/c/${issued.id}/qr.png`});
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    const image = PNG.sync.read(png.rawPayload);
    const code = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(code?.data).toBe(issued.url);
    const svg = await t.app.inject({method: 'GET', url: `/c/${issued.id}/qr.svg`});
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.body).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const small = PNG.sync.read((await t.app.inject({method: 'GET', url: `/c/${issued.id}/qr.png?size=128`})).rawPayload);
    expect(small.width).toBe(128);
    expect((await t.app.inject({method: 'GET', url: '/c/nope/qr.png'})).statusCode).toBe(404);
    // On a domain organization's host, only its own credentials.
    const domainQr = await t.app.inject({method: 'GET', url: `/c/${onDomain.id}/qr.png`, headers: {host: 'certs.example.edu'}});
    const decoded = PNG.sync.read(domainQr.rawPayload);
    expect(jsQR(new Uint8ClampedArray(decoded.data), decoded.width, decoded.height)?.data).toBe(onDomain.url);
    expect((await t.app.inject({method: 'GET', url: `/c/${issued.id}/qr.png`, headers: {host: 'certs.example.edu'}})).statusCode).toBe(404);
  });
});

describe('the safe fetcher never connects to non-public addresses', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  beforeAll(async () => {
    server = createServer(socket => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as {port: number}).port;
  });
  afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));

  it('classifies addresses', () => {
    for(const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(isNonPublicAddress(a), a).toBe(true);
    }
    for(const a of ['93.184.215.14', '8.8.8.8', '2606:4700::1111']) expect(isNonPublicAddress(a), a).toBe(false);
  });

  it('verification of a hostile credential triggers no request to loopback, private or link-local addresses', async () => {
    const t = await startLaurel('pglite');
    try {
      const before = connections;
      const hostile = (issuer: string, context: string[]) => ({
        '@context': context, type: ['VerifiableCredential'], issuer, validFrom: '2026-01-01T00:00:00Z', credentialSubject: {id: 'did:example:x'},
        proof: {type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod', created: '2026-01-01T00:00:00Z',
          verificationMethod: `${issuer}#key-1`, proofValue: 'z' + '2'.repeat(86)},
      });
      const cases = [
        hostile(`did:web:127.0.0.1%3A${port}`, ['https://www.w3.org/ns/credentials/v2']),
        hostile(`did:web:localhost%3A${port}`, ['https://www.w3.org/ns/credentials/v2']),
        hostile('did:web:169.254.169.254', ['https://www.w3.org/ns/credentials/v2']),
        hostile('did:web:10.0.0.1', ['https://www.w3.org/ns/credentials/v2']),
        hostile('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', ['https://www.w3.org/ns/credentials/v2', `http://127.0.0.1:${port}/context.json`]),
      ];
      for(const credential of cases) {
        const res = await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {credential}});
        expect(res.statusCode).toBe(200);
        const body = res.json();
        expect(body.verified).toBe(false);
        expect(body.errors.map((e: any) => e.code)).toEqual(expect.arrayContaining([expect.stringMatching(/ISSUER_UNRESOLVED|CONTEXT_NOT_ALLOWED/)]));
      }
      const url = await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {url: `https://127.0.0.1:${port}/c/x`}});
      expect(url.json().verified).toBe(false);
      expect(connections).toBe(before);
    } finally {
      await t.close();
    }
  });

  it('refuses loopback by name and by address, and plain http, without a connection', async () => {
    for(const url of [`https://localhost:${port}/x`, `https://127.0.0.1:${port}/x`, `https://[::1]:${port}/x`, `https://169.254.169.254/latest`, `http://127.0.0.1:${port}/x`]) {
      await expect(fetchPublicJson(new URL(url)), url).rejects.toThrow();
    }
    expect(connections).toBe(0);
  });
});

describe('the public page reuses its server-side result, but never past a validity boundary', () => {
  it('caches per credential and expires at validUntil', async () => {
    const t = await startLaurel('pglite');
    try {
      const key = (await createOrg(t.app)).apiKey;
      const ach = (await api(t.app, key).post('/api/v1/achievements', ACHIEVEMENT)).json();
      // Valid until 5 s after the harness clock.
      const until = new Date(t.clock.now.getTime() + 5000).toISOString();
      const vc = (await api(t.app, key).post('/api/v1/credentials', {achievementId: ach.id, recipient: {name: 'Short'},
        validFrom: '2026-01-01T00:00:00Z', validUntil: until})).json();
      const page = async () => (await t.app.inject({method: 'GET', url: `/c/${vc.id}`})).body;
      expect(await page()).toContain('data-testid="verdict">✓ Verified');
      t.clock.now = new Date(t.clock.now.getTime() + 2000);
      expect(await page()).toContain('data-testid="verdict">✓ Verified');
      t.clock.now = new Date(t.clock.now.getTime() + 4000);
      expect(await page()).toContain('data-testid="verdict">✗ Not verified');
      expect(await page()).toContain('data-code="EXPIRED"');
    } finally {
      await t.close();
    }
  });
});
