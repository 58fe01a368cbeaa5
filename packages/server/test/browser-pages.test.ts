/**
 * The shared pages in real Chromium (Debian /usr/bin/chromium via playwright-core):
 * the LinkedIn link and Open Graph tags as a browser sees them, the certificate PDF download (its attached
 * credential and QR code), the copy buttons
 * (clipboard), no CSP violation anywhere, axe-core accessibility (no serious or
 * critical violation) on the credential page in English and Swedish, the issuer,
 * achievement, embed and private pages, no horizontal scrolling at 360 px, and the
 * README's screenshots. No request may leave 127.0.0.1.
 */
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {unbakePdf} from '@laurel/core';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {fileURLToPath} from 'node:url';
import {AxeBuilder} from '@axe-core/playwright';
import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, createOrg, PUBLIC_URL, startLaurel, type TestLaurel} from './harness.js';
import {pdfQr} from './render-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
// The README's screenshots: written when missing or when UPDATE_SCREENSHOT=1, so a test run leaves the tree clean.
const DOCS = new URL('../../../docs/', import.meta.url);
const SCREENSHOT = fileURLToPath(new URL('screenshot-credential.png', DOCS));
const SCREENSHOT_MOBILE = fileURLToPath(new URL('screenshot-credential-mobile.png', DOCS));
const update = (file: string) => process.env.UPDATE_SCREENSHOT === '1' || !existsSync(file);

