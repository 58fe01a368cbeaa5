/**
 * Templates and assets (issue 7) through the HTTP API, on every backend: template CRUD,
 * immutable versions, archive, per-block validation problems, previews in PDF, PNG and
 * SVG, image uploads (PNG and JPEG only, by content), tenant isolation, achievements
 * picking templates per format, the organization's brand settings and custom fields.
 */
import {DOMParser} from '@xmldom/xmldom';
import {PNG} from 'pngjs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';
import {badgeLayout, certificateLayout, JPEG_20x15, multipart, pdfText, pngBytes} from './render-helpers.js';

describe.each(BACKENDS)('templates and assets on %s', kind => {
  let t: TestLaurel;
  let a: ReturnType<typeof api>, b: ReturnType<typeof api>;
  let keyA: string, keyB: string;

  beforeAll(async () => {
    t = await startLaurel(kind);
    const orgA = await createOrg(t.app, {name: 'Acme Academy', slug: 'acme'});
    const orgB = await createOrg(t.app, {name: 'Rival Institute', slug: 'rival'});
    keyA = orgA.apiKey;
    keyB = orgB.apiKey;
    a = api(t.app, orgA.apiKey);
    b = api(t.app, orgB.apiKey);
  });
  afterAll(() => t?.close());

  const upload = (key: string, bytes: Buffer, filename?: string, contentType?: string) => {
    const body = multipart(bytes, filename, contentType);
    return t.app.inject({method: 'POST', url: '/api/v1/assets', payload: body.payload, headers: {authorization: `Bearer ${key}`, ...body.headers}});
  };

  describe('assets', () => {
    it('stores a PNG with its size from the header, returns the same asset for the same bytes, and serves it back', async () => {
      const png = pngBytes(30, 20);
      const res = await upload(keyA, png);
      expect(res.statusCode, res.body).toBe(201);
      const asset = res.json();
      expect(asset).toMatchObject({mime: 'image/png', width: 30, height: 20});
      expect(asset.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(asset.sha256).toMatch(/^[0-9a-f]{64}$/);
      const again = await upload(keyA, png, 'other-name.png');
      expect(again.statusCode).toBe(200);
      expect(again.json().id).toBe(asset.id);
      const got = await a.get(`/api/v1/assets/${asset.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.headers['content-type']).toBe('image/png');
      expect(Buffer.compare(got.rawPayload, png)).toBe(0);
      const revalidated = await a.get(`/api/v1/assets/${asset.id}`, {'if-none-match': got.headers.etag as string});
      expect(revalidated.statusCode).toBe(304);
    });

    it('stores a JPEG, whatever name and type the client claims', async () => {
      const res = await upload(keyA, JPEG_20x15, 'photo.bin', 'application/octet-stream');
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({mime: 'image/jpeg', width: 20, height: 15});
      const got = await a.get(`/api/v1/assets/${res.json().id}`);
      expect(got.headers['content-type']).toBe('image/jpeg');
    });

    it('refuses SVG, GIF, WebP and anything else by content, with a code, even when named .png', async () => {
      const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
      const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
      const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 '), Buffer.alloc(20)]);
      for(const [bytes, detected] of [[svg, 'svg'], [gif, 'gif'], [webp, 'webp'], [Buffer.from('just some text'), 'unknown']] as const) {
        const res = await upload(keyA, bytes, 'image.png', 'image/png');
        expect(res.statusCode, detected).toBe(415);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({code: 'ASSET_TYPE_UNSUPPORTED', detected});
      }
    });

    it('refuses a PNG with a corrupt header, a JPEG without a frame header and an empty file as ASSET_INVALID', async () => {
      const corrupt = Buffer.from(pngBytes());
      corrupt[17] ^= 0xff; // inside IHDR's width: the CRC no longer matches
      const noFrame = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9]);
      for(const bytes of [corrupt, noFrame, pngBytes().subarray(0, 20), Buffer.alloc(0)]) {
        const res = await upload(keyA, bytes);
        expect(res.statusCode, res.body).toBe(422);
        expect(res.json().code).toBe('ASSET_INVALID');
      }
    });

    it('refuses images that would decode into too many pixels', async () => {
      const huge = Buffer.from(pngBytes(1, 1));
      const view = new DataView(huge.buffer, huge.byteOffset);
      view.setUint32(16, 20_000);
      view.setUint32(20, 20_000);
      // Fix the IHDR CRC so only the size is wrong.
      const {crc32} = await import('@laurel/core');
      view.setUint32(29, crc32(huge.subarray(12, 29)));
      const res = await upload(keyA, huge);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('ASSET_INVALID');
    });

    it('answers 413 ASSET_TOO_LARGE beyond 5 MiB', async () => {
      const big = Buffer.concat([pngBytes(), Buffer.alloc(5 * 1024 * 1024)]);
      const res = await upload(keyA, big);
      expect(res.statusCode).toBe(413);
      expect(res.json().code).toBe('ASSET_TOO_LARGE');
    });

    it('needs multipart with a file part and an API key', async () => {
      const json = await a.post('/api/v1/assets', {image: 'iVBOR…'});
      expect(json.statusCode).toBe(415);
      expect(json.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const boundary = 'xyz';
      const noFile = await t.app.inject({method: 'POST', url: '/api/v1/assets', headers: {authorization: `Bearer ${keyA}`,
        'content-type': `multipart/form-data; boundary=${boundary}`},
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`});
      expect(noFile.statusCode).toBe(400);
      const anonymous = await t.app.inject({method: 'POST', url: '/api/v1/assets', ...multipart(pngBytes())});
      expect(anonymous.statusCode).toBe(401);
    });

    it('keeps tenants apart: another organization\'s asset is 404, and so is a malformed id', async () => {
      const mine = (await upload(keyA, pngBytes(7, 7))).json();
      for(const res of [await b.get(`/api/v1/assets/${mine.id}`), await a.get('/api/v1/assets/not-a-uuid'),
        await a.get('/api/v1/assets/00000000-0000-4000-8000-000000000000')]) {
        expect(res.statusCode).toBe(404);
        expect(res.json().code).toBe('ASSET_NOT_FOUND');
      }
    });
  });

  describe('templates', () => {
    it('creates, reads, lists, versions and archives a template', async () => {
      const created = await a.post('/api/v1/templates', {name: 'Course certificate', layout: certificateLayout()});
      expect(created.statusCode, created.body).toBe(201);
      const tpl = created.json();
      expect(tpl).toMatchObject({name: 'Course certificate', format: 'certificate', version: 1, status: 'active', archivedAt: null});
      expect(tpl.layout.blocks.map((block: {id: string}) => block.id)).toEqual(['title', 'name', 'grade', 'qr', 'verify']);

      const got = (await a.get(`/api/v1/templates/${tpl.id}`)).json();
      expect(got.layout).toEqual(tpl.layout);

      // A new layout is a new version; the old one stays as it was.
      const v2 = await a.put(`/api/v1/templates/${tpl.id}`, {name: 'Course certificate (2026)', layout: certificateLayout('Well done, {{recipient.name}}')});
      expect(v2.statusCode, v2.body).toBe(200);
      expect(v2.json()).toMatchObject({version: 2, name: 'Course certificate (2026)'});
      expect((await a.get(`/api/v1/templates/${tpl.id}`)).json().layout.blocks[0].text).toBe('Well done, {{recipient.name}}');
      const versions = (await a.get(`/api/v1/templates/${tpl.id}/versions`)).json();
      expect(versions.items.map((v: {version: number; current: boolean}) => [v.version, v.current])).toEqual([[2, true], [1, false]]);
      const v1 = (await a.get(`/api/v1/templates/${tpl.id}/versions/1`)).json();
      expect(v1).toMatchObject({templateId: tpl.id, version: 1});
      expect(v1.layout.blocks[0].text).toBe('Certificate of {{achievement.name}}');
      for(const missing of ['9', '0', 'abc']) {
        const res = await a.get(`/api/v1/templates/${tpl.id}/versions/${missing}`);
        expect(res.statusCode).toBe(404);
        expect(res.json().code).toBe('TEMPLATE_VERSION_NOT_FOUND');
      }

      // The same layout again makes no version; a rename alone does not either.
      const same = await a.put(`/api/v1/templates/${tpl.id}`, {layout: certificateLayout('Well done, {{recipient.name}}')});
      expect(same.json().version).toBe(2);
      const renamed = await a.put(`/api/v1/templates/${tpl.id}`, {name: 'Renamed', layout: certificateLayout('Well done, {{recipient.name}}')});
      expect(renamed.json()).toMatchObject({version: 2, name: 'Renamed'});

      // The format never changes.
      const badge = await a.put(`/api/v1/templates/${tpl.id}`, {layout: badgeLayout()});
      expect(badge.statusCode).toBe(422);
      expect(badge.json().code).toBe('TEMPLATE_FORMAT_MISMATCH');

      // Archived: no more changes (409), listed only as archived; restoring lifts it.
      const archived = await a.post(`/api/v1/templates/${tpl.id}/archive`);
      expect(archived.json()).toMatchObject({status: 'archived'});
      expect(archived.json().archivedAt).toBeTruthy();
      const refused = await a.put(`/api/v1/templates/${tpl.id}`, {layout: certificateLayout('Changed')});
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('TEMPLATE_ARCHIVED');
      const active = (await a.get('/api/v1/templates?status=active&limit=200')).json().items.map((i: {id: string}) => i.id);
      expect(active).not.toContain(tpl.id);
      expect((await a.get('/api/v1/templates?status=archived')).json().items.map((i: {id: string}) => i.id)).toContain(tpl.id);
      expect((await a.post(`/api/v1/templates/${tpl.id}/archive`)).json().status).toBe('archived');
      expect((await a.post(`/api/v1/templates/${tpl.id}/unarchive`)).json().status).toBe('active');
      expect((await a.put(`/api/v1/templates/${tpl.id}`, {layout: certificateLayout('Changed')})).json().version).toBe(3);

      // Every change is in the audit log.
      const audit = (await a.get(`/api/v1/audit?subjectId=${tpl.id}&order=asc`)).json().items.map((e: {action: string}) => e.action);
      expect(audit).toEqual(['template.created', 'template.updated', 'template.updated', 'template.archived', 'template.unarchived', 'template.updated']);
    });

    it('copies the starter templates', async () => {
      for(const [starter, format] of [['classic-certificate', 'certificate'], ['modern-diploma', 'diploma'], ['round-badge', 'badge']] as const) {
        const res = await a.post('/api/v1/templates', {starter});
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()).toMatchObject({format, version: 1});
        expect(res.json().name.length).toBeGreaterThan(0);
        expect(res.json().layout.blocks.length).toBeGreaterThan(0);
      }
      const named = await a.post('/api/v1/templates', {starter: 'round-badge', name: 'Our badge'});
      expect(named.json().name).toBe('Our badge');
      const unknown = await a.post('/api/v1/templates', {starter: 'fancy'});
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().code).toBe('VALIDATION_FAILED');
    });

    it('lists newest first with cursor pagination and a format filter', async () => {
      const fresh = await createOrg(t.app, {name: 'Lister', slug: 'lister'});
      const c = api(t.app, fresh.apiKey);
      const ids: string[] = [];
      for(let i = 0; i < 3; i++) {
        t.clock.now = new Date(t.clock.now.getTime() + 1000);
        ids.push((await c.post('/api/v1/templates', {name: `Cert ${i}`, layout: certificateLayout()})).json().id);
      }
      const badgeId = (await c.post('/api/v1/templates', {name: 'Badge', layout: badgeLayout()})).json().id;
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: {items: {id: string; layout?: unknown}[]; nextCursor: string | null} =
          (await c.get(`/api/v1/templates?format=certificate&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map(i => i.id));
        cursor = page.nextCursor;
      } while(cursor);
      expect(seen).toEqual([...ids].reverse());
      expect((await c.get('/api/v1/templates?format=badge')).json().items.map((i: {id: string}) => i.id)).toEqual([badgeId]);
      expect((await c.get('/api/v1/templates?format=poster')).statusCode).toBe(400);
      expect((await c.get('/api/v1/templates?cursor=garbage')).statusCode).toBe(400);
    });

    it('refuses an invalid layout with 422 TEMPLATE_INVALID and a problem per block', async () => {
      const bad = certificateLayout();
      (bad.blocks[0] as Record<string, unknown>).size = -4;
      (bad.blocks[1] as Record<string, unknown>).text = 'Hello {{recipient.nmae}}';
      const res = await a.post('/api/v1/templates', {name: 'Broken', layout: bad});
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.json();
      expect(body.code).toBe('TEMPLATE_INVALID');
      expect(Array.isArray(body.problems)).toBe(true);
      const byBlock = (id: string) => body.problems.filter((p: {blockId?: string}) => p.blockId === id);
      expect(byBlock('title').length).toBeGreaterThan(0);
      expect(byBlock('title')[0].path.slice(0, 2)).toEqual(['blocks', 0]);
      expect(byBlock('name').length).toBeGreaterThan(0);
      for(const p of body.problems) expect(typeof p.code === 'string' && typeof p.message === 'string').toBe(true);

      // Nothing was stored.
      expect((await a.get('/api/v1/templates?limit=200')).json().items.map((i: {name: string}) => i.name)).not.toContain('Broken');

      // The validate endpoint answers the same problems with 200.
      const checked = await a.post('/api/v1/templates/validate', {layout: bad});
      expect(checked.statusCode).toBe(200);
      expect(checked.json()).toEqual({valid: false, problems: body.problems});
      expect((await a.post('/api/v1/templates/validate', {layout: certificateLayout()})).json()).toEqual({valid: true, problems: []});
      for(const junk of [null, 42, 'layout', {format: 'poster', blocks: []}]) {
        const r = await a.post('/api/v1/templates/validate', {layout: junk});
        expect(r.statusCode).toBe(200);
        expect(r.json().valid).toBe(false);
        expect(r.json().problems.length).toBeGreaterThan(0);
      }
      // The request envelope itself is checked like every body.
      expect((await a.post('/api/v1/templates', {layout: certificateLayout()})).statusCode).toBe(400);
      expect((await a.post('/api/v1/templates/validate', {})).statusCode).toBe(400);
    });

    it('checks asset references against the organization\'s own assets, per block', async () => {
      const mine = (await upload(keyA, pngBytes(40, 40, [0, 120, 0]))).json().id;
      const theirs = (await upload(keyB, pngBytes(41, 41))).json().id;
      const layout = certificateLayout('Hello', [
        {id: 'logoMine', type: 'image', x: 20, y: 20, width: 60, height: 60, source: {assetId: mine}},
        {id: 'logoTheirs', type: 'image', x: 100, y: 20, width: 60, height: 60, source: {assetId: theirs}},
        {id: 'sig', type: 'signature', x: 60, y: 300, width: 200, height: 80, name: 'Dean', assetId: '00000000-0000-4000-8000-000000000000'},
      ]);
      const res = await a.post('/api/v1/templates', {name: 'With images', layout});
      expect(res.statusCode).toBe(422);
      const problems = res.json().problems as {code: string; blockId?: string; path: (string | number)[]}[];
      expect(problems.map(p => [p.code, p.blockId])).toEqual([['TEMPLATE_ASSET_NOT_FOUND', 'logoTheirs'], ['TEMPLATE_ASSET_NOT_FOUND', 'sig']]);
      expect(problems[0].path).toEqual(['blocks', 6, 'source', 'assetId']);
      const bg = {...certificateLayout('Hello'), background: {kind: 'image', assetId: theirs}};
      const bgRes = (await a.post('/api/v1/templates/validate', {layout: bg})).json();
      expect(bgRes.problems).toEqual([expect.objectContaining({code: 'TEMPLATE_ASSET_NOT_FOUND', path: ['background', 'assetId']})]);
      const ok = await a.post('/api/v1/templates', {name: 'With my image', layout: certificateLayout('Hello', [layout.blocks[5]])});
      expect(ok.statusCode, ok.body).toBe(201);
    });

    it('keeps tenants apart: another organization\'s template is 404 everywhere', async () => {
      const tpl = (await a.post('/api/v1/templates', {name: 'Private', layout: certificateLayout()})).json();
      const calls = [
        b.get(`/api/v1/templates/${tpl.id}`), b.put(`/api/v1/templates/${tpl.id}`, {layout: certificateLayout('Mine now')}),
        b.get(`/api/v1/templates/${tpl.id}/versions`), b.get(`/api/v1/templates/${tpl.id}/versions/1`),
        b.post(`/api/v1/templates/${tpl.id}/archive`), b.post('/api/v1/templates/preview?format=pdf', {templateId: tpl.id}),
        a.get('/api/v1/templates/not-a-uuid'), a.get('/api/v1/templates/00000000-0000-4000-8000-000000000000'),
      ];
      for(const res of await Promise.all(calls)) {
        expect(res.statusCode, res.body).toBe(404);
        expect(res.json().code).toBe('TEMPLATE_NOT_FOUND');
      }
      expect((await b.get('/api/v1/templates?limit=200')).json().items.map((i: {id: string}) => i.id)).not.toContain(tpl.id);
      expect((await a.get(`/api/v1/templates/${tpl.id}`)).json().version).toBe(1);
    });
  });

  describe('previews', () => {
    it('renders a draft as PDF, PNG and SVG with sample data and overrides, storing nothing', async () => {
      const before = await counts();
      const pdf = await a.post('/api/v1/templates/preview?format=pdf', {layout: certificateLayout(),
        sample: {recipient: {name: 'Grace Hopper'}, fields: {grade: 'Distinction'}}});
      expect(pdf.statusCode, pdf.body).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(pdf.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const text = pdfText(pdf.rawPayload);
      expect(text).toContain('Grace Hopper');
      expect(text).toContain('Grade: Distinction');

      const png = await a.post('/api/v1/templates/preview?format=png', {layout: certificateLayout()});
      expect(png.statusCode, png.body).toBe(200);
      expect(png.headers['content-type']).toBe('image/png');
      const decoded = PNG.sync.read(png.rawPayload);
      expect(decoded.width).toBeGreaterThan(decoded.height); // landscape
      const narrow = PNG.sync.read((await a.post('/api/v1/templates/preview?format=png&width=300', {layout: certificateLayout()})).rawPayload);
      expect(narrow.width).toBe(300);

      const svg = await a.post('/api/v1/templates/preview?format=svg', {layout: badgeLayout()});
      expect(svg.statusCode, svg.body).toBe(200);
      expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
      const errors: string[] = [];
      const doc = new DOMParser({onError: (level: string, message: string) => { if(level !== 'warning') errors.push(message); }})
        .parseFromString(svg.body, 'image/svg+xml');
      expect(errors).toEqual([]);
      expect(doc.documentElement?.localName).toBe('svg');
      expect(svg.body).not.toMatch(/<script/i);

      expect(await counts()).toEqual(before);
    });

    it('renders a stored template at its current or a given version', async () => {
      const tpl = (await a.post('/api/v1/templates', {name: 'Versioned', layout: certificateLayout('First edition')})).json();
      await a.put(`/api/v1/templates/${tpl.id}`, {layout: certificateLayout('Second edition')});
      const current = pdfText((await a.post('/api/v1/templates/preview', {templateId: tpl.id})).rawPayload);
      expect(current).toContain('Second edition');
      const first = pdfText((await a.post('/api/v1/templates/preview?format=pdf', {templateId: tpl.id, version: 1})).rawPayload);
      expect(first).toContain('First edition');
      const missing = await a.post('/api/v1/templates/preview', {templateId: tpl.id, version: 7});
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('TEMPLATE_VERSION_NOT_FOUND');
    });

    it('answers an invalid draft with 422 and its problems, and a bad request with 400', async () => {
      const bad = certificateLayout();
      (bad.blocks[2] as Record<string, unknown>).width = 0;
      const res = await a.post('/api/v1/templates/preview?format=png', {layout: bad});
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('TEMPLATE_INVALID');
      expect(res.json().problems.some((p: {blockId?: string}) => p.blockId === 'grade')).toBe(true);
      expect((await a.post('/api/v1/templates/preview?format=gif', {layout: certificateLayout()})).statusCode).toBe(400);
      expect((await a.post('/api/v1/templates/preview', {layout: certificateLayout(), sample: {recipient: {email: 'x@y.z'}}})).statusCode).toBe(400);
      expect((await a.post('/api/v1/templates/preview', {})).statusCode).toBe(400);
      expect((await t.app.inject({method: 'POST', url: '/api/v1/templates/preview', payload: {layout: certificateLayout()}})).statusCode).toBe(401);
    });
  });

  describe('achievements pick templates', () => {
    it('stores a template per format, checks organization and format, and keeps them through PATCH and PUT', async () => {
      const cert = (await a.post('/api/v1/templates', {name: 'C', layout: certificateLayout()})).json().id;
      const diploma = (await a.post('/api/v1/templates', {starter: 'modern-diploma'})).json().id;
      const badge = (await a.post('/api/v1/templates', {name: 'B', layout: badgeLayout()})).json().id;
      const created = await a.post('/api/v1/achievements', {...ACHIEVEMENT, templates: {certificate: cert, badge}});
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id;
      expect(created.json().templates).toEqual({certificate: cert, diploma: null, badge});
      expect((await a.get(`/api/v1/achievements/${id}`)).json().templates).toEqual({certificate: cert, diploma: null, badge});

      // PATCH of another field and PUT without templates keep them.
      expect((await a.patch(`/api/v1/achievements/${id}`, {name: 'Teamwork II'})).json().templates).toEqual({certificate: cert, diploma: null, badge});
      expect((await a.put(`/api/v1/achievements/${id}`, ACHIEVEMENT)).json().templates).toEqual({certificate: cert, diploma: null, badge});
      // null clears one; others stay.
      const cleared = await a.patch(`/api/v1/achievements/${id}`, {templates: {certificate: null, diploma}});
      expect(cleared.json().templates).toEqual({certificate: null, diploma, badge});

      // A template of the wrong format, of another organization, unknown or archived is refused.
      const mismatch = await a.patch(`/api/v1/achievements/${id}`, {templates: {certificate: badge}});
      expect(mismatch.statusCode).toBe(422);
      expect(mismatch.json()).toMatchObject({code: 'TEMPLATE_FORMAT_MISMATCH', errors: [{path: 'templates.certificate'}]});
      const foreign = (await b.post('/api/v1/templates', {name: 'Theirs', layout: certificateLayout()})).json().id;
      for(const other of [foreign, '00000000-0000-4000-8000-000000000000']) {
        const res = await a.post('/api/v1/achievements', {...ACHIEVEMENT, templates: {certificate: other}});
        expect(res.statusCode).toBe(404);
        expect(res.json().code).toBe('TEMPLATE_NOT_FOUND');
      }
      await a.post(`/api/v1/templates/${cert}/archive`);
      const archived = await a.patch(`/api/v1/achievements/${id}`, {templates: {certificate: cert}});
      expect(archived.statusCode).toBe(422);
      expect(archived.json().code).toBe('TEMPLATE_ARCHIVED');
      expect((await a.post('/api/v1/achievements', {...ACHIEVEMENT, templates: {badge: 'not-a-uuid'}})).statusCode).toBe(400);
      // Nothing half-done: the refused changes left the achievement as it was.
      expect((await a.get(`/api/v1/achievements/${id}`)).json().templates).toEqual({certificate: null, diploma, badge});

      // A template archived after it was picked stays picked, and other edits still work.
      await a.post(`/api/v1/templates/${badge}/archive`);
      const renamed = await a.patch(`/api/v1/achievements/${id}`, {name: 'Teamwork III'});
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(renamed.json().templates.badge).toBe(badge);
      // The achievement embedded in credentials does not mention templates.
      expect(JSON.stringify(renamed.json().achievement)).not.toContain(badge);
    });
  });

  describe('organization brand and custom fields', () => {
    it('sets brandColor, brandSecondaryColor and a logo from an uploaded image', async () => {
      const res = await a.patch('/api/v1/organization', {brandColor: '#0A7F3F', brandSecondaryColor: '#C9A227'});
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({brandColor: '#0a7f3f', brandSecondaryColor: '#c9a227'});
      const bad = await a.patch('/api/v1/organization', {brandSecondaryColor: 'gold'});
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors[0].path).toBe('brandSecondaryColor');

      const logo = (await upload(keyA, pngBytes(64, 64, [10, 10, 200]))).json().id;
      const withLogo = await a.patch('/api/v1/organization', {logo});
      expect(withLogo.statusCode, withLogo.body).toBe(200);
      expect(withLogo.json().logo).toBe(logo);
      const theirs = await b.patch('/api/v1/organization', {logo});
      expect(theirs.statusCode).toBe(404);
      expect(theirs.json().code).toBe('ASSET_NOT_FOUND');
      expect((await a.patch('/api/v1/organization', {logo: 'ftp://x'})).statusCode).toBe(400);

      // An uploaded logo has no public URL: credentials' issuer profile leaves it out.
      const achievement = (await a.post('/api/v1/achievements', ACHIEVEMENT)).json().id;
      const issued = (await a.post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'Ada'}})).json();
      expect(issued.credential.issuer.image).toBeUndefined();
      const entry = (await a.get('/api/v1/audit?action=organization.updated')).json().items[0];
      expect(entry.after).toEqual({logo});
      await a.patch('/api/v1/organization', {logo: 'https://acme.test/logo.png'});
      const later = (await a.post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'Ada'}})).json();
      expect(later.credential.issuer.image).toEqual({id: 'https://acme.test/logo.png', type: 'Image'});
    });

    it('stores custom fields with a credential (not in the signed document) and checks their names and sizes', async () => {
      const achievement = (await a.post('/api/v1/achievements', ACHIEVEMENT)).json().id;
      const res = await a.post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'Ada'}, fields: {grade: 'A+', hours: '12'}});
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().fields).toEqual({grade: 'A+', hours: '12'});
      expect(JSON.stringify(res.json().credential)).not.toContain('A+');
      expect((await a.get(`/api/v1/credentials/${res.json().id}`)).json().fields).toEqual({grade: 'A+', hours: '12'});
      const none = (await a.post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'Bob'}})).json();
      expect(none.fields).toEqual({});
      const tooMany = Object.fromEntries(Array.from({length: 51}, (_, i) => [`f${i}`, 'x']));
      for(const fields of [{'bad name': 'x'}, {'1st': 'x'}, {__proto__x: 'fine', constructor: 'x'}, {grade: 'x'.repeat(4097)}, tooMany, {grade: 5}]) {
        const r = await a.post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'Eve'}, fields});
        expect(r.statusCode, JSON.stringify(fields).slice(0, 60)).toBe(400);
        expect(r.json().code).toBe('VALIDATION_FAILED');
      }
    });
  });

  /** Rows that a preview must not add to. */
  async function counts() {
    const {rows} = await t.db.query<{templates: number; versions: number; renders: number; audit: number}>(
      `SELECT (SELECT count(*)::int FROM templates) AS templates, (SELECT count(*)::int FROM template_versions) AS versions,
              (SELECT count(*)::int FROM renders) AS renders, (SELECT count(*)::int FROM audit_entries) AS audit`);
    return rows[0];
  }
});
