/**
 * The recipient portfolio in real Chromium (Debian /usr/bin/chromium through
 * playwright-core; nothing downloaded), on a 360 px wide screen: ask for a sign-in link,
 * follow the emailed link (read from the outbox), confirm, make a credential private, make
 * the profile public, and see /p/<handle> without the private credential. No request may
 * leave 127.0.0.1, the CSP is never violated, and no page scrolls sideways.
 */
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {simpleParser} from 'mailparser';
import {chromium, type Browser, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, createOrg, eventually, startLaurel, type TestLaurel} from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const hasChromium = existsSync(CHROMIUM);
const ADDRESS = 'browser.user@example.org';

describe.skipIf(!hasChromium)('the recipient portfolio in a real browser (Chromium)', () => {
  let t: TestLaurel;
  let browser: Browser;
  let base: string;
  let outboxDir: string;
  let kept: string;
  let hidden: string;
  const requests: string[] = [];

  /** The sign-in link in the outbox, pointed at this listening server instead of the public URL. */
  async function emailedLink(): Promise<string> {
    return eventually(async () => {
      for(const file of readdirSync(outboxDir).filter(f => f.endsWith('.eml'))) {
        const mail = await simpleParser(readFileSync(join(outboxDir, file)));
        const m = /https:\/\/laurel\.test(\/portfolio\/auth\?token=[A-Za-z0-9_-]{43})/.exec(mail.text ?? '');
        if(m) return `${base}${m[1]}`;
      }
      return undefined;
    });
  }

  /** No page is wider than the screen. */
  const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  beforeAll(async () => {
    outboxDir = mkdtempSync(join(tmpdir(), 'laurel-browser-portfolio-'));
    t = await startLaurel('pglite', {now: () => new Date(), mail: {outboxDir, rate: 0}});
    await t.app.listen({host: '127.0.0.1', port: 0});
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const org = await createOrg(t.app, {name: 'Acme Academy', slug: 'acme'});
    const first = (await api(t.app, org.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Kept Public'})).json().id;
    const second = (await api(t.app, org.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Made Private'})).json().id;
    kept = (await api(t.app, org.apiKey).post('/api/v1/credentials', {achievementId: first, recipient: {name: 'Bea', email: ADDRESS}})).json().id;
    hidden = (await api(t.app, org.apiKey).post('/api/v1/credentials', {achievementId: second, recipient: {name: 'Bea', email: 'Browser.User@example.org'}})).json().id;
    browser = await chromium.launch({executablePath: CHROMIUM, args: ARGS, headless: true});
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if(outboxDir) rmSync(outboxDir, {recursive: true, force: true});
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter(url => !url.startsWith(`${base}/`))).toEqual([]);
  });

  it('signs in by the emailed link, hides a credential, and the public profile leaves it out', async () => {
    const context = await browser.newContext({viewport: {width: 360, height: 740}, locale: 'en-GB'});
    context.on('request', request => void requests.push(request.url()));
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', message => void (message.type() === 'error' && /Content Security Policy/i.test(message.text()) && cspErrors.push(message.text())));
    page.on('pageerror', error => void cspErrors.push(error.message));

    // Signed out: the portfolio sends us to the sign-in form.
    await page.goto(`${base}/portfolio`);
    expect(new URL(page.url()).pathname).toBe('/portfolio/sign-in');
    expect(await fitsWidth(page)).toBe(true);
    await page.getByLabel('Email address').fill(ADDRESS);
    await page.getByRole('button', {name: 'Email me a sign-in link'}).click();
    await page.getByRole('heading', {name: 'Check your email'}).waitFor();

    // The link only shows a confirmation; the button signs in.
    await page.goto(await emailedLink());
    expect(await page.getByText(`Sign in as ${ADDRESS}?`).count()).toBe(1);
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.waitForURL(`${base}/portfolio`);
    const items = page.locator('li[data-credential]');
    expect(await items.count()).toBe(2);
    expect(await fitsWidth(page)).toBe(true);
    const cookies = await context.cookies();
    expect(cookies.find(c => c.name === 'laurel_session')).toMatchObject({httpOnly: true, sameSite: 'Lax', path: '/'});

    // Make one private: a plain form post, back on the portfolio.
    await page.locator(`li[data-credential="${hidden}"]`).getByRole('button', {name: /^Make private\s*:\s*Made Private$/}).click();
    await page.waitForURL(`${base}/portfolio`);
    expect(await page.locator(`li[data-credential="${hidden}"]`).getAttribute('data-visibility')).toBe('private');
    expect(await page.locator(`li[data-credential="${kept}"]`).getAttribute('data-visibility')).toBe('public');

    // A public profile.
    await page.getByLabel('Handle').fill('bea-browser');
    await page.getByLabel('Display name').fill('Bea Browser');
    await page.getByLabel('Show my public profile').check();
    await page.getByRole('button', {name: 'Save profile'}).click();
    await page.getByText('Profile saved.').waitFor();
    await page.getByRole('link', {name: /\/p\/bea-browser$/}).click();
    await page.waitForURL(`${base}/p/bea-browser`);
    expect(await page.getByRole('heading', {level: 1}).textContent()).toBe('Bea Browser');
    const shown = await page.locator('li[data-credential]').evaluateAll(list => list.map(li => li.getAttribute('data-credential')));
    expect(shown).toEqual([kept]);
    expect(await page.getByRole('link', {name: 'Kept Public'}).getAttribute('href')).toBe(`/c/${kept}`);
    expect(await page.getByText('Made Private').count()).toBe(0);
    expect(await fitsWidth(page)).toBe(true);

    // Signing out ends the session: the portfolio is behind the sign-in form again.
    await page.goto(`${base}/portfolio`);
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.waitForURL(`${base}/portfolio/sign-in`);
    await page.goto(`${base}/portfolio`);
    expect(new URL(page.url()).pathname).toBe('/portfolio/sign-in');
    expect(cspErrors).toEqual([]);
    await context.close();
  });
});
