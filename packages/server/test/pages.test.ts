/**
 * The public pages recipients share, through HTTP (inject): the CSP and its nonce on
 * every page type, the embed's framing headers, locale negotiation (?lang=, cookie,
 * Accept-Language q-values), Open Graph and Twitter tags, the LinkedIn and share
 * links, brand colours, the private page, oEmbed, issuer and achievement pages,
 * hostile names in every tag and attribute, and custom-domain isolation.
 */
import {readFileSync} from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {contentSecurityPolicy, imageOrigin} from '../src/pages/csp.js';
import {checkLine, formatDate, hasMessage, negotiateLocale, parseAcceptLanguage, t} from '../src/pages/i18n.js';
import {linkedInAddToProfileUrl} from '../src/pages/share.js';
import {contrastRatio, readableTextOn, themeFor} from '../src/pages/theme.js';
import {ACHIEVEMENT, api, BACKENDS, createOrg, PUBLIC_URL, startLaurel, type TestLaurel} from './harness.js';

const DOMAIN = 'certs.example.edu';
const HOSTILE = '</title><script>alert(1)</script>';
const HOSTILE_RECIPIENT = '"><img src=x onerror=alert(2)>';

type Response = {statusCode: number; headers: Record<string, unknown>; body: string; json(): any};

const UNESCAPES: Record<string, string> = {'&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#96;': '`'};
const unescapeHtml = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#96);/g, m => UNESCAPES[m]);

/** The CSP as a map of directive → sources. */
function csp(res: Response): Map<string, string[]> {
  return new Map(String(res.headers['content-security-policy'] ?? '').split(';').map(d => d.trim()).filter(Boolean).map(d => {
    const [name, ...sources] = d.split(/\s+/);
    return [name, sources];
  }));
}

/** Every start tag of the page (outside text: escaped text has no raw `<`). */
const startTags = (page: string) => page.match(/<[a-zA-Z][^>]*>/g) ?? [];
/** The unescaped value of `<meta property|name="key" content="…">`. */
function meta(page: string, key: string): string | undefined {
  const m = new RegExp(`<meta (?:property|name)="${key.replace(/[.:]/g, '\\$&')}" content="([^"]*)">`).exec(page);
  return m ? unescapeHtml(m[1]) : undefined;
}
/** The unescaped href of the element with data-testid. */
function hrefOf(page: string, testid: string): string {
  const m = new RegExp(`<a [^>]*href="([^"]*)"[^>]*data-testid="${testid}"`).exec(page);
  expect(m, testid).not.toBeNull();
  return unescapeHtml(m![1]);
}

/**
 * The page follows the nonce CSP: every script and style element carries this
 * response's nonce, scripts are same-origin bundles or JSON data blocks, and no tag
 * has an event handler or a style attribute.
 */
function expectNonceCsp(res: Response, frameAncestors = "'none'") {
  const policy = csp(res);
  const style = /<style nonce="([^"]+)">/.exec(res.body);
  expect(style, 'a nonce on the style element').not.toBeNull();
  const nonce = style![1];
  expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  expect(policy.get('default-src')).toEqual(["'self'"]);
  expect(policy.get('script-src')).toEqual([`'nonce-${nonce}'`]);
  expect(policy.get('style-src')).toEqual([`'nonce-${nonce}'`]);
  expect(policy.get('img-src')?.slice(0, 2)).toEqual(["'self'", 'data:']);
  expect(policy.get('object-src')).toEqual(["'none'"]);
  expect(policy.get('base-uri')).toEqual(["'none'"]);
  expect(policy.get('form-action')).toEqual(["'self'"]);
  expect(policy.get('frame-ancestors')).toEqual([frameAncestors]);
  expect(String(res.headers['content-security-policy'])).not.toMatch(/unsafe-inline|unsafe-eval|\*\.|https:(?!\/\/)/);
  const tags = startTags(res.body);
  for(const tag of tags) {
    expect(tag, 'no inline event handler').not.toMatch(/\son[a-z]+\s*=/i);
    expect(tag, 'no style attribute').not.toMatch(/\sstyle\s*=/i);
    if(/^<(script|style)\b/i.test(tag) && !/type="application\/json"/.test(tag)) expect(tag).toContain(` nonce="${nonce}"`);
    if(/^<script\b/i.test(tag) && !/type="application\/json"/.test(tag)) expect(tag).toMatch(/ src="\/assets\/(verify|share)-[0-9a-f]{16}\.js"/);
  }
  return nonce;
}

