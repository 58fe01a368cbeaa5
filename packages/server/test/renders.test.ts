/**
 * Renders of issued credentials (issue 7) through the public routes, on every backend:
 * the certificate PDF carries the stored credential (pdfdetach) and a QR code to its
 * page (pdftoppm + jsQR), custom fields reach the render (pdftotext), baked badges
 * unbake to exactly the stored document and verify, the cache answers identical bytes
 * and 304s and is replaced when the template or the brand changes, template fallbacks,
 * hidden and unknown credentials, and custom domains.
 */
import {unbakePng, unbakeSvg} from '@laurel/core';
import {PNG} from 'pngjs';
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest';
import {ACHIEVEMENT, api, BACKENDS, createOrg, eventually, PUBLIC_URL, startLaurel, type TestLaurel} from './harness.js';
import {badgeLayout, certificateLayout, pdfAttachment, pdfQr, pdfText} from './render-helpers.js';
import {RenderService} from '../src/services/renders.js';

describe.each(BACKENDS)('renders on %s', kind => {
  let t: TestLaurel;
  let a: ReturnType<typeof api>;
  let keyA: string;
  let templateId: string;
  let badgeTemplateId: string;
  let achievementId: string;
  let credential: {id: string; url: string};
  let documentText: string;

  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({method: 'GET', url, headers});

  beforeAll(async () => {
    t = await startLaurel(kind);
    const org = await createOrg(t.app, {name: 'Acme Academy', slug: 'acme'});
    keyA = org.apiKey;
    a = api(t.app, keyA);
    templateId = (await a.post('/api/v1/templates', {name: 'Course', layout: certificateLayout()})).json().id;
    badgeTemplateId = (await a.post('/api/v1/templates', {name: 'Badge', layout: badgeLayout('{{recipient.name}}')})).json().id;
    achievementId = (await a.post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Data Literacy',
      templates: {certificate: templateId, badge: badgeTemplateId}})).json().id;
    const res = await a.post('/api/v1/credentials', {achievementId, recipient: {name: 'Ada Lovelace', email: 'ada@example.org'},
      fields: {grade: 'A+ with honours'}});
    expect(res.statusCode, res.body).toBe(201);
    credential = res.json();
    documentText = (await get(`/c/${credential.id}.json`)).body;
  });
  afterAll(() => t?.close());

  it('serves the certificate PDF with the stored credential attached, the fields and a QR code to the credential page', async () => {
    const res = await get(`/c/${credential.id}/certificate.pdf`);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['content-disposition']).toBeUndefined();
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfAttachment(pdf, 'credential.json')).toBe(documentText);
    const text = pdfText(pdf);
    expect(text).toContain('Ada Lovelace');
    expect(text).toContain('Grade: A+ with honours');
    expect(text).toContain('Data Literacy');
    expect(credential.url).toBe(`${PUBLIC_URL}/c/${credential.id}`);
    expect(pdfQr(pdf)).toBe(credential.url);
  });

  it('answers from the cache: identical bytes, 304 on If-None-Match, one stored render', async () => {
    const first = await get(`/c/${credential.id}/certificate.pdf`);
    const second = await get(`/c/${credential.id}/certificate.pdf`);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(Buffer.compare(second.rawPayload, first.rawPayload)).toBe(0);
    const revalidated = await get(`/c/${credential.id}/certificate.pdf`, {'if-none-match': first.headers.etag as string});
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.rawPayload.length).toBe(0);
    expect((await get(`/c/${credential.id}/certificate.pdf`, {'if-none-match': `"nope", W/${first.headers.etag}`})).statusCode).toBe(304);
    expect((await get(`/c/${credential.id}/certificate.pdf`, {'if-none-match': '"other"'})).statusCode).toBe(200);
    const {rows} = await t.db.query<{n: number}>(`SELECT count(*)::int AS n FROM renders WHERE credential_id = $1 AND kind = 'certificate.pdf'`, [credential.id]);
    expect(rows[0].n).toBe(1);
  });

  it('serves a render it has made from memory, and reads it from the table in a new process', async () => {
    const first = await get(`/c/${credential.id}/og.png`);
    expect(first.statusCode).toBe(200);
    const stored = await t.db.query<{etag: string}>(`SELECT etag FROM renders WHERE credential_id = $1 AND kind = 'og.png'`, [credential.id]);
    expect(stored.rows[0].etag).toBe(first.headers.etag);
    // The same process answers from memory: a changed row is not read again (and nothing is re-rendered).
    await t.db.query(`UPDATE renders SET etag = '"from-the-table"' WHERE credential_id = $1 AND kind = 'og.png'`, [credential.id]);
    expect((await get(`/c/${credential.id}/og.png`)).headers.etag).toBe(first.headers.etag);
    // A service with an empty memory (as after a restart) reads the stored render instead of rendering again.
    const fresh = new RenderService(t.services.ctx, t.services.organizations, t.services.assets, t.services.templates);
    expect((await fresh.forPublic(credential.id, 'og.png', null)).etag).toBe('"from-the-table"');
  });

  it('offers a download with a safe file name', async () => {
    const res = await get(`/c/${credential.id}/certificate.pdf?download=1`);
    expect(res.headers['content-disposition']).toBe('attachment; filename="data-literacy-ada-lovelace.pdf"');
    const hostile = (await a.post('/api/v1/credentials', {achievementId, recipient: {name: '"; filename=evil.exe\r\nX: ü'}})).json();
    const disposition = (await get(`/c/${hostile.id}/badge.png?download=1`)).headers['content-disposition'] as string;
    expect(disposition).toMatch(/^attachment; filename="[a-z0-9-]+\.png"$/);
  });

  it('renders the certificate as PNG and the 1200×627 Open Graph image', async () => {
    const image = await get(`/c/${credential.id}/image.png`);
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    const png = PNG.sync.read(image.rawPayload);
    expect(png.width).toBeGreaterThan(png.height);
    const og = await get(`/c/${credential.id}/og.png`);
    expect(og.statusCode).toBe(200);
    const ogPng = PNG.sync.read(og.rawPayload);
    expect([ogPng.width, ogPng.height]).toEqual([1200, 627]);
  });

  it('bakes the badge (PNG and SVG) with exactly the stored document, which verifies', async () => {
    const png = await get(`/c/${credential.id}/badge.png`);
    expect(png.statusCode, png.body.slice(0, 300)).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    const fromPng = unbakePng(png.rawPayload);
    expect(fromPng).toEqual({ok: true, text: documentText});
    expect(PNG.sync.read(png.rawPayload).width).toBe(400);

    const svg = await get(`/c/${credential.id}/badge.svg`);
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.headers['content-security-policy']).toContain("default-src 'none'");
    const fromSvg = unbakeSvg(svg.body);
    expect(fromSvg).toEqual({ok: true, text: documentText});

    for(const text of [documentText]) {
      const verified = await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {credential: JSON.parse(text)}});
      expect(verified.json().verified, verified.body).toBe(true);
    }
  });

  it('renders again when the template gets a new version, and not before', async () => {
    const before = await get(`/c/${credential.id}/certificate.pdf`);
    const put = await a.put(`/api/v1/templates/${templateId}`, {layout: certificateLayout('Awarded: {{achievement.name}}')});
    expect(put.json().version).toBe(2);
    const after = await get(`/c/${credential.id}/certificate.pdf`, {'if-none-match': before.headers.etag as string});
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(pdfText(after.rawPayload)).toContain('Awarded: Data Literacy');
    const {rows} = await t.db.query<{template_version: number; n: number}>(
      `SELECT template_version, count(*) OVER ()::int AS n FROM renders WHERE credential_id = $1 AND kind = 'certificate.pdf'`, [credential.id]);
    expect(rows).toEqual([{template_version: 2, n: 1}]);
    // A rename alone changes nothing that renders.
    await a.put(`/api/v1/templates/${templateId}`, {name: 'Renamed', layout: certificateLayout('Awarded: {{achievement.name}}')});
    expect((await get(`/c/${credential.id}/certificate.pdf`)).headers.etag).toBe(after.headers.etag);
  });

  it('renders again when the brand changes', async () => {
    const before = await get(`/c/${credential.id}/badge.png`);
    await a.patch('/api/v1/organization', {brandColor: '#aa0000'});
    const after = await get(`/c/${credential.id}/badge.png`);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(unbakePng(after.rawPayload)).toEqual({ok: true, text: documentText});
  });

  it('makes one render for concurrent first requests', async () => {
    const fresh = (await a.post('/api/v1/credentials', {achievementId, recipient: {name: 'Grace Hopper'}})).json();
    const make = vi.spyOn(t.services.renders as unknown as {make: (...args: unknown[]) => Promise<Buffer>}, 'make');
    const responses = await Promise.all(Array.from({length: 5}, () => get(`/c/${fresh.id}/image.png`)));
    expect(make.mock.calls.map(call => call[1])).toEqual(['image.png']);
    make.mockRestore();
    for(const res of responses) {
      expect(res.statusCode).toBe(200);
      expect(Buffer.compare(res.rawPayload, responses[0].rawPayload)).toBe(0);
    }
    expect(new Set(responses.map(r => r.headers.etag)).size).toBe(1);
  });

  it('falls back to the organization\'s newest active template, then the starters', async () => {
    const other = await createOrg(t.app, {name: 'Plain School', slug: 'plain'});
    const c = api(t.app, other.apiKey);
    const plain = (await c.post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Plain Course'})).json().id;
    const issued = (await c.post('/api/v1/credentials', {achievementId: plain, recipient: {name: 'Alan Turing'}})).json();
    // No templates at all: the classic-certificate and round-badge starters.
    const starter = await get(`/c/${issued.id}/certificate.pdf`);
    expect(starter.statusCode).toBe(200);
    expect(pdfText(starter.rawPayload)).toContain('Alan Turing');
    expect(pdfAttachment(starter.rawPayload, 'credential.json')).toBe((await get(`/c/${issued.id}.json`)).body);
    expect(unbakePng((await get(`/c/${issued.id}/badge.png`)).rawPayload).ok).toBe(true);
    const {rows: starterRows} = await t.db.query<{template_id: string}>(
      `SELECT template_id FROM renders WHERE credential_id = $1 ORDER BY kind`, [issued.id]);
    expect(starterRows.map(r => r.template_id)).toEqual(['starter:round-badge', 'starter:classic-certificate']);

    // The organization's newest active certificate template wins over the starter…
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    await c.post('/api/v1/templates', {name: 'Older', layout: certificateLayout('Older template')});
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    const newest = (await c.post('/api/v1/templates', {name: 'Newest', layout: certificateLayout('Newest template')})).json().id;
    expect(pdfText((await get(`/c/${issued.id}/certificate.pdf`)).rawPayload)).toContain('Newest template');
    // …while it is active.
    await c.post(`/api/v1/templates/${newest}/archive`);
    expect(pdfText((await get(`/c/${issued.id}/certificate.pdf`)).rawPayload)).toContain('Older template');
    // The achievement's diploma template comes before the organization's.
    const diploma = (await c.post('/api/v1/templates', {name: 'Diploma', layout: {...certificateLayout('A diploma'), format: 'diploma'}})).json().id;
    await c.patch(`/api/v1/achievements/${plain}`, {templates: {diploma}});
    expect(pdfText((await get(`/c/${issued.id}/certificate.pdf`)).rawPayload)).toContain('A diploma');
    // An achievement's template archived later still renders its credentials.
    await c.post(`/api/v1/templates/${diploma}/archive`);
    expect(pdfText((await get(`/c/${issued.id}/certificate.pdf`)).rawPayload)).toContain('A diploma');
  });

  it('answers 404 CREDENTIAL_NOT_FOUND alike for hidden and unknown credentials', async () => {
    const hidden = (await a.post('/api/v1/credentials', {achievementId, recipient: {name: 'Hidden Person'}})).json();
    expect((await get(`/c/${hidden.id}/certificate.pdf`)).statusCode).toBe(200);
    await t.db.query('UPDATE credentials SET hidden_at = now() WHERE id = $1', [hidden.id]);
    const problems = [];
    for(const id of [hidden.id, 'no-such-credential', '..%2F..%2Fetc']) {
      for(const kind of ['certificate.pdf', 'image.png', 'og.png', 'badge.png', 'badge.svg']) {
        const res = await get(`/c/${id}/${kind}`);
        expect(res.statusCode, `${id}/${kind}`).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        problems.push({...res.json(), instance: undefined});
      }
    }
    // Hidden and missing are indistinguishable.
    expect(new Set(problems.map(p => JSON.stringify(p))).size).toBe(1);
    expect(problems[0].code).toBe('CREDENTIAL_NOT_FOUND');
  });

  it('serves only an organization\'s own credentials on its own domain', async () => {
    const domainOrg = await createOrg(t.app, {name: 'Example University', slug: 'exu', domain: 'certs.example.edu'});
    const d = api(t.app, domainOrg.apiKey);
    const course = (await d.post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const theirs = (await d.post('/api/v1/credentials', {achievementId: course, recipient: {name: 'Marie Curie'}})).json();
    const onDomain = (url: string) => get(url, {host: 'certs.example.edu'});
    expect((await onDomain(`/c/${theirs.id}/badge.png`)).statusCode).toBe(200);
    expect((await onDomain(`/c/${credential.id}/badge.png`)).statusCode).toBe(404);
    // The main host serves every organization's.
    expect((await get(`/c/${theirs.id}/badge.png`)).statusCode).toBe(200);
    expect(pdfQr((await onDomain(`/c/${theirs.id}/certificate.pdf`)).rawPayload)).toBe(`https://certs.example.edu/c/${theirs.id}`);
  });

  it('carries the fields of a bulk upload into the render', async () => {
    const res = await a.post('/api/v1/batches', {achievementId, sendEmail: false,
      rows: [{name: 'Row One', fields: {grade: 'B'}}, {name: 'Row Two', fields: {grade: 'Merit'}}]});
    expect(res.statusCode, res.body).toBe(202);
    const batchId = res.json().id;
    await eventually(async () => {
      const view = (await a.get(`/api/v1/batches/${batchId}`)).json();
      return view.status === 'completed' ? view : undefined;
    });
    const {rows} = await t.db.query<{id: string; recipient_name: string; fields: Record<string, string>}>(
      `SELECT c.id, c.recipient_name, c.fields FROM batch_rows r JOIN credentials c ON c.id = r.credential_id WHERE r.batch_id = $1 ORDER BY r.row_number`, [batchId]);
    expect(rows.map(r => [r.recipient_name, r.fields])).toEqual([['Row One', {grade: 'B'}], ['Row Two', {grade: 'Merit'}]]);
    expect(pdfText((await get(`/c/${rows[1].id}/certificate.pdf`)).rawPayload)).toContain('Grade: Merit');
  });
});