describe.skipIf(!existsSync(CHROMIUM))('the shared pages in a real browser (Chromium)', () => {
  let t: TestLaurel;
  let browser: Browser;
  let base: string;
  let id: string;
  let hiddenId: string;
  let achievementId: string;
  const requests: string[] = [];
  const cspViolations: string[] = [];
  let framingHost = '';

  /** A fresh context that records every request and every CSP violation of its pages. */
  async function newContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({viewport: {width: 1100, height: 900}, ...options});
    context.on('request', request => void requests.push(request.url()));
    context.on('console', message => {
      if(/Content[ -]Security[ -]Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return context;
  }

  /** Serious and critical axe violations on the page (WCAG 2.x A and AA, and best practices). */
  async function seriousViolations(page: Page): Promise<{id: string; impact: string | null | undefined; targets: string[]}[]> {
    const results = await new AxeBuilder({page}).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
    return results.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(' '))}));
  }

  /** Whether the page scrolls sideways. */
  const scrollsSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

  beforeAll(async () => {
    t = await startLaurel('pglite', {now: () => new Date()});
    await t.app.listen({host: '127.0.0.1', port: 0});
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const {apiKey} = await createOrg(t.app, {name: 'Acme Academy', slug: 'acme', url: 'https://acme.example/', brandColor: '#ffd400',
      linkedinOrganizationId: '1337'});
    await t.db.query("UPDATE organizations SET brand_secondary_color = '#1d2433' WHERE slug = 'acme'");
    const achievement = (await api(t.app, apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Advanced Teamwork and Facilitation',
      achievementType: 'Certificate', alignment: [{targetName: 'Collaboration', targetUrl: 'https://esco.example/skill/1', targetFramework: 'ESCO'}]})).json();
    achievementId = achievement.id;
    const validUntil = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000).toISOString();
    const issued = await api(t.app, apiKey).post('/api/v1/credentials', {achievementId, recipient: {name: 'Ada Lovelace'}, validUntil});
    expect(issued.statusCode).toBe(201);
    id = issued.json().id;
    hiddenId = (await api(t.app, apiKey).post('/api/v1/credentials', {achievementId, recipient: {name: 'Hidden'}})).json().id;
    await t.db.query('UPDATE credentials SET hidden_at = now() WHERE id = $1', [hiddenId]);
    browser = await chromium.launch({executablePath: CHROMIUM, args: ARGS, headless: true});
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    expect(requests.length).toBeGreaterThan(0);
    // This server, and the framing test's own host page on localhost.
    expect(requests.filter(url => !url.startsWith(`${base}/`) && !(framingHost && url.startsWith(framingHost)))).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('shows the LinkedIn link and Open Graph tags, and copies with the buttons', async () => {
    const context = await newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {origin: base});
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', error => void errors.push(error.message));
    await page.goto(`${base}/c/${id}`);

    const href = await page.getByTestId('linkedin-add').getAttribute('href');
    const params = Object.fromEntries(new URL(href!).searchParams);
    const validFrom = new Date((await (await fetch(`${base}/c/${id}.json`)).json()).validFrom);
    expect(params).toMatchObject({startTask: 'CERTIFICATION_NAME', name: 'Advanced Teamwork and Facilitation', organizationId: '1337',
      issueYear: String(validFrom.getUTCFullYear()), issueMonth: String(validFrom.getUTCMonth() + 1), certUrl: `https://laurel.test/c/${id}`, certId: id});
    expect(params.expirationYear).toMatch(/^\d{4}$/);
    expect(params.expirationMonth).toMatch(/^([1-9]|1[0-2])$/);
    expect(await page.getByTestId('linkedin-add').getAttribute('rel')).toBe('noopener noreferrer');

    const og = (property: string) => page.locator(`meta[property="${property}"]`).getAttribute('content');
    expect(await og('og:title')).toBe('\u2068Advanced Teamwork and Facilitation\u2069 — \u2068Ada Lovelace\u2069');
    expect(await og('og:image')).toBe(`https://laurel.test/c/${id}/og.png`);
    expect(await og('og:image:width')).toBe('1200');
    expect(await og('og:image:height')).toBe('627');
    expect(await og('og:url')).toBe(`https://laurel.test/c/${id}`);
    expect(await page.locator('meta[name="twitter:card"]').getAttribute('content')).toBe('summary_large_image');

    // The copy buttons appear with JavaScript and put the value on the clipboard.
    const copyId = page.locator('button[data-copy="f-id"]');
    await copyId.waitFor({state: 'visible'});
    await copyId.click();
    await expect.poll(() => copyId.textContent()).toBe('✓ Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);
    expect(await page.locator('#copy-status').textContent()).toBe('Copied: Copy: Credential ID');
    await page.locator('button[data-copy="embed-code"]').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(new RegExp(`^<iframe src="https://laurel\\.test/c/${id}/embed" `));
    await page.locator('button[data-copy="share-url"]').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`https://laurel.test/c/${id}`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('downloads the certificate PDF from the page: the signed credential is attached inside, and its QR code leads back', async () => {
    const context = await newContext({acceptDownloads: true});
    const page = await context.newPage();
    await page.goto(`${base}/c/${id}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('downloads').locator('a[href$="/certificate.pdf"]').click()]);
    const dir = mkdtempSync(join(tmpdir(), 'laurel-download-'));
    try {
      const file = join(dir, 'certificate.pdf');
      await download.saveAs(file);
      const pdf = readFileSync(file);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      // The attachment is exactly the credential the page publishes, and it verifies.
      const attached = await unbakePdf(new Uint8Array(pdf));
      expect(attached.ok).toBe(true);
      const published = await (await fetch(`${base}/c/${id}.json`)).text();
      expect(attached.ok && attached.text).toBe(published);
      const verified = await (await fetch(`${base}/api/v1/verify`, {method: 'POST', headers: {'content-type': 'application/json'},
        body: JSON.stringify({credential: JSON.parse(published)})})).json();
      expect(verified.verified).toBe(true);
      expect(pdfQr(pdf)).toBe(`${PUBLIC_URL}/c/${id}`);
    } finally {
      rmSync(dir, {recursive: true, force: true});
      await context.close();
    }
  });

  it('checks a pasted credential on /verify in Swedish', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/verify?lang=sv`);
    expect(await page.getAttribute('html', 'lang')).toBe('sv');
    await page.locator('#verify-input').fill(await (await fetch(`${base}/c/${id}.json`)).text());
    await page.getByRole('button', {name: 'Verifiera', exact: true}).click();
    await page.getByTestId('result-where').waitFor({timeout: 20_000});
    expect(await page.getByTestId('result-where').textContent()).toBe('Kontrollerat i din webbläsare: inget skickades till servern.');
    expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verifierat');
    await context.close();
  });

  it('without JavaScript the values are plain text and no copy button shows', async () => {
    const context = await newContext({javaScriptEnabled: false});
    const page = await context.newPage();
    await page.goto(`${base}/c/${id}`);
    expect(await page.locator('#f-id').textContent()).toBe(id);
    expect(await page.locator('button[data-copy]').count()).toBe(8);
    expect(await page.locator('button[data-copy]:visible').count()).toBe(0);
    expect(await page.getByTestId('linkedin-add').isVisible()).toBe(true);
    await context.close();
  });

  it('has no serious or critical accessibility violations (axe): credential page in English and Swedish', async () => {
    const context = await newContext();
    const page = await context.newPage();
    for(const lang of ['en', 'sv']) {
      await page.goto(`${base}/c/${id}?lang=${lang}`);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      // Once the browser has checked again, so axe sees the final page.
      await page.locator('[data-testid="browser-check"][data-browser]').waitFor({timeout: 20_000});
      expect(await seriousViolations(page), lang).toEqual([]);
      if(lang === 'sv') {
        // The browser's own results are shown in the page's language, as the server's were.
        expect(await page.getByTestId('browser-check').textContent()).toBe('Kontrollerat igen i din webbläsare.');
        expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verifierat');
        expect(await page.locator('ul.checks li[data-code="PROOF_VALID"]').textContent()).toContain('Signaturen stämmer');
        expect(await page.getByTestId('standing').locator('strong').textContent()).toBe('Giltigt');
      }
      if(lang === 'en' && update(SCREENSHOT)) {
        mkdirSync(DOCS, {recursive: true});
        await page.goto(`${base}/c/${id}?lang=en`);
        await page.locator('[data-testid="browser-check"][data-browser]').waitFor({timeout: 20_000});
        await page.screenshot({path: SCREENSHOT});
      }
    }
    await context.close();
  });

  it.each([
    ['issuer page', () => '/issuers/acme'],
    ['achievement page', () => `/achievements/${achievementId}`],
    ['embed', () => `/c/${id}/embed`],
    ['private credential', () => `/c/${hiddenId}`],
    ['home', () => '/'],
  ])('has no serious or critical accessibility violations (axe): %s', async (_name, path) => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}${path()}`);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('does not scroll sideways at 360 px', async () => {
    const context = await newContext({viewport: {width: 360, height: 780}, deviceScaleFactor: 2, isMobile: true, hasTouch: true});
    const page = await context.newPage();
    for(const path of [`/c/${id}`, `/c/${id}?lang=sv`, '/issuers/acme', `/achievements/${achievementId}`, `/c/${id}/embed`, `/c/${hiddenId}`, '/verify']) {
      await page.goto(`${base}${path}`);
      expect(await scrollsSideways(page), path).toBe(false);
    }
    await page.goto(`${base}/c/${id}?lang=en`);
    await page.locator('[data-testid="browser-check"][data-browser]').waitFor({timeout: 20_000});
    expect(await scrollsSideways(page)).toBe(false);
    if(update(SCREENSHOT_MOBILE)) {
      mkdirSync(DOCS, {recursive: true});
      await page.screenshot({path: SCREENSHOT_MOBILE});
    }
    await context.close();
  });

  it('lets another site frame the embed, and no other page', async () => {
    // Another site: a page on localhost (this server is on 127.0.0.1), served by a second local server.
    const host = createServer((_req, res) => {
      res.writeHead(200, {'content-type': 'text/html; charset=utf-8'});
      res.end(`<!doctype html><html lang="en"><title>host</title><iframe id="embed" src="${base}/c/${id}/embed" width="400" height="220" title="embed"></iframe>`
        + `<iframe id="page" src="${base}/c/${id}" width="400" height="220" title="page"></iframe></html>`);
    });
    await new Promise<void>(resolve => host.listen(0, '127.0.0.1', resolve));
    framingHost = `http://localhost:${(host.address() as AddressInfo).port}/`;
    const context = await newContext();
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', message => void (/frame-ancestors/.test(message.text()) && refused.push(message.text())));
    try {
      await page.goto(`${framingHost}host.html`);
      const embed = page.frameLocator('#embed');
      await embed.locator('h1').waitFor();
      expect(await embed.locator('h1').textContent()).toBe('Advanced Teamwork and Facilitation');
      expect(await embed.locator('a').getAttribute('target')).toBe('_blank');
      // The full page refuses to be framed (frame-ancestors 'none'), and Chromium says why.
      await expect.poll(() => refused.length, {timeout: 10_000}).toBeGreaterThan(0);
      expect(await page.frameLocator('#page').getByText('Advanced Teamwork and Facilitation').count()).toBe(0);
    } finally {
      await context.close();
      await new Promise(resolve => host.close(resolve));
    }
    // That refusal is the expected CSP report, not a violation by the pages.
    cspViolations.splice(0, cspViolations.length, ...cspViolations.filter(m => !/frame-ancestors/.test(m)));
  });
});
