/**
 * Browser tests with real Chromium (Debian /usr/bin/chromium, driven by
 * playwright-core; no browser is downloaded). A listening Laurel on 127.0.0.1:
 * the credential page verifies again in the browser, /verify checks pasted,
 * tampered and dropped credentials in the browser, and both pages still work
 * with JavaScript off. No request may leave 127.0.0.1.
 */
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {AddressInfo} from 'node:net';
import {fileURLToPath} from 'node:url';
import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core';
import {PNG} from 'pngjs';
import QRCode from 'qrcode';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {bakePng, OB3_NAMESPACE, PNG_SIGNATURE, pngChunk} from '@laurel/core';
import {ACHIEVEMENT, api, createOrg, startLaurel, type TestLaurel} from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** A 1×1 PNG baked with the credential (core's bakePng: OB 3.0 §5.3.1). */
function bakedPng(text: string): Buffer {
  const ihdr = Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0);
  const png = Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IEND', new Uint8Array())]);
  return Buffer.from(bakePng(png, text));
}

/** An SVG baked with the credential (OB 3.0 §5.3.2). */
const bakedSvg = (text: string) => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="${OB3_NAMESPACE}" width="4" height="4">
<openbadges:credential><![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]></openbadges:credential><rect width="4" height="4"/></svg>`;

const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('the verifier in a real browser (Chromium)', () => {
  let t: TestLaurel;
  let browser: Browser;
  let base: string;
  let id: string;
  let credentialJson: string;
  let apiKey: string;
  const requests: string[] = [];

  /** A fresh context that records every request its pages make. */
  async function newContext(options: {javaScriptEnabled?: boolean} = {}): Promise<BrowserContext> {
    const context = await browser.newContext({viewport: {width: 1000, height: 800}, ...options});
    context.on('request', request => void requests.push(request.url()));
    return context;
  }

  /** [status, code] of every check item in the list, in order. */
  const checksOf = (page: Page, scope = 'body') =>
    page.$$eval(`${scope} ul.checks li`, items => items.map(li => [li.className, li.getAttribute('data-code')]));

  beforeAll(async () => {
    // The server runs on the real clock, as the browser does: status lists it signs are valid for 30 days from now.
    t = await startLaurel('pglite', {now: () => new Date()});
    await t.app.listen({host: '127.0.0.1', port: 0});
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    ({apiKey} = await createOrg(t.app, {slug: 'acme', url: 'https://acme.example/'}));
    const achievement = (await api(t.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    const issued = await api(t.app, apiKey).post('/api/v1/credentials', {achievementId: achievement.id, recipient: {name: 'Ada Lovelace'}});
    expect(issued.statusCode).toBe(201);
    id = issued.json().id;
    credentialJson = (await t.app.inject({method: 'GET', url: `/c/${id}.json`})).body;
    browser = await chromium.launch({executablePath: CHROMIUM, args: ARGS, headless: true});
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    // Nothing but this Laurel: no fonts, no CDN, no DID or context fetched elsewhere.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter(url => !url.startsWith(`${base}/`))).toEqual([]);
  });

  it('re-verifies the credential page in the browser: every check passes', async () => {
    const context = await newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', error => void errors.push(error.message));
    page.on('console', message => void (message.type() === 'error' && errors.push(message.text())));
    await page.goto(`${base}/c/${id}`);
    const line = page.getByTestId('browser-check');
    await line.and(page.locator('[data-browser]')).waitFor({timeout: 20_000});
    expect(errors).toEqual([]);
    expect(await line.textContent()).toBe('Checked again in your browser.');
    expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verified');
    // Every check passes, the status too: the browser read the status lists from this origin.
    expect(await checksOf(page)).toEqual([
      ['passed', 'STRUCTURE_VALID'], ['passed', 'CONTEXTS_ALLOWED'], ['passed', 'SCHEMA_VALID'], ['passed', 'PROOF_VALID'],
      ['passed', 'ISSUER_VALID'], ['passed', 'ISSUER_DOMAIN_OK'], ['passed', 'VALIDITY_OK'], ['passed', 'STATUS_VALID'],
    ]);
    expect(await page.getByTestId('standing').getAttribute('data-state')).toBe('valid');
    await context.close();
  });

  it('shows a revoked credential as Revoked, with the date and the public reason, after the browser checked again', async () => {
    const achievement = (await api(t.app, apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Revoked course'})).json();
    const revoked = (await api(t.app, apiKey).post('/api/v1/credentials', {achievementId: achievement.id, recipient: {name: 'Grace Hopper'}})).json();
    expect((await api(t.app, apiKey).post(`/api/v1/credentials/${revoked.id}/revoke`, {reason: 'Exam retaken', reasonPublic: true})).statusCode).toBe(200);
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/c/${revoked.id}`);
    await page.getByTestId('browser-check').and(page.locator('[data-browser]')).waitFor({timeout: 20_000});
    expect(await page.getByTestId('browser-check').textContent()).toBe('Checked again in your browser.');
    expect(await page.getByTestId('verdict').textContent()).toBe('✗ Not verified');
    const standing = page.getByTestId('standing');
    expect(await standing.getAttribute('data-state')).toBe('revoked');
    expect(await standing.textContent()).toMatch(/since \d{1,2} \w+ \d{4}/);
    expect((await checksOf(page)).at(-1)).toEqual(['failed', 'STATUS_REVOKED']);
    // The browser's own check has no reason (the list carries bits only); the server's line keeps the date.
    await context.close();
  });

  it('verifies pasted JSON in the browser and finds a tampered credential', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/verify`);
    await page.locator('#verify-input').fill(credentialJson);
    await page.getByRole('button', {name: 'Verify', exact: true}).click();
    await page.getByTestId('result-where').waitFor();
    expect(await page.getByTestId('result-where').textContent()).toContain('Checked in your browser');
    expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verified');

    const tampered = JSON.parse(credentialJson);
    tampered.credentialSubject.identifier[0].identityHash = 'Mallory';
    await page.locator('#verify-input').fill(JSON.stringify(tampered, null, 2));
    await page.getByRole('button', {name: 'Verify', exact: true}).click();
    await page.locator('#verify-result li[data-code="PROOF_VERIFICATION_ERROR"].failed').waitFor();
    expect(await page.getByTestId('verdict').textContent()).toBe('✗ Not verified');
    expect(await page.getByTestId('result-where').textContent()).toContain('nothing was sent to the server');

    // The same input, checked by the server at the user's request, fails the same way.
    await page.getByTestId('server-check').click();
    await page.getByTestId('result-where').filter({hasText: 'at your request'}).waitFor();
    expect(await checksOf(page, '#verify-result')).toContainEqual(['failed', 'PROOF_VERIFICATION_ERROR']);
    await context.close();
  });

  it('verifies a selected .json file and baked .png and .svg badges in the browser', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/verify`);
    const files = [
      {name: 'badge.json', mimeType: 'application/json', buffer: Buffer.from(credentialJson)},
      {name: 'badge.png', mimeType: 'image/png', buffer: bakedPng(credentialJson)},
      {name: 'badge.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(bakedSvg(credentialJson))},
    ];
    for(const file of files) {
      await page.evaluate(() => document.getElementById('verify-result')!.replaceChildren());
      await page.locator('#verify-file').setInputFiles(file);
      await page.getByTestId('result-where').waitFor();
      expect(await page.getByTestId('verdict').textContent(), file.name).toBe('✓ Verified');
    }
    await context.close();
  });

  it('asks the server for links, and says so', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${base}/verify`);
    await page.locator('#verify-input').fill(`https://laurel.test/c/${id}`);
    await page.getByRole('button', {name: 'Verify', exact: true}).click();
    await page.getByTestId('result-where').waitFor();
    expect(await page.getByTestId('result-where').textContent()).toContain('which fetched the link');
    expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verified');
    await context.close();
  });

  it('scans a QR code with the camera (Chromium fake camera playing a video of the QR code)', async () => {
    // A Y4M video (YUV 4:2:0, grayscale) of the credential's QR code, as Chromium's fake camera reads it.
    const url = `https://laurel.test/c/${id}`;
    const qr = PNG.sync.read(await QRCode.toBuffer(url, {errorCorrectionLevel: 'M', margin: 4, width: 280}));
    const W = 320, H = 320;
    const y = Buffer.alloc(W * H, 255);
    const ox = (W - qr.width) >> 1, oy = (H - qr.height) >> 1;
    for(let r = 0; r < qr.height; r++) {
      for(let c = 0; c < qr.width; c++) {
        const i = (r * qr.width + c) * 4;
        y[(oy + r) * W + ox + c] = Math.round(0.299 * qr.data[i] + 0.587 * qr.data[i + 1] + 0.114 * qr.data[i + 2]);
      }
    }
    const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
    const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
    const video = join(mkdtempSync(join(tmpdir(), 'laurel-cam-')), 'qr.y4m');
    writeFileSync(video, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), ...Array(10).fill(frame)]));
    const camera = await chromium.launch({executablePath: CHROMIUM, headless: true, args: [...ARGS,
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]});
    try {
      const context = await camera.newContext({viewport: {width: 1000, height: 800}});
      context.on('request', request => void requests.push(request.url()));
      const page = await context.newPage();
      await page.goto(`${base}/verify`);
      await page.getByTestId('scan').click();
      await page.getByTestId('result-where').waitFor({timeout: 30_000});
      expect(await page.locator('#verify-input').inputValue()).toBe(url);
      expect(await page.getByTestId('scan-status').textContent()).toBe('QR code read.');
      expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verified');
      await context.close();
    } finally {
      await camera.close();
    }
  });

  it('works without JavaScript: the server-rendered page and the form post', async () => {
    const context = await newContext({javaScriptEnabled: false});
    const page = await context.newPage();
    await page.goto(`${base}/c/${id}`);
    expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verified');
    expect(await page.getByTestId('browser-check').textContent()).toBe('Checked by this server.');

    await page.goto(`${base}/verify`);
    expect(await page.locator('#verify-drop').isHidden()).toBe(true);
    await page.locator('#verify-input').fill(credentialJson);
    await Promise.all([page.waitForURL(`${base}/verify`), page.getByRole('button', {name: 'Verify', exact: true}).click()]);
    expect(await page.getByTestId('verdict').textContent()).toBe('✓ Verified');
    expect(await page.getByTestId('result-where').textContent()).toBe('Checked by this server.');
    await context.close();
  });
});
