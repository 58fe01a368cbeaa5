/**
 * /verify in real Chromium (Debian /usr/bin/chromium via playwright-core, as in
 * browser.test.ts) with PDF files: the credential attached to a PDF is taken out
 * and verified in the browser, the file is never uploaded, and only the
 * credential goes to the server when the user asks for a server-side check.
 */
import {existsSync} from 'node:fs';
import type {AddressInfo} from 'node:net';
import {pdfkitPdf as pdfWith} from '../../core/test/pdf-helpers.js';
import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, createOrg, startLaurel, type TestLaurel} from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const hasChromium = existsSync(CHROMIUM);


describe.skipIf(!hasChromium)('/verify with PDF files in a real browser (Chromium)', () => {
  let t: TestLaurel;
  let browser: Browser;
  let base: string;
  let credentialJson: string;
  /** Every request a page made: method, URL and body. */
  const requests: {method: string; url: string; body: string | null}[] = [];

  async function openVerify(): Promise<{context: BrowserContext; page: Page; errors: string[]}> {
    const context = await browser.newContext({viewport: {width: 1000, height: 800}});
    context.on('request', request => void requests.push({method: request.method(), url: request.url(), body: request.postData()}));
    const page = await context.newPage();
    // Verifying in the browser canonicalizes JSON-LD: generous waits for a busy machine (no timing is asserted).
    page.setDefaultTimeout(120_000);
    const errors: string[] = [];
    page.on('pageerror', error => void errors.push(error.message));
    await page.goto(`${base}/verify`);
    return {context, page, errors};
  }

  const checksOf = (page: Page) =>
    page.$$eval('#verify-result ul.checks li', items => items.map(li => [li.className, li.getAttribute('data-code')]));

  beforeAll(async () => {
    t = await startLaurel('pglite', {now: () => new Date()});
    await t.app.listen({host: '127.0.0.1', port: 0});
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const {apiKey} = await createOrg(t.app, {slug: 'acme', url: 'https://acme.example/'});
    const achievement = (await api(t.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    const issued = await api(t.app, apiKey).post('/api/v1/credentials', {achievementId: achievement.id, recipient: {name: 'Ada Lovelace'}});
    expect(issued.statusCode).toBe(201);
    credentialJson = (await t.app.inject({method: 'GET', url: `/c/${issued.json().id}.json`})).body;
    browser = await chromium.launch({executablePath: CHROMIUM, args: ARGS, headless: true});
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    // Nothing but this Laurel, and never a PDF in a request body.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter(r => !r.url.startsWith(`${base}/`))).toEqual([]);
    expect(requests.filter(r => r.body?.includes('%PDF-'))).toEqual([]);
  });

  it('verifies the credential attached to a selected PDF in the browser, compressed or not, whatever the file is called', async () => {
    const {context, page, errors} = await openVerify();
    const files = [
      {name: 'certificate.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await pdfWith([{name: 'notes.txt', content: 'hi'}, {name: 'credential.json', content: credentialJson}]))},
      {name: 'plain.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await pdfWith([{name: 'credential.json', content: credentialJson}], {compress: false}))},
      // Detected by content, not by name or type.
      {name: 'not-really.png', mimeType: 'image/png', buffer: Buffer.from(await pdfWith([{name: 'credential.json', content: credentialJson}]))},
    ];
    for(const file of files) {
      const before = requests.length;
      await page.evaluate(() => document.getElementById('verify-result')!.replaceChildren());
      await page.locator('#verify-file').setInputFiles(file);
      await page.getByTestId('result-where').waitFor();
      expect(await page.getByTestId('verdict').textContent(), file.name).toBe('✓ Verified');
      expect(await page.getByTestId('result-where').textContent()).toContain('nothing was sent to the server');
      expect(await checksOf(page)).toContainEqual(['passed', 'PROOF_VALID']);
      // The textarea shows what was taken out of the file.
      expect(JSON.parse(await page.locator('#verify-input').inputValue())).toEqual(JSON.parse(credentialJson));
      // Status lists are read from this origin; nothing is posted.
      expect(requests.slice(before).filter(r => r.method !== 'GET')).toEqual([]);
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);

  it('finds a tampered attached credential, and the server agrees when asked (sent the credential, not the PDF)', async () => {
    const {context, page} = await openVerify();
    const tampered = JSON.parse(credentialJson);
    tampered.credentialSubject.identifier[0].identityHash = 'Mallory';
    await page.locator('#verify-file').setInputFiles({name: 'tampered.pdf', mimeType: 'application/pdf',
      buffer: Buffer.from(await pdfWith([{name: 'credential.json', content: JSON.stringify(tampered)}]))});
    await page.locator('#verify-result li[data-code="PROOF_VERIFICATION_ERROR"].failed').waitFor();
    expect(await page.getByTestId('verdict').textContent()).toBe('✗ Not verified');

    await page.getByTestId('server-check').click();
    await page.getByTestId('result-where').filter({hasText: 'at your request'}).waitFor();
    expect(await checksOf(page)).toContainEqual(['failed', 'PROOF_VERIFICATION_ERROR']);
    const posted = requests.filter(r => r.method === 'POST' && r.url === `${base}/api/v1/verify`).at(-1);
    expect(posted && JSON.parse(posted.body ?? '{}').credential.credentialSubject.identifier[0].identityHash).toBe('Mallory');
    await context.close();
  }, 300_000);

  it('explains a PDF with no credential attached, with its code', async () => {
    const {context, page} = await openVerify();
    await page.locator('#verify-file').setInputFiles({name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await pdfWith([{name: 'notes.txt', content: 'hi'}]))});
    await page.getByTestId('input-error').waitFor();
    expect(await page.getByTestId('input-error').textContent())
      .toBe('scan.pdf: none of this PDF\'s 1 attached file ("notes.txt") is a credential (PDF_NO_CREDENTIAL)');
    await context.close();
  }, 300_000);
});
