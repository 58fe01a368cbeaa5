/**
 * PDFs on the verify surfaces, without a browser: the /verify page offers PDF
 * files, the browser bundle carries the PDF reader (and still no Node built-in),
 * and a credential taken out of a PDF verifies through POST /api/v1/verify, which
 * takes the credential, never the file.
 */
import {unbakePdf} from '@laurel/core';
import {pdfkitPdf as pdfWith} from '../../core/test/pdf-helpers.js';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {buildBrowserBundle} from '../src/pages/browser-bundle.js';
import {ACHIEVEMENT, api, createOrg, startLaurel, type TestLaurel} from './harness.js';


describe('PDFs on /verify and POST /api/v1/verify', () => {
  let t: TestLaurel;
  let json: string;

  beforeAll(async () => {
    t = await startLaurel('pglite');
    const {apiKey} = await createOrg(t.app, {slug: 'acme'});
    const achievement = (await api(t.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json();
    const id = (await api(t.app, apiKey).post('/api/v1/credentials', {achievementId: achievement.id, recipient: {name: 'Ada'}})).json().id;
    json = (await t.app.inject({method: 'GET', url: `/c/${id}.json`})).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('offers PDF files on the page, and says the file itself is never uploaded', async () => {
    const page = (await t.app.inject({method: 'GET', url: '/verify'})).body;
    const accept = /<input type="file" id="verify-file" accept="([^"]+)">/.exec(page)?.[1].split(',');
    expect(accept).toEqual(expect.arrayContaining(['.pdf', 'application/pdf', '.png', '.svg', '.json']));
    expect(page).toMatch(/a PDF certificate\s+with the credential attached/);
    expect(page).toMatch(/only the credential taken out of a badge or PDF is sent, never the file/);
  });

  it('bundles the PDF reader for the browser (DecompressionStream, no Node built-in)', async () => {
    const bundle = await buildBrowserBundle();
    expect(bundle.code).toContain('PDF_NO_CREDENTIAL');
    expect(bundle.code).toContain('new DecompressionStream("deflate")');
    expect(bundle.code).not.toMatch(/\bBuffer\.from\(/);
  });

  it('verifies the credential the browser takes out of a PDF, sent as {credential}', async () => {
    const unbaked = await unbakePdf(await pdfWith([{name: 'credential.json', content: json}]));
    expect(unbaked).toMatchObject({ok: true, attachment: 'credential.json'});
    const res = await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {credential: JSON.parse(unbaked.ok ? unbaked.text : '{}')}});
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({verified: true, input: {kind: 'credential'}});
  });

  it('takes no files on POST /api/v1/verify: a PDF sent there is refused as malformed (400)', async () => {
    const pdf = Buffer.from(await pdfWith([{name: 'credential.json', content: json}])).toString('base64');
    const res = await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {pdf}});
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({code: 'VALIDATION_FAILED'});
  });
});
