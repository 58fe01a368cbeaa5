/**
 * Public surface, end to end through HTTP: credential pages and their JSON
 * (content negotiation), escaping of attacker-controlled names, DID documents,
 * custom domains with tenant isolation, X-Forwarded-* only behind a trusted
 * proxy, health, achievements and security headers.
 */
import type {AchievementCredential, VerificationResult} from '@laurel/core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {renderCredentialPage} from '../src/pages/credential-page.js';
import {ACHIEVEMENT, ADMIN_TOKEN, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

const MAIN_HOST = 'laurel.test';
const DOMAIN = 'certs.example.edu';

/** The check codes of a fully valid credential without a status entry, in report order. */
const VALID_CHECKS = [
  ['passed', 'STRUCTURE_VALID'], ['passed', 'CONTEXTS_ALLOWED'], ['passed', 'SCHEMA_VALID'], ['passed', 'PROOF_VALID'],
  ['passed', 'ISSUER_VALID'], ['passed', 'ISSUER_DOMAIN_OK'], ['passed', 'VALIDITY_OK'], ['passed', 'STATUS_VALID'],
];

type Response = {statusCode: number; headers: Record<string, unknown>; body: string; json(): any};

const UNESCAPES: Record<string, string> = {'&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#96;': '`'};
/** Reverses escapeHtml, to compare rendered text with what was submitted. */
const unescapeHtml = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#96);/g, m => UNESCAPES[m]);

/** The first capture of `re` in the page, unescaped; fails the test when absent. */
function pick(page: string, re: RegExp): string {
  const m = re.exec(page);
  expect(m, `${re} in page`).not.toBeNull();
  return unescapeHtml(m![1]);
}

/**
 * The page's script elements are exactly Laurel's own: the same-origin verifier and
 * copy-button bundles (with the request's nonce) and the verifier's non-executed JSON
 * data block. User data never adds one.
 */
function expectOnlyOwnScripts(page: string) {
  const scripts = page.match(/<script[^>]*>/gi) ?? [];
  for(const tag of scripts) {
    expect(tag).toMatch(/^<script (type="module" src="\/assets\/(verify|share)-[0-9a-f]{16}\.js" nonce="[A-Za-z0-9+/=]{24}"|type="application\/json" id="laurel-verify")>$/);
  }
  expect(page.match(/<\/script/gi)?.length ?? 0).toBe(scripts.length);
}

const verdict = (page: string) => pick(page, /data-testid="verdict">([^<]*)</);
const ogContent = (page: string, property: string) => pick(page, new RegExp(`<meta property="${property}" content="([^"]*)">`));
/** [status, code] per rendered check, in page order. */
const renderedChecks = (page: string) => [...page.matchAll(/<li class="([a-z]+)" data-code="([A-Z_]+)">/g)].map(m => [m[1], m[2]]);
/** The sequence of tags in a page: user data must never add or remove one. */
const tagSkeleton = (page: string) => page.match(/<\/?[a-zA-Z][a-zA-Z0-9]*/g) ?? [];

function expectProblem(res: Response, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.json()).toMatchObject({status, code});
}

function expectHtml(res: Response) {
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
}

/** The CSP as a map of directive → sources. */
function cspDirectives(res: Response): Map<string, string[]> {
  const header = String(res.headers['content-security-policy'] ?? '');
  return new Map(header.split(';').map(d => d.trim()).filter(Boolean).map(d => {
    const [name, ...sources] = d.split(/\s+/);
    return [name, sources];
  }));
}

/** A resolver stub for foreign did:web documents that records any attempt: the tests run with no network. */
function noNetwork() {
  const fetched: string[] = [];
  return {fetched, fetchJson: async (url: URL): Promise<string> => {
    fetched.push(url.href);
    throw new Error('network access is disabled in tests');
  }};
}