describe('pure helpers', () => {
  it('parses Accept-Language with q-values, order and wildcards', () => {
    expect(parseAcceptLanguage('sv-SE,sv;q=0.9,en;q=0.8')).toBe('sv');
    expect(parseAcceptLanguage('en;q=0.5, sv;q=0.8')).toBe('sv');
    expect(parseAcceptLanguage('sv;q=0, en')).toBe('en');
    expect(parseAcceptLanguage('de, fr;q=0.9')).toBeNull();
    expect(parseAcceptLanguage('de, sv;q=0.1')).toBe('sv');
    expect(parseAcceptLanguage('de, *;q=0.5, sv;q=0.4')).toBe('en');
    expect(parseAcceptLanguage('SV_se')).toBe('sv');
    expect(parseAcceptLanguage('')).toBeNull();
    expect(parseAcceptLanguage('sv;q=abc, en;q=0.2')).toBe('en');
  });

  it('negotiates ?lang= over the cookie over Accept-Language, defaulting to English', () => {
    const req = (query: Record<string, string>, headers: Record<string, string>) => ({query, headers});
    expect(negotiateLocale(req({}, {}))).toBe('en');
    expect(negotiateLocale(req({}, {'accept-language': 'sv'}))).toBe('sv');
    expect(negotiateLocale(req({}, {'accept-language': 'sv', cookie: 'a=1; lang=en; b=2'}))).toBe('en');
    expect(negotiateLocale(req({lang: 'sv'}, {'accept-language': 'en', cookie: 'lang=en'}))).toBe('sv');
    expect(negotiateLocale(req({lang: 'xx'}, {cookie: 'lang=zz', 'accept-language': 'sv'}))).toBe('sv');
  });

  it('formats dates in UTC per locale', () => {
    expect(formatDate('en', '2026-03-01T12:00:00Z')).toBe('1 March 2026');
    expect(formatDate('sv', '2026-03-01T12:00:00Z')).toBe('1 mars 2026');
    // 23:30 at UTC-5 is the next day in UTC.
    expect(formatDate('en', '2026-01-31T23:30:00-05:00')).toBe('1 February 2026');
    expect(formatDate('sv', undefined)).toBe('');
  });

  it('has a plain-language line in every locale for every check code in docs/VERIFICATION.md', () => {
    const doc = readFileSync(new URL('../../../docs/VERIFICATION.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Codes'), doc.indexOf('## What each check does'));
    const codes = [...table.matchAll(/^\| [a-z]+ \| `([A-Z_]+)` \|/gm)].map(m => m[1]);
    expect(codes.length).toBeGreaterThan(25);
    for(const code of [...codes, 'CHECK_NOT_RUN']) {
      expect(hasMessage(`check.${code}`), code).toBe(true);
      expect(checkLine('en', code)).not.toBe(checkLine('sv', code));
    }
    expect(checkLine('en', 'SOMETHING_NEW')).toBeNull();
    expect(t('sv', 'standing.revoked')).toBe('Återkallat');
    expect(t('en', 'share.emailSubject', {achievement: '{x} & <b>'})).toBe('My credential: {x} & <b>');
  });

  it('picks readable text on any brand colour and darkens links until they read on white', () => {
    for(const hex of ['#ffd400', '#777777', '#000000', '#ffffff', '#2457c5', '#00ff00', '#ff0000', '#767676']) {
      expect(contrastRatio(hex, readableTextOn(hex)), hex).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(themeFor(hex).link, '#ffffff'), hex).toBeGreaterThanOrEqual(4.5);
    }
    expect(readableTextOn('#ffd400')).toBe('#000000');
    expect(readableTextOn('#1d2433')).toBe('#ffffff');
    // Anything that is not #rrggbb never reaches the style sheet.
    expect(themeFor('red;}body{display:none').brand).toBe('#2457c5');
  });

  it('builds the CSP with only https image origins', () => {
    expect(imageOrigin('https://cdn.example.org/a/logo.png?x=1')).toBe('https://cdn.example.org');
    expect(imageOrigin('http://cdn.example.org/logo.png')).toBeNull();
    expect(imageOrigin("https://x.example/'; script-src *")).toBe('https://x.example');
    expect(contentSecurityPolicy('n0nce', {imageOrigins: ['https://a.example/x.png', 'javascript:alert(1)']}))
      .toBe("default-src 'self'; script-src 'nonce-n0nce'; style-src 'nonce-n0nce'; img-src 'self' data: https://a.example; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  });
});

describe.each(BACKENDS)('public pages (%s)', kind => {
  let t: TestLaurel;
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({method: 'GET', url, headers}) as Promise<Response>;
  const page = (url: string, headers: Record<string, string> = {}) => get(url, {accept: 'text/html', ...headers});

  let acmeKey: string;
  let acmeDid: string;
  let achievement: any;
  let issued: any;
  let plainIssued: any;
  let hidden: any;
  let exuIssued: any;
  let exuAchievement: any;
  let hostile: any;
  let hostileAchievement: any;

  beforeAll(async () => {
    t = await startLaurel(kind);
    ({apiKey: acmeKey, did: acmeDid} = await createOrg(t.app, {slug: 'acme', url: 'https://acme.example/', logo: 'https://cdn.acme.example/logo.png',
      brandColor: '#ffd400', linkedinOrganizationId: '1337'}));
    await t.db.query("UPDATE organizations SET brand_secondary_color = '#1d2433' WHERE slug = 'acme'");
    achievement = (await api(t.app, acmeKey).post('/api/v1/achievements', {...ACHIEVEMENT, achievementType: 'Certificate',
      criteria: {narrative: 'Nominated by peers.', url: 'https://acme.example/criteria'},
      alignment: [{targetName: 'Collaboration', targetUrl: 'https://esco.example/skill/1', targetFramework: 'ESCO', targetCode: 'S1.2'}]})).json();
    const res = await api(t.app, acmeKey).post('/api/v1/credentials', {achievementId: achievement.id, recipient: {name: 'Ada Lovelace'},
      validFrom: '2026-01-31T23:30:00-05:00', validUntil: '2028-11-30T12:00:00Z'});
    expect(res.statusCode).toBe(201);
    issued = res.json();
    hidden = (await api(t.app, acmeKey).post('/api/v1/credentials', {achievementId: achievement.id, recipient: {name: 'Hidden Person'}})).json();
    await t.db.query('UPDATE credentials SET hidden_at = now() WHERE id = $1', [hidden.id]);

    const plain = await createOrg(t.app, {name: 'Plain Org', slug: 'plain', didMethod: 'key'});
    const plainAch = (await api(t.app, plain.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    plainIssued = (await api(t.app, plain.apiKey).post('/api/v1/credentials', {achievementId: plainAch.id, recipient: {name: 'Bo'}})).json();

    const exu = await createOrg(t.app, {name: 'Example University', slug: 'exu', domain: DOMAIN});
    exuAchievement = (await api(t.app, exu.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Graduate'})).json();
    exuIssued = (await api(t.app, exu.apiKey).post('/api/v1/credentials', {achievementId: exuAchievement.id, recipient: {name: 'Grace Hopper'}})).json();

    const evil = await createOrg(t.app, {name: HOSTILE, slug: 'evil', url: 'https://evil.example/"><script>alert(3)</script>'});
    hostileAchievement = (await api(t.app, evil.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: HOSTILE,
      description: HOSTILE, criteria: {narrative: HOSTILE}, achievementType: 'Badge',
      alignment: [{targetName: HOSTILE, targetUrl: 'https://example.org/x?a=1&b="2"', targetFramework: HOSTILE_RECIPIENT}]})).json();
    hostile = (await api(t.app, evil.apiKey).post('/api/v1/credentials', {achievementId: hostileAchievement.id, recipient: {name: HOSTILE_RECIPIENT}})).json();
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('CSP with nonces on every page', () => {
    const pages: [string, () => string][] = [
      ['home', () => '/'],
      ['credential', () => `/c/${issued.id}`],
      ['private credential', () => `/c/${hidden.id}`],
      ['issuer', () => '/issuers/acme'],
      ['achievement', () => `/achievements/${achievement.id}`],
      ['verify', () => '/verify'],
    ];

    it.each(pages)('%s: nonce on every script and style, frame-ancestors none, X-Frame-Options DENY', async (_name, url) => {
      const res = await page(url());
      expect(String(res.headers['content-type'])).toBe('text/html; charset=utf-8');
      expectNonceCsp(res);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('uses a fresh nonce per response', async () => {
      const a = expectNonceCsp(await page(`/c/${issued.id}`));
      const b = expectNonceCsp(await page(`/c/${issued.id}`));
      expect(a).not.toBe(b);
    });

    it('the embed is the only page other sites may frame', async () => {
      const res = await get(`/c/${issued.id}/embed`);
      expect(res.statusCode).toBe(200);
      expectNonceCsp(res, '*');
      expect(res.headers['x-frame-options']).toBeUndefined();
    });

    it('allows exactly the issuer logo origin for images, where the page shows it', async () => {
      const res = await page(`/c/${issued.id}`);
      expect(csp(res).get('img-src')).toEqual(["'self'", 'data:', 'https://cdn.acme.example']);
      expect(res.body).toContain('<img src="https://cdn.acme.example/logo.png" alt=""');
      expect(csp(await page(`/c/${plainIssued.id}`)).get('img-src')).toEqual(["'self'", 'data:']);
    });

    it('JSON APIs keep working', async () => {
      const json = await get(`/c/${issued.id}.json`);
      expect(json.statusCode).toBe(200);
      expect(json.json().id).toBe(issued.credential.id);
      const org = await api(t.app, acmeKey).get('/api/v1/organization');
      expect(org.statusCode).toBe(200);
      expect(org.json().slug).toBe('acme');
      expect((await get(`/achievements/${achievement.id}`, {accept: 'application/json'})).json().name).toBe('Teamwork');
    });
  });

  describe('languages', () => {
    const langOf = (body: string) => /<html lang="([a-z]+)">/.exec(body)?.[1];

    it('defaults to English with Vary: Accept-Language, Cookie', async () => {
      const res = await page(`/c/${issued.id}`);
      expect(langOf(res.body)).toBe('en');
      const vary = String(res.headers.vary).toLowerCase();
      for(const h of ['accept', 'accept-language', 'cookie']) expect(vary.split(/,\s*/)).toContain(h);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it.each([
      ['sv-SE,sv;q=0.9,en;q=0.8', 'sv'],
      ['en;q=0.5, sv;q=0.8', 'sv'],
      ['sv;q=0, en', 'en'],
      ['de, fr;q=0.9', 'en'],
      ['de, sv;q=0.2', 'sv'],
    ])('Accept-Language %s → %s', async (acceptLanguage, lang) => {
      expect(langOf((await page(`/c/${issued.id}`, {'accept-language': acceptLanguage})).body)).toBe(lang);
    });

    it('the cookie beats Accept-Language, and ?lang= beats both and sets the cookie (SameSite=Lax)', async () => {
      expect(langOf((await page(`/c/${issued.id}`, {'accept-language': 'en', cookie: 'lang=sv'})).body)).toBe('sv');
      const res = await page(`/c/${issued.id}?lang=en`, {'accept-language': 'sv', cookie: 'x=1; lang=sv'});
      expect(langOf(res.body)).toBe('en');
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^lang=en; /);
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).toContain('Path=/');
      // An unknown ?lang= is ignored (no cookie).
      const bad = await page(`/c/${issued.id}?lang=xx`, {'accept-language': 'sv'});
      expect(langOf(bad.body)).toBe('sv');
      expect(bad.headers['set-cookie']).toBeUndefined();
    });

    it('renders /verify and its server-side result in Swedish', async () => {
      const form = await page('/verify?lang=sv');
      expect(langOf(form.body)).toBe('sv');
      expect(form.body).toContain('<h1 id="title">Verifiera ett intyg</h1>');
      expect(form.body).toContain('Kontrollera på servern i stället');
      expect(form.body).not.toContain('Check on the server instead');
      const posted = await t.app.inject({method: 'POST', url: '/verify', headers: {'content-type': 'application/x-www-form-urlencoded', cookie: 'lang=sv'},
        payload: new URLSearchParams({input: JSON.stringify(issued.credential)}).toString()});
      expect(langOf(posted.body)).toBe('sv');
      expect(posted.body).toContain('✓ Verifierat');
      expect(posted.body).toContain('Kontrollerat av den här servern.');
      const english = await page('/verify', {'accept-language': 'en'});
      expect(english.body).toContain('<h1 id="title">Verify a credential</h1>');
    });

    it('renders the credential page in Swedish: labels, dates, standing, checks, share texts', async () => {
      const res = await page(`/c/${issued.id}?lang=sv`);
      const body = res.body;
      expect(body).toContain('<dt>Utfärdat</dt><dd>1 februari 2026</dd>');
      expect(body).toContain('<dt>Giltigt till</dt><dd>30 november 2028</dd>');
      expect(body).toContain('✓ Verifierat');
      expect(body).toMatch(/data-state="valid" role="status">\s*<strong>Giltigt<\/strong>/);
      expect(body).toContain(checkLine('sv', 'PROOF_VALID'));
      expect(body).toContain('aria-label="Godkänd"');
      expect(body).toContain('Lägg till i LinkedIn-profilen');
      expect(meta(body, 'og:locale')).toBe('sv_SE');
      expect(meta(body, 'og:description')).toBe('\u2068Acme Academy\u2069 har tilldelat \u2068Ada Lovelace\u2069 \u2068Teamwork\u2069.');
      // The language switch: plain links, the current one marked.
      expect(body).toContain('<a href="?lang=sv" hreflang="sv" lang="sv" aria-current="true">Svenska</a>');
      expect(body).toContain('<a href="?lang=en" hreflang="en" lang="en">English</a>');
    });

    it.each([['/'], ['/issuers/acme'], [':achievement'], [':private'], [':embed']])('%s is localized too', async path => {
      const url = path === ':achievement' ? `/achievements/${achievement.id}` : path === ':private' ? `/c/${hidden.id}`
        : path === ':embed' ? `/c/${issued.id}/embed` : path;
      const sv = await page(url, {'accept-language': 'sv'});
      const en = await page(url, {'accept-language': 'en'});
      expect(langOf(sv.body)).toBe('sv');
      expect(langOf(en.body)).toBe('en');
      expect(sv.body).not.toBe(en.body.replace(/nonce="[^"]+"/g, ''));
      expect(String(sv.headers.vary)).toMatch(/Accept-Language, Cookie/);
      if(path !== ':embed') expect(sv.body).toContain('aria-current="true">Svenska</a>');
    });
  });

  describe('the credential page', () => {
    it('has complete Open Graph and Twitter card tags and an oEmbed discovery link', async () => {
      const body = (await page(`/c/${issued.id}`)).body;
      const url = `${PUBLIC_URL}/c/${issued.id}`;
      expect(meta(body, 'og:title')).toBe('\u2068Teamwork\u2069 — \u2068Ada Lovelace\u2069');
      expect(meta(body, 'og:description')).toBe('\u2068Acme Academy\u2069 awarded \u2068Teamwork\u2069 to \u2068Ada Lovelace\u2069.');
      expect(meta(body, 'og:url')).toBe(url);
      expect(meta(body, 'og:type')).toBe('website');
      expect(meta(body, 'og:site_name')).toBe('Acme Academy');
      expect(meta(body, 'og:image')).toBe(`${url}/og.png`);
      expect(meta(body, 'og:image:width')).toBe('1200');
      expect(meta(body, 'og:image:height')).toBe('627');
      expect(meta(body, 'og:image:alt')).toBe('Teamwork, awarded to Ada Lovelace by Acme Academy');
      expect(meta(body, 'twitter:card')).toBe('summary_large_image');
      expect(meta(body, 'twitter:title')).toBe(meta(body, 'og:title'));
      expect(meta(body, 'twitter:description')).toBe(meta(body, 'og:description'));
      expect(meta(body, 'twitter:image')).toBe(`${url}/og.png`);
      const oembed = /<link rel="alternate" type="application\/json\+oembed" href="([^"]+)"/.exec(body);
      expect(unescapeHtml(oembed![1])).toBe(`${PUBLIC_URL}/oembed?url=${encodeURIComponent(url)}&format=json`);
    });

    it('links LinkedIn "Add to profile" with the organization id, UTC month and expiry', async () => {
      const body = (await page(`/c/${issued.id}`)).body;
      const href = hrefOf(body, 'linkedin-add');
      expect(href).toBe(linkedInAddToProfileUrl({name: 'Teamwork', organizationId: '1337', organizationName: 'Acme Academy',
        validFrom: issued.credential.validFrom, validUntil: issued.credential.validUntil, certUrl: issued.credential.id, certId: issued.id}));
      const p = Object.fromEntries(new URL(href).searchParams);
      // Issued 2026-01-31T23:30-05:00, which is February in UTC.
      expect(p).toMatchObject({startTask: 'CERTIFICATION_NAME', name: 'Teamwork', organizationId: '1337', issueYear: '2026', issueMonth: '2',
        expirationYear: '2028', expirationMonth: '11', certUrl: `${PUBLIC_URL}/c/${issued.id}`, certId: issued.id});
      expect(p.organizationName).toBeUndefined();
      // The same values as text, each with a copy button (hidden until the script runs).
      expect(body).toContain('<span id="f-name" class="value">Teamwork</span>');
      expect(body).toContain('<span id="f-org" class="value">Acme Academy</span>');
      expect(body).toContain('<span id="f-issued" class="value">1 February 2026</span>');
      expect(body).toContain('<span id="f-expires" class="value">30 November 2028</span>');
      expect(body).toContain(`<span id="f-url" class="value">${PUBLIC_URL}/c/${issued.id}</span>`);
      expect(body).toContain(`<span id="f-id" class="value">${issued.id}</span>`);
      expect(body.match(/<button type="button" class="secondary copy" data-copy="f-[a-z]+"[^>]* hidden>/g)).toHaveLength(6);
    });

    it('falls back to organizationName, and sends no expiry for a credential without one', async () => {
      const p = Object.fromEntries(new URL(hrefOf((await page(`/c/${plainIssued.id}`)).body, 'linkedin-add')).searchParams);
      expect(p.organizationName).toBe('Plain Org');
      expect(p.organizationId).toBeUndefined();
      expect(p.expirationYear).toBeUndefined();
      expect(p.expirationMonth).toBeUndefined();
    });

    it('shares to LinkedIn, X and email, offers every download and an embed snippet', async () => {
      const body = (await page(`/c/${issued.id}`)).body;
      const url = `${PUBLIC_URL}/c/${issued.id}`;
      expect(hrefOf(body, 'linkedin-share')).toBe(`https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(url)}`);
      const x = new URL(hrefOf(body, 'x-share'));
      expect(x.origin + x.pathname).toBe('https://twitter.com/intent/tweet');
      expect(x.searchParams.get('url')).toBe(url);
      expect(x.searchParams.get('text')).toBe('I have been awarded Teamwork by Acme Academy.');
      const mail = hrefOf(body, 'email-share');
      expect(mail).toMatch(/^mailto:\?subject=/);
      expect(decodeURIComponent(mail.split('body=')[1])).toContain(url);
      expect(mail).not.toContain(' ');
      for(const file of ['certificate.pdf', 'image.png', 'badge.png', 'badge.svg']) expect(body).toContain(`<a href="/c/${issued.id}/${file}" download>`);
      expect(body).toContain(`<a href="/c/${issued.id}.json" download type="application/ld+json">`);
      const snippet = unescapeHtml(/<textarea id="embed-code"[^>]*>([^<]*)<\/textarea>/.exec(body)![1]);
      expect(snippet).toMatch(new RegExp(`^<iframe src="${url.replace(/[.]/g, '\\.')}/embed" width="400" height="220" title="Teamwork — Ada Lovelace"`));
      expect(body).toMatch(/<textarea id="embed-code" class="snippet" readonly/);
      expect(body).toContain('<input type="text" id="share-url" value="' + url + '" readonly>');
      // Every outside link opens safely.
      for(const tag of startTags(body).filter(tag => /target="_blank"/.test(tag))) expect(tag).toMatch(/rel="noopener( noreferrer)?"/);
    });

    it('wears the issuer brand with readable text: logo, colours as CSS variables', async () => {
      const body = (await page(`/c/${issued.id}`)).body;
      const vars = /:root\{--brand:(#[0-9a-f]{6});--on-brand:(#[0-9a-f]{6});--accent:(#[0-9a-f]{6});--on-accent:(#[0-9a-f]{6});--link:(#[0-9a-f]{6})\}/.exec(body);
      expect(vars).not.toBeNull();
      const [, brand, onBrand, accent, onAccent, link] = vars!;
      expect([brand, onBrand, accent, onAccent]).toEqual(['#ffd400', '#000000', '#1d2433', '#ffffff']);
      expect(contrastRatio(brand, onBrand)).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(link, '#ffffff')).toBeGreaterThanOrEqual(4.5);
      expect(body).toContain('<a href="/issuers/acme"><bdi>Acme Academy</bdi></a>');
      expect(body).toContain(`<a href="/achievements/${achievement.id}" data-testid="achievement-link">`);
    });
  });

  describe('a private (hidden) credential', () => {
    it('says so, in the visitor’s language, names nobody, links nothing about it and is noindex', async () => {
      for(const [lang, heading] of [['en', 'This credential is private'], ['sv', 'Det här intyget är privat']]) {
        const res = await page(`/c/${hidden.id}?lang=${lang}`);
        expect(res.statusCode).toBe(404);
        expect(String(res.headers['content-type'])).toBe('text/html; charset=utf-8');
        expect(res.headers['x-robots-tag']).toBe('noindex, nofollow');
        expect(res.body).toContain('<meta name="robots" content="noindex, nofollow">');
        expect(res.body).toContain(`<h1 id="title">${heading}</h1>`);
        for(const secret of ['Hidden Person', 'Teamwork', 'Acme', hidden.id, 'og:', 'twitter:', 'linkedin', '.json', 'application/ld+json']) {
          expect(res.body, secret).not.toContain(secret);
        }
        // The only links: the language switch, /verify and the standards in the footer.
        const hrefs = [...res.body.matchAll(/<a [^>]*href="([^"]*)"/g)].map(m => m[1]);
        expect(hrefs.filter(h => !h.startsWith('?lang=') && !h.startsWith('https://www.w3.org/') && !h.startsWith('https://www.imsglobal.org/')))
          .toEqual(['#main', '/verify']);
      }
    });

    it('is not served as JSON, embedded or in oEmbed; nor verified by its URL', async () => {
      for(const res of [await get(`/c/${hidden.id}.json`), await get(`/c/${hidden.id}`, {accept: 'application/ld+json'}),
        await get(`/c/${hidden.id}/embed`), await get(`/oembed?url=${encodeURIComponent(hidden.url)}`)]) {
        expect(res.statusCode).toBe(404);
        expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
        expect(res.json().code).toBe('CREDENTIAL_NOT_FOUND');
      }
      const byUrl = await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {url: hidden.url}});
      expect(byUrl.json().verified).toBe(false);
      expect(byUrl.json().input.error).toMatch(/No credential/);
      const form = await t.app.inject({method: 'POST', url: '/verify', headers: {'content-type': 'application/x-www-form-urlencoded'},
        payload: new URLSearchParams({input: hidden.url}).toString()});
      expect(form.body).toContain('data-testid="input-error"');
    });

    it('stays verifiable by whoever holds its file', async () => {
      const res = await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {credential: hidden.credential}});
      expect(res.statusCode).toBe(200);
      expect(res.json().verified).toBe(true);
    });
  });

  describe('embed and oEmbed', () => {
    it('the embed is a small card: badge, achievement, recipient, issuer, verdict, link to the page', async () => {
      const res = await get(`/c/${issued.id}/embed`, {'accept-language': 'en'});
      const body = res.body;
      expect(res.statusCode).toBe(200);
      expect(Buffer.byteLength(body)).toBeLessThan(6000);
      expect(body).toContain(`<img src="/c/${issued.id}/badge.png" alt=""`);
      expect(body).toContain('<h1><bdi>Teamwork</bdi></h1>');
      expect(body).toContain('Awarded to Ada Lovelace');
      expect(body).toContain('by Acme Academy');
      expect(body).toMatch(/data-testid="embed-status" data-state="valid">✓ Verified · Valid</);
      expect(body).toContain(`<a href="${PUBLIC_URL}/c/${issued.id}" target="_blank" rel="noopener">`);
      expect(body).not.toMatch(/<script/);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect((await get(`/c/${issued.id}/embed?lang=sv`)).body).toContain('✓ Verifierat · Giltigt');
    });

    it('answers oEmbed 1.0 rich JSON for a credential page', async () => {
      const url = `${PUBLIC_URL}/c/${issued.id}`;
      const res = await get(`/oembed?url=${encodeURIComponent(url)}&format=json`);
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const o = res.json();
      expect(o).toMatchObject({version: '1.0', type: 'rich', title: 'Teamwork — Ada Lovelace', author_name: 'Acme Academy',
        author_url: 'https://acme.example/', provider_name: 'Laurel', provider_url: `${PUBLIC_URL}/`, width: 400, height: 220,
        thumbnail_url: `${url}/badge.png`, thumbnail_width: 600, thumbnail_height: 600});
      expect(o.html).toBe(`<iframe src="${url}/embed" width="400" height="220" title="Teamwork — Ada Lovelace" style="border:0;max-width:100%" `
        + 'loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>');
      // Without format (json is the default), and with a trailing slash.
      expect((await get(`/oembed?url=${encodeURIComponent(`${url}/`)}`)).statusCode).toBe(200);
    });

    it('fits maxwidth and maxheight', async () => {
      const o = (await get(`/oembed?url=${encodeURIComponent(issued.url)}&maxwidth=300&maxheight=150`)).json();
      expect([o.width, o.height]).toEqual([300, 150]);
      expect(o.html).toContain('width="300" height="150"');
      const big = (await get(`/oembed?url=${encodeURIComponent(issued.url)}&maxwidth=2000`)).json();
      expect(big.width).toBe(400);
    });

    it.each([
      ['format=xml', 501, 'FORMAT_NOT_IMPLEMENTED'],
      ['format=yaml', 501, 'FORMAT_NOT_IMPLEMENTED'],
      ['unknown credential', 404, 'CREDENTIAL_NOT_FOUND'],
      ['another site', 400, 'URL_NOT_SUPPORTED'],
      ['http instead of https', 400, 'URL_NOT_SUPPORTED'],
      ['not a credential page', 400, 'URL_NOT_SUPPORTED'],
      ['no url', 400, 'URL_NOT_SUPPORTED'],
      ['a bad maxwidth', 400, 'VALIDATION_FAILED'],
    ])('%s → %i', async (what, status, code) => {
      const q = {
        'format=xml': `url=${encodeURIComponent(issued.url)}&format=xml`,
        'format=yaml': `url=${encodeURIComponent(issued.url)}&format=yaml`,
        'unknown credential': `url=${encodeURIComponent(`${PUBLIC_URL}/c/AAAAAAAAAAAAAAAAAAAAAA`)}`,
        'another site': `url=${encodeURIComponent(`https://evil.example/c/${issued.id}`)}`,
        'http instead of https': `url=${encodeURIComponent(`http://laurel.test/c/${issued.id}`)}`,
        'not a credential page': `url=${encodeURIComponent(`${PUBLIC_URL}/issuers/acme`)}`,
        'no url': 'format=json',
        'a bad maxwidth': `url=${encodeURIComponent(issued.url)}&maxwidth=wide`,
      }[what];
      const res = await get(`/oembed?${q}`);
      expect(res.statusCode).toBe(status);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe(code);
    });

    it('accepts an organization’s custom-domain URLs, and on that domain only its own', async () => {
      const domainUrl = `https://${DOMAIN}/c/${exuIssued.id}`;
      const main = await get(`/oembed?url=${encodeURIComponent(domainUrl)}`);
      expect(main.statusCode).toBe(200);
      expect(main.json()).toMatchObject({provider_name: 'Example University', provider_url: `https://${DOMAIN}/`});
      expect(main.json().html).toContain(`src="${domainUrl}/embed"`);
      expect((await get(`/oembed?url=${encodeURIComponent(domainUrl)}`, {host: DOMAIN})).statusCode).toBe(200);
      const other = await get(`/oembed?url=${encodeURIComponent(issued.url)}`, {host: DOMAIN});
      expect(other.statusCode).toBe(400);
      // A credential of another organization under this domain's origin does not exist there.
      expect((await get(`/oembed?url=${encodeURIComponent(`https://${DOMAIN}/c/${issued.id}`)}`)).statusCode).toBe(404);
    });
  });

  describe('issuer and achievement pages', () => {
    it('the issuer page: profile, active achievements, DID, DID document and keys with their windows', async () => {
      const archived = (await api(t.app, acmeKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Old course'})).json();
      await api(t.app, acmeKey).post(`/api/v1/achievements/${archived.id}/archive`);
      const res = await page('/issuers/acme');
      expect(res.statusCode).toBe(200);
      const body = res.body;
      expect(body).toContain('<h1 id="title"><bdi>Acme Academy</bdi></h1>');
      expect(body).toContain('<img src="https://cdn.acme.example/logo.png" alt=""');
      expect(body).toContain('<a href="https://acme.example/" rel="noopener" data-testid="issuer-url">');
      expect(body).toContain(`<a href="/achievements/${achievement.id}"><bdi>Teamwork</bdi></a>`);
      expect(body).not.toContain('Old course');
      expect(body).toContain(`<code data-testid="did">${acmeDid}</code>`);
      expect(body).toContain(`<a href="${PUBLIC_URL}/issuers/acme/did.json" data-testid="did-document">`);
      expect(body).toContain(`<code>${acmeDid}#key-1</code>`);
      expect(body).toMatch(/Valid from<\/span> 1 March 2026\s*· <span class="muted">Valid until<\/span> <strong>in use<\/strong>/);
      expect(body).toContain('<a href="/verify">verification page</a>');
      // After a rotation both keys are listed; the first with its end date.
      expect((await api(t.app, acmeKey).post('/api/v1/organization/keys/rotate')).statusCode).toBe(200);
      const rotated = (await page('/issuers/acme')).body;
      expect(rotated).toContain(`<code>${acmeDid}#key-1</code>`);
      expect(rotated).toContain(`<code>${acmeDid}#key-2</code>`);
      expect(rotated).toMatch(/#key-1<\/code><br><span class="muted">Valid from<\/span> 1 March 2026\s*· <span class="muted">Valid until<\/span> 1 March 2026/);
      expectNonceCsp(res);
    });

    it('a did:key issuer lists its DIDs and has no DID document', async () => {
      const body = (await page('/issuers/plain')).body;
      expect(body).toContain(`<code data-testid="did">${plainIssued.credential.issuer.id}</code>`);
      expect(body).not.toContain('data-testid="did-document"');
      expect((await page('/issuers/no-such-issuer')).statusCode).toBe(404);
    });

    it('the achievement page for browsers; JSON stays the default', async () => {
      const res = await page(`/achievements/${achievement.id}`, {accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'});
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['content-type'])).toBe('text/html; charset=utf-8');
      expect(String(res.headers.vary)).toMatch(/\bAccept\b/);
      const body = res.body;
      expect(body).toContain('<h1 id="title"><bdi>Teamwork</bdi></h1>');
      expect(body).toContain('<dt>Type</dt><dd>Certificate</dd>');
      expect(body).toContain('<dt>Description</dt><dd>Works well in a team.</dd>');
      expect(body).toContain('Nominated by peers. <a href="https://acme.example/criteria" rel="noopener">Full criteria</a>');
      expect(body).toContain('<a href="https://esco.example/skill/1" rel="noopener">Collaboration</a> <span class="muted">(ESCO · S1.2)</span>');
      expect(body).toContain('<a href="/issuers/acme" data-testid="issuer-link">Issued by Acme Academy</a>');
      expect(body).toContain(`<a href="/achievements/${achievement.id}.json">`);
      for(const accept of ['application/json', 'application/ld+json', '*/*', 'application/json, text/html;q=0.5']) {
        const json = await get(`/achievements/${achievement.id}`, {accept});
        expect(String(json.headers['content-type']), accept).toMatch(/^application\/ld\+json/);
        expect(json.json().id).toBe(`${PUBLIC_URL}/achievements/${achievement.id}`);
      }
      expect(String((await get(`/achievements/${achievement.id}`)).headers['content-type'])).toMatch(/^application\/ld\+json/);
      expect(String((await page(`/achievements/${achievement.id}.json`)).headers['content-type'])).toMatch(/^application\/ld\+json/);
    });
  });

  describe('custom domains show only their organization', () => {
    const onDomain = (url: string, headers: Record<string, string> = {}) => page(url, {host: DOMAIN, ...headers});

    it('serves its own pages', async () => {
      expect((await onDomain(`/c/${exuIssued.id}`)).statusCode).toBe(200);
      expect((await onDomain(`/c/${exuIssued.id}/embed`)).statusCode).toBe(200);
      expect((await onDomain(`/achievements/${exuAchievement.id}`)).body).toContain('<bdi>Graduate</bdi>');
      const home = await onDomain('/');
      expect(home.body).toContain('<h1 id="title"><bdi>Example University</bdi></h1>');
      expect(home.body).toContain(`<a href="https://${DOMAIN}/.well-known/did.json" data-testid="did-document">`);
      expect((await onDomain('/issuers/exu')).statusCode).toBe(200);
      // Its credential page links its issuer page at its own root.
      expect((await onDomain(`/c/${exuIssued.id}`)).body).toContain('data-testid="issuer-link"');
      expect((await onDomain(`/c/${exuIssued.id}`)).body).toMatch(/<a href="\/" data-testid="issuer-link">/);
    });

    it('serves nothing of another organization', async () => {
      for(const url of [`/c/${issued.id}`, `/c/${issued.id}/embed`, '/issuers/acme', `/achievements/${achievement.id}`]) {
        const res = await onDomain(url);
        expect(res.statusCode, url).toBe(404);
        expect(res.body).not.toContain('Acme');
      }
    });
  });

  describe('hostile names', () => {
    /** Every attribute value on the page holds no raw markup characters. */
    function expectInertAttributes(body: string) {
      for(const tag of startTags(body)) {
        const inner = tag.slice(1, -1).replace(/"[^"]*"/g, '""');
        expect(inner, tag).not.toMatch(/[<>]/);
        for(const m of tag.matchAll(/="([^"]*)"/g)) expect(m[1], tag).not.toMatch(/[<>"]/);
      }
    }
    const onlyOwnScripts = (body: string) => {
      for(const tag of body.match(/<script[^>]*>/gi) ?? []) {
        expect(tag).toMatch(/^<script (type="module" src="\/assets\/(verify|share)-[0-9a-f]{16}\.js" nonce="[^"]+"|type="application\/json" id="laurel-verify")>$/);
      }
      expect(body).not.toMatch(/<img[^>]*onerror/i);
      expect(body.match(/<\/title>/g)).toHaveLength(1);
    };

    it('are escaped in every tag and attribute of the credential page, OG and Twitter tags included', async () => {
      for(const lang of ['en', 'sv']) {
        const body = (await page(`/c/${hostile.id}?lang=${lang}`)).body;
        onlyOwnScripts(body);
        expectInertAttributes(body);
        expect(body).toContain('<h1 id="title"><bdi>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</bdi></h1>');
        const iso = (s: string) => `\u2068${s}\u2069`;
        expect(unescapeHtml(/<title>([^<]*)<\/title>/.exec(body)![1])).toBe(`${iso(HOSTILE)} — ${iso(HOSTILE_RECIPIENT)}`);
        expect(meta(body, 'og:title')).toBe(`${iso(HOSTILE)} — ${iso(HOSTILE_RECIPIENT)}`);
        expect(meta(body, 'twitter:title')).toBe(`${iso(HOSTILE)} — ${iso(HOSTILE_RECIPIENT)}`);
        expect(meta(body, 'og:site_name')).toBe(HOSTILE);
        expect(meta(body, 'og:image:alt')).toContain(HOSTILE);
        expect(meta(body, 'og:description')).toContain(iso(HOSTILE_RECIPIENT));
        const p = Object.fromEntries(new URL(hrefOf(body, 'linkedin-add')).searchParams);
        expect(p.name).toBe(HOSTILE);
        expect(p.organizationName).toBe(HOSTILE);
        const snippet = unescapeHtml(/<textarea id="embed-code"[^>]*>([^<]*)<\/textarea>/.exec(body)![1]);
        expect(snippet).toContain('title="&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; — &quot;&gt;&lt;img src=x onerror=alert(2)&gt;"');
      }
    });

    it('are escaped on the embed, issuer and achievement pages and in oEmbed', async () => {
      for(const url of [`/c/${hostile.id}/embed`, '/issuers/evil', `/achievements/${hostileAchievement.id}`]) {
        const body = (await page(url)).body;
        onlyOwnScripts(body);
        expectInertAttributes(body);
        expect(body, url).toContain('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
      }
      const o = (await get(`/oembed?url=${encodeURIComponent(hostile.url)}`)).json();
      expect(o.title).toBe(`${HOSTILE} — ${HOSTILE_RECIPIENT}`);
      expect(o.author_name).toBe(HOSTILE);
      expect(o.html).not.toMatch(/<script|<img|<\/title/);
      expect(o.html.match(/</g)).toHaveLength(2);
    });
  });
});