describe.each(BACKENDS)('public pages and artifacts (%s)', kind => {
  let t: TestLaurel;
  const net = noNetwork();
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({method: 'GET', url, headers}) as Promise<Response>;

  // acme: did:web on the main host.
  let acmeKey: string;
  let acmeDid: string;
  let acmeAchievement: any;
  let issued: any;
  let expired: any;
  // exu: its own domain.
  let exuKey: string;
  let exuDid: string;
  let exuAchievement: any;
  let exuIssued: any;

  beforeAll(async () => {
    t = await startLaurel(kind, {fetchJson: net.fetchJson});
    ({apiKey: acmeKey, did: acmeDid} = await createOrg(t.app, {slug: 'acme', url: 'https://acme.example/'}));
    const ach = await api(t.app, acmeKey).post('/api/v1/achievements', {...ACHIEVEMENT,
      alignment: [{targetName: 'Collaboration', targetUrl: 'https://example.org/skills/collab', targetFramework: 'ESCO'}]});
    expect(ach.statusCode).toBe(201);
    acmeAchievement = ach.json();
    const res = await api(t.app, acmeKey).post('/api/v1/credentials', {achievementId: acmeAchievement.id, recipient: {name: 'Ada Lovelace'}});
    expect(res.statusCode).toBe(201);
    issued = res.json();
    const old = await api(t.app, acmeKey).post('/api/v1/credentials', {achievementId: acmeAchievement.id, recipient: {name: 'Old Timer'},
      validFrom: '2020-01-01T00:00:00Z', validUntil: '2021-01-01T00:00:00Z'});
    expect(old.statusCode).toBe(201);
    expired = old.json();

    ({apiKey: exuKey, did: exuDid} = await createOrg(t.app, {name: 'Example University', slug: 'exu', domain: DOMAIN}));
    exuAchievement = (await api(t.app, exuKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Graduate'})).json();
    const e = await api(t.app, exuKey).post('/api/v1/credentials', {achievementId: exuAchievement.id, recipient: {name: 'Grace Hopper'}});
    expect(e.statusCode).toBe(201);
    exuIssued = e.json();
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('the credential page', () => {
    it('shows who issued what to whom and when, with every check passed', async () => {
      const res = await get(`/c/${issued.id}`, {host: MAIN_HOST});
      expectHtml(res);
      const page = res.body;
      expect(verdict(page)).toBe('✓ Verified');
      expect(page).toContain('<span class="badge ok" data-testid="verdict">');
      expect(pick(page, /<p class="muted"><bdi>([^<]*)<\/bdi> awarded<\/p>/)).toBe('Acme Academy');
      expect(pick(page, /<h1 id="title"><bdi>([^<]*)<\/bdi><\/h1>/)).toBe('Teamwork');
      expect(pick(page, /<p>to <strong><bdi>([^<]*)<\/bdi><\/strong><\/p>/)).toBe('Ada Lovelace');
      // The harness clock: 2026-03-01T12:00Z.
      expect(page).toContain('<dt>Issued on</dt><dd>1 March 2026</dd>');
      expect(page).not.toContain('<dt>Valid until</dt>');
      expect(page).toContain(`<a href="https://acme.example/" rel="noopener">Acme Academy</a> <code>${acmeDid}</code>`);
      expect(page).toContain('<a href="https://example.org/skills/collab" rel="noopener">Collaboration</a>');
      expect(renderedChecks(page)).toEqual(VALID_CHECKS);
      expect(ogContent(page, 'og:title')).toBe('\u2068Teamwork\u2069 — \u2068Ada Lovelace\u2069');
      expect(ogContent(page, 'og:url')).toBe(`https://laurel.test/c/${issued.id}`);
      expect(ogContent(page, 'og:description')).toBe('\u2068Acme Academy\u2069 awarded \u2068Teamwork\u2069 to \u2068Ada Lovelace\u2069.');
      expect(pick(page, /<title>([^<]*)<\/title>/)).toBe('\u2068Teamwork\u2069 — \u2068Ada Lovelace\u2069');
      expect(page).toContain(`<link rel="canonical" href="https://laurel.test/c/${issued.id}">`);
      expect(page).toContain(`<link rel="alternate" type="application/ld+json" href="/c/${issued.id}.json">`);
      // The download link works and serves the signed credential.
      const jsonHref = pick(page, /<a href="([^"]*)">signed credential \(JSON\)<\/a>/);
      expect(jsonHref).toBe(`/c/${issued.id}.json`);
      const json = await get(jsonHref);
      expect(json.statusCode).toBe(200);
      expect(json.json()).toEqual(issued.credential);
      expect(net.fetched).toEqual([]);
    });

    it('says "Not verified" and EXPIRED for a credential past its validUntil', async () => {
      expect(expired.status).toBe('expired');
      const res = await get(`/c/${expired.id}`);
      expectHtml(res);
      const page = res.body;
      expect(verdict(page)).toBe('✗ Not verified');
      expect(page).toContain('<span class="badge bad" data-testid="verdict">');
      expect(page).toContain('<dt>Issued on</dt><dd>1 January 2020</dd>');
      expect(page).toContain('<dt>Expired on</dt><dd>1 January 2021</dd>');
      expect(page).toMatch(/data-testid="standing" data-state="expired"/);
      const checks = renderedChecks(page);
      expect(checks).toContainEqual(['failed', 'EXPIRED']);
      expect(checks.map(c => c[1])).not.toContain('VALIDITY_OK');
      // Only the validity window is wrong: the signature still holds.
      expect(checks.filter(c => c[0] === 'failed')).toEqual([['failed', 'EXPIRED']]);
      expect(checks).toContainEqual(['passed', 'PROOF_VALID']);
    });

    it('answers an unknown id with 404 CREDENTIAL_NOT_FOUND, in HTML and JSON alike', async () => {
      expectProblem(await get('/c/AAAAAAAAAAAAAAAAAAAAAA'), 404, 'CREDENTIAL_NOT_FOUND');
      expectProblem(await get('/c/AAAAAAAAAAAAAAAAAAAAAA.json'), 404, 'CREDENTIAL_NOT_FOUND');
      expectProblem(await get('/c/AAAAAAAAAAAAAAAAAAAAAA', {accept: 'application/ld+json'}), 404, 'CREDENTIAL_NOT_FOUND');
    });
  });

  describe('content negotiation on /c/<id>', () => {
    const expectCredentialJson = (res: Response) => {
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/ld\+json(;|$)/);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(String(res.headers.vary)).toMatch(/\bAccept\b/i);
      expect(res.json()).toEqual(issued.credential);
      // The stored signed bytes, not a re-serialization of a re-built object.
      expect(res.body).toBe(JSON.stringify(issued.credential));
    };

    it.each(['application/ld+json', 'application/json', 'application/vc+ld+json', 'application/json, text/html;q=0.5',
      'text/html;q=0.1, application/ld+json'])(
      'Accept: %s → the signed credential', async accept => {
        expectCredentialJson(await get(`/c/${issued.id}`, {accept}));
      });

    it('/c/<id>.json → the signed credential, whatever the Accept header', async () => {
      expectCredentialJson(await get(`/c/${issued.id}.json`));
      expectCredentialJson(await get(`/c/${issued.id}.json`, {accept: 'text/html'}));
    });

    it('the served JSON verifies on its own', async () => {
      const res = await get(`/c/${issued.id}`, {accept: 'application/ld+json'});
      const result = await t.services.verification.verify(res.json());
      expect(result.errors).toEqual([]);
      expect(result.verified).toBe(true);
    });

    it.each([
      ['text/html,application/json;q=0.9'],
      ['application/json;q=0.5, text/html'],
      // q=0 means "not acceptable" (RFC 9110 §12.4.2).
      ['application/json;q=0'],
      ['application/ld+json;q=0, text/html;q=0.1'],
      // Equal preference: browsers get the page.
      ['text/html, application/json'],
      ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
      ['*/*'],
      [''],
    ])('Accept: "%s" → HTML', async accept => {
      const res = await get(`/c/${issued.id}`, accept ? {accept} : {});
      expectHtml(res);
      expect(String(res.headers.vary)).toMatch(/\bAccept\b/i);
      expect(res.body).toContain('data-testid="verdict"');
    });
  });

  describe('escaping attacker-controlled names', () => {
    const longName = 'L'.repeat(499) + '!';
    const cases: [string, string, string][] = [
      ['closing tag + script', '</dd><script>alert(1)</script>', '</strong><script>alert(2)</script>'],
      ['attribute breakout', '"><img src=x onerror=alert(1)>', "'><img src=x onerror=alert(2)>"],
      ['CDATA end', ']]>', ']]><!--'],
      ['RTL override', '\u202Egpj.exe', 'Mallory \u202Edeifirev'],
      ['500-character name and emoji', 'Stars 🌟🎓', longName],
      ['emoji with ZWJ', '👩🏽‍💻 Coding', '🦄 Üñíçødé 名前'],
    ];
    let evilKey: string;
    let baseline: string[];

    beforeAll(async () => {
      // The issuer itself is hostile too: its name and its (http) url end up on every page.
      evilKey = (await createOrg(t.app, {name: '</dd><script>alert(0)</script>', slug: 'evil',
        url: 'https://evil.example/"><script>alert(0)</script>'})).apiKey;
      baseline = tagSkeleton((await get(`/c/${issued.id}`)).body);
    });

    it.each(cases)('%s', async (_label, achievementName, recipientName) => {
      const ach = await api(t.app, evilKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: achievementName,
        description: `<b>${achievementName}</b>`, criteria: {narrative: recipientName},
        alignment: [{targetName: achievementName, targetUrl: 'https://example.org/skills/x?a=1&b="2"', targetFramework: recipientName}]});
      expect(ach.statusCode).toBe(201);
      const res = await api(t.app, evilKey).post('/api/v1/credentials', {achievementId: ach.json().id, recipient: {name: recipientName}});
      expect(res.statusCode).toBe(201);
      const vc = res.json();

      const pageRes = await get(`/c/${vc.id}`);
      expectHtml(pageRes);
      const page = pageRes.body;
      // No markup from user data: no script or img element, and the same tags as a plain page.
      expectOnlyOwnScripts(page);
      // The only images are Laurel's own (the badge render), never one from user data.
      expect(page.match(/<img[^>]*>/gi)).toEqual([`<img src="/c/${vc.id}/badge.png" alt="" width="96" height="96" data-testid="badge-image">`]);
      expect(page).not.toContain(']]>');
      expect(tagSkeleton(page)).toEqual(baseline);
      // Every name renders as the text that was submitted.
      expect(pick(page, /<h1 id="title"><bdi>([^<]*)<\/bdi><\/h1>/)).toBe(achievementName);
      expect(pick(page, /<p>to <strong><bdi>([^<]*)<\/bdi><\/strong><\/p>/)).toBe(recipientName);
      expect(pick(page, /<p class="muted"><bdi>([^<]*)<\/bdi> awarded<\/p>/)).toBe('</dd><script>alert(0)</script>');
      // Plain-text metadata isolates each name (FSI … PDI) so bidi controls cannot reorder the sentence.
      const iso = (text: string) => `\u2068${text}\u2069`;
      expect(pick(page, /<title>([^<]*)<\/title>/)).toBe(`${iso(achievementName)} — ${iso(recipientName)}`);
      expect(ogContent(page, 'og:title')).toBe(`${iso(achievementName)} — ${iso(recipientName)}`);
      expect(ogContent(page, 'og:description')).toBe(`${iso('</dd><script>alert(0)</script>')} awarded ${iso(achievementName)} to ${iso(recipientName)}.`);
      expect(page).toContain(`<dt>Description</dt><dd>&lt;b&gt;`);
      expect(page).toContain('&lt;/dd&gt;&lt;script&gt;alert(0)&lt;/script&gt;');
      // The issuer url keeps its http(s) scheme and is percent-encoded by URL parsing.
      expect(page).toContain('<a href="https://evil.example/%22%3E%3Cscript%3Ealert(0)%3C/script%3E" rel="noopener">');
      expect(page).toContain('<a href="https://example.org/skills/x?a=1&amp;b=%222%22" rel="noopener">');
      // Escaping never breaks verification, and the JSON keeps the exact strings.
      expect(verdict(page)).toBe('✓ Verified');
      expect(renderedChecks(page)).toEqual(VALID_CHECKS);
      const json = (await get(`/c/${vc.id}.json`)).json();
      expect(json.credentialSubject.achievement.name).toBe(achievementName);
      expect(json.credentialSubject.identifier).toContainEqual(expect.objectContaining({identityType: 'name', identityHash: recipientName}));
    });

    it('shows the escaped forms of the markup', async () => {
      const ach = (await api(t.app, evilKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: '<script>alert(1)</script>'})).json();
      const vc = (await api(t.app, evilKey).post('/api/v1/credentials', {achievementId: ach.id, recipient: {name: '"><img src=x onerror=alert(1)>'}})).json();
      const page = (await get(`/c/${vc.id}`)).body;
      expect(page).toContain('<h1 id="title"><bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi></h1>');
      expect(page).toContain('<strong><bdi>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</bdi></strong>');
      expect(page).toContain('content="\u2068&lt;script&gt;alert(1)&lt;/script&gt;\u2069 — \u2068&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\u2069"');
    });

    it('keeps RTL overrides and emoji verbatim but isolated, so they cannot reorder surrounding text', async () => {
      const ach = (await api(t.app, evilKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Badge \u202Eevil'})).json();
      const vc = (await api(t.app, evilKey).post('/api/v1/credentials', {achievementId: ach.id, recipient: {name: '🎓 Ada 👩🏽‍💻'}})).json();
      const res = await get(`/c/${vc.id}`);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<meta charset="utf-8">');
      expect(res.body).toContain('<h1 id="title"><bdi>Badge \u202Eevil</bdi></h1>');
      expect(res.body).toContain('<strong><bdi>🎓 Ada 👩🏽‍💻</bdi></strong>');
      expect(res.body).toContain('<title>\u2068Badge \u202Eevil\u2069 — \u2068🎓 Ada 👩🏽‍💻\u2069</title>');
    });

    it('refuses non-http URLs at the API: alignment targetUrl, issuer url and logo (400)', async () => {
      for(const targetUrl of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x']) {
        const res = await api(t.app, evilKey).post('/api/v1/achievements', {...ACHIEVEMENT,
          alignment: [{targetName: 'X', targetUrl}]}) as Response;
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(res.json().errors).toContainEqual(expect.objectContaining({path: 'alignment.0.targetUrl'}));
      }
      for(const field of ['url', 'logo']) {
        const res = await t.app.inject({method: 'POST', url: '/api/v1/organizations', headers: {authorization: `Bearer ${ADMIN_TOKEN}`},
          payload: {name: 'Sneaky', [field]: 'javascript:alert(1)'}}) as Response;
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(res.json().errors).toContainEqual(expect.objectContaining({path: field}));
      }
    });

    it('defence in depth: the renderer neutralises non-http URLs even in a stored document', () => {
      const vc = structuredClone(issued.credential) as AchievementCredential;
      (vc.issuer as any).url = 'javascript:alert(1)';
      (vc.credentialSubject.achievement as any).alignment[0].targetUrl = 'javascript:alert(2)';
      (vc as any).id = 'javascript:alert(3)';
      const result: VerificationResult = {verified: false, checks: [], errors: [], warnings: []};
      const page = renderCredentialPage(vc, result, '/c/x.json');
      expect(page).not.toContain('javascript:');
      expect(page).toContain('<a href="#" rel="noopener">Acme Academy</a>');
      expect(page).toContain('<a href="#" rel="noopener">Collaboration</a>');
      expect(ogContent(page, 'og:url')).toBe('#');
    });
  });

  describe('DID documents', () => {
    it('serves a did:web issuer at /issuers/<slug>/did.json', async () => {
      const res = await get('/issuers/acme/did.json');
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/did\+json(;|$)/);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const doc = res.json();
      expect(doc.id).toBe('did:web:laurel.test:issuers:acme');
      expect(doc.id).toBe(acmeDid);
      expect(doc['@context']).toContain('https://www.w3.org/ns/did/v1');
      expect(doc.verificationMethod).toHaveLength(1);
      const [vm] = doc.verificationMethod;
      expect(vm).toMatchObject({id: `${acmeDid}#key-1`, type: 'Multikey', controller: acmeDid});
      expect(vm.publicKeyMultibase).toMatch(/^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/);
      expect(doc.assertionMethod).toEqual([vm.id]);
      expect(doc.alsoKnownAs).toEqual(['https://laurel.test/issuers/acme']);
      // It is the key the credential was signed with.
      expect(issued.credential.proof.verificationMethod).toBe(vm.id);
    });

    it('404s for a did:key organization and for an unknown slug', async () => {
      await createOrg(t.app, {name: 'Keyed', slug: 'keyed', didMethod: 'key'});
      expectProblem(await get('/issuers/keyed/did.json'), 404, 'ORGANIZATION_NOT_FOUND');
      expectProblem(await get('/issuers/no-such-org/did.json'), 404, 'ORGANIZATION_NOT_FOUND');
    });
  });

  describe('an organization on its own domain', () => {
    const onDomain = (url: string, headers: Record<string, string> = {}) => get(url, {host: DOMAIN, ...headers});

    it('has a did:web of its domain and issues under its domain', () => {
      expect(exuDid).toBe('did:web:certs.example.edu');
      expect(exuAchievement.achievement.id).toBe(`https://certs.example.edu/achievements/${exuAchievement.id}`);
      expect(exuIssued.url).toBe(`https://certs.example.edu/c/${exuIssued.id}`);
      expect(exuIssued.credential.id).toMatch(/^https:\/\/certs\.example\.edu\/c\//);
      expect(exuIssued.credential.credentialSubject.achievement.id).toMatch(/^https:\/\/certs\.example\.edu\/achievements\//);
      expect(exuIssued.credential.issuer.id).toBe(exuDid);
      expect(exuIssued.credential.proof.verificationMethod).toBe(`${exuDid}#key-1`);
    });

    it('serves its DID document at /.well-known/did.json on its host', async () => {
      const res = await onDomain('/.well-known/did.json');
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/did\+json(;|$)/);
      const doc = res.json();
      expect(doc.id).toBe(exuDid);
      expect(doc.verificationMethod.map((m: any) => m.id)).toEqual([`${exuDid}#key-1`]);
      expect(doc.assertionMethod).toEqual([`${exuDid}#key-1`]);
      expect(doc.alsoKnownAs).toEqual(['https://certs.example.edu/']);
      // Host names are case-insensitive, and a port does not change the host.
      expect((await get('/.well-known/did.json', {host: 'CERTS.Example.EDU'})).json().id).toBe(exuDid);
      expect((await get('/.well-known/did.json', {host: `${DOMAIN}:443`})).json().id).toBe(exuDid);
    });

    it('serves its credential pages, JSON and achievements on its host', async () => {
      const page = await onDomain(`/c/${exuIssued.id}`);
      expectHtml(page);
      expect(verdict(page.body)).toBe('✓ Verified');
      expect(renderedChecks(page.body)).toEqual(VALID_CHECKS);
      expect(ogContent(page.body, 'og:url')).toBe(`https://certs.example.edu/c/${exuIssued.id}`);
      const json = await onDomain(`/c/${exuIssued.id}.json`);
      expect(json.statusCode).toBe(200);
      expect(json.json()).toEqual(exuIssued.credential);
      const ach = await onDomain(`/achievements/${exuAchievement.id}`);
      expect(ach.statusCode).toBe(200);
      expect(ach.json().id).toBe(`https://certs.example.edu/achievements/${exuAchievement.id}`);
      // Its home page is its issuer page.
      const home = await onDomain('/');
      expectHtml(home);
      expect(home.body).toContain('<h1 id="title"><bdi>Example University</bdi></h1>');
    });

    it('serves nothing of another organization on its host (tenant isolation)', async () => {
      expectProblem(await onDomain(`/c/${issued.id}`), 404, 'CREDENTIAL_NOT_FOUND');
      expectProblem(await onDomain(`/c/${issued.id}.json`), 404, 'CREDENTIAL_NOT_FOUND');
      expectProblem(await onDomain(`/c/${issued.id}`, {accept: 'application/ld+json'}), 404, 'CREDENTIAL_NOT_FOUND');
      expectProblem(await onDomain(`/achievements/${acmeAchievement.id}`), 404, 'ACHIEVEMENT_NOT_FOUND');
      expectProblem(await onDomain('/issuers/acme/did.json'), 404, 'ORGANIZATION_NOT_FOUND');
    });

    it('has no DID document on the main host', async () => {
      expectProblem(await get('/.well-known/did.json', {host: MAIN_HOST}), 404, 'ORGANIZATION_NOT_FOUND');
      expectProblem(await get('/.well-known/did.json'), 404, 'ORGANIZATION_NOT_FOUND');
      expectProblem(await get('/.well-known/did.json', {host: 'unknown.example.org'}), 404, 'ORGANIZATION_NOT_FOUND');
      // Its did:web is the domain, so the path form does not exist for it, on any host.
      expectProblem(await get('/issuers/exu/did.json', {host: MAIN_HOST}), 404, 'ORGANIZATION_NOT_FOUND');
      expectProblem(await get('/issuers/exu/did.json'), 404, 'ORGANIZATION_NOT_FOUND');
      expectProblem(await onDomain('/issuers/exu/did.json'), 404, 'ORGANIZATION_NOT_FOUND');
    });

    it('its credentials verify with the DID resolved from the database, no network', async () => {
      const result = await t.services.verification.verify(exuIssued.credential);
      expect(result.errors).toEqual([]);
      expect(result.verified).toBe(true);
      expect(result.checks.find(c => c.check === 'issuer')?.code).toBe('ISSUER_VALID');
      expect(net.fetched).toEqual([]);
      // A tampered copy fails: the resolved key really is checked.
      const forged = structuredClone(exuIssued.credential);
      forged.credentialSubject.achievement.name = 'Forged';
      expect((await t.services.verification.verify(forged)).verified).toBe(false);
    });

    it('ignores X-Forwarded-Host when no proxy is trusted', async () => {
      const spoofed = {host: MAIN_HOST, 'x-forwarded-host': DOMAIN, 'x-forwarded-proto': 'https'};
      expectProblem(await get('/.well-known/did.json', spoofed), 404, 'ORGANIZATION_NOT_FOUND');
      // Still the main host: other organizations' pages are served, the domain's home page is not.
      expect((await get(`/c/${issued.id}`, spoofed)).statusCode).toBe(200);
      expect((await get('/issuers/acme/did.json', spoofed)).statusCode).toBe(200);
      expect((await get('/', spoofed)).body).not.toContain('Example University');
    });
  });

  describe('behind a trusted proxy', () => {
    let p: TestLaurel;
    let proxiedIssued: any;
    let otherIssued: any;
    const forwarded = {host: 'laurel-internal:3000', 'x-forwarded-host': DOMAIN, 'x-forwarded-proto': 'https'};
    const viaProxy = (url: string, headers: Record<string, string> = forwarded) =>
      p.app.inject({method: 'GET', url, headers}) as Promise<Response>;

    beforeAll(async () => {
      p = await startLaurel(kind, {trustProxy: true, fetchJson: noNetwork().fetchJson});
      const {apiKey, did} = await createOrg(p.app, {name: 'Example University', slug: 'exu', domain: DOMAIN});
      expect(did).toBe('did:web:certs.example.edu');
      const ach = (await api(p.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
      proxiedIssued = (await api(p.app, apiKey).post('/api/v1/credentials', {achievementId: ach.id, recipient: {name: 'Proxied'}})).json();
      const other = await createOrg(p.app, {slug: 'other'});
      const otherAch = (await api(p.app, other.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
      otherIssued = (await api(p.app, other.apiKey).post('/api/v1/credentials', {achievementId: otherAch.id, recipient: {name: 'Elsewhere'}})).json();
    });
    afterAll(async () => {
      await p?.close();
    });

    it('routes X-Forwarded-Host to the domain organization', async () => {
      const doc = await viaProxy('/.well-known/did.json');
      expect(doc.statusCode).toBe(200);
      expect(doc.json().id).toBe('did:web:certs.example.edu');
      const page = await viaProxy(`/c/${proxiedIssued.id}`);
      expectHtml(page);
      expect(verdict(page.body)).toBe('✓ Verified');
      expect((await viaProxy('/')).body).toContain('<h1 id="title"><bdi>Example University</bdi></h1>');
    });

    it('keeps tenant isolation for the forwarded host', async () => {
      expectProblem(await viaProxy(`/c/${otherIssued.id}`), 404, 'CREDENTIAL_NOT_FOUND');
      expectProblem(await viaProxy('/issuers/other/did.json'), 404, 'ORGANIZATION_NOT_FOUND');
    });

    it('without X-Forwarded-Host, the Host header decides', async () => {
      expectProblem(await viaProxy('/.well-known/did.json', {host: MAIN_HOST}), 404, 'ORGANIZATION_NOT_FOUND');
      expect((await viaProxy('/.well-known/did.json', {host: DOMAIN})).statusCode).toBe(200);
      expect((await viaProxy(`/c/${otherIssued.id}`, {host: MAIN_HOST})).statusCode).toBe(200);
    });
  });

  describe('health, achievements, home', () => {
    it('GET /healthz → ok with the database kind', async () => {
      const res = await get('/healthz');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({status: 'ok', database: kind});
    });

    it('GET /achievements/<id> → the OB 3.0 Achievement, as embedded in credentials', async () => {
      const res = await get(`/achievements/${acmeAchievement.id}`);
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/ld\+json(;|$)/);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const {'@context': context, ...achievement} = res.json();
      expect(context).toEqual(['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json']);
      expect(achievement.id).toBe(`https://laurel.test/achievements/${acmeAchievement.id}`);
      expect(achievement).toMatchObject({type: ['Achievement'], name: 'Teamwork', achievementType: 'Badge'});
      expect(achievement).toEqual(issued.credential.credentialSubject.achievement);
      expectProblem(await get('/achievements/AAAAAAAAAAAAAAAAAAAAAA'), 404, 'ACHIEVEMENT_NOT_FOUND');
    });

    it('GET / → the HTML home page', async () => {
      const res = await get('/', {host: MAIN_HOST});
      expectHtml(res);
      expect(res.body).toMatch(/^<!doctype html>/);
      expect(res.body).toContain('<h1 id="title">Laurel</h1>');
    });
  });

  describe('security headers', () => {
    it.each([['/'], ['/c/:id'], ['/c/:expired']])('HTML %s carries a strict CSP and nosniff', async path => {
      const url = path.replace(':id', issued.id).replace(':expired', expired.id);
      const res = await get(url);
      expectHtml(res);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const csp = cspDirectives(res);
      expect(String(res.headers['content-security-policy'])).not.toContain("'unsafe-eval'");
      expect(csp.get('default-src')).toEqual(["'self'"]);
      // Scripts and styles only with this response's nonce (pages/csp.ts).
      const nonce = /<style nonce="([^"]+)">/.exec(res.body)?.[1];
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(csp.get('script-src')).toEqual([`'nonce-${nonce}'`]);
      expect(csp.get('style-src')).toEqual([`'nonce-${nonce}'`]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      // The only scripts are the same-origin verifier bundle and its JSON data block.
      expectOnlyOwnScripts(res.body);
    });

    it('JSON responses carry nosniff too', async () => {
      const res = await get(`/c/${issued.id}.json`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });
  });
});
