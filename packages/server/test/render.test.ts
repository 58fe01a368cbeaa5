/**
 * The render engine (packages/server/src/render): template validation codes per block,
 * placeholders and locale dates, the text layout (shrink, wrap, ellipsis), the PDF checked
 * with poppler (pdftoppm + jsQR for the QR code, pdftotext, pdffonts, pdfdetach, pdfinfo),
 * hostile names through SVG and PNG, the OG image, and every starter in every output.
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {DOMParser} from '@xmldom/xmldom';
import jsQRModule from 'jsqr';
import {PNG} from 'pngjs';
import {afterAll, describe, expect, it} from 'vitest';
import {type AssetLoader, type RenderData, renderOgImage, renderPdf, renderPng, renderSvg, sampleAssets, sampleRenderData,
  STARTER_TEMPLATES, type TemplateLayout, validateTemplate} from '../src/render/index.js';
import {layoutText} from '../src/render/layout.js';
import {fillPlaceholders, formatDate, sanitizeText} from '../src/render/text.js';

// jsqr is CommonJS: under ESM the function may sit on `.default`.
const jsQR = ((jsQRModule as unknown as {default?: unknown}).default ?? jsQRModule) as unknown as
  (data: Uint8ClampedArray, width: number, height: number) => {data: string} | null;

const dir = mkdtempSync(join(tmpdir(), 'laurel-render-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
let fileCount = 0;

function writeTemp(bytes: Uint8Array, ext: string): string {
  const file = join(dir, `f${++fileCount}.${ext}`);
  writeFileSync(file, bytes);
  return file;
}

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, {encoding: 'utf8'});

/** Page 1 of a PDF as RGBA pixels, via pdftoppm's binary PPM (P6) output. */
function pdfPixels(pdf: Buffer, dpi = 150): {width: number; height: number; rgba: Uint8ClampedArray} {
  const file = writeTemp(pdf, 'pdf');
  const ppm = execFileSync('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', file], {maxBuffer: 256 * 1024 * 1024});
  // Header: "P6" whitespace width whitespace height whitespace maxval, one whitespace byte, then RGB.
  let pos = 0;
  const fields: string[] = [];
  while(fields.length < 4) {
    while(/\s/.test(String.fromCharCode(ppm[pos]))) pos++;
    if(ppm[pos] === 0x23) { // a comment
      while(ppm[pos] !== 0x0a) pos++;
      continue;
    }
    let token = '';
    while(!/\s/.test(String.fromCharCode(ppm[pos]))) token += String.fromCharCode(ppm[pos++]);
    fields.push(token);
  }
  pos++;
  expect(fields[0]).toBe('P6');
  const width = Number(fields[1]);
  const height = Number(fields[2]);
  expect(Number(fields[3])).toBe(255);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for(let i = 0; i < width * height; i++) {
    rgba[i * 4] = ppm[pos + i * 3];
    rgba[i * 4 + 1] = ppm[pos + i * 3 + 1];
    rgba[i * 4 + 2] = ppm[pos + i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  return {width, height, rgba};
}

function decodeQr(pixels: {width: number; height: number; rgba: Uint8ClampedArray}): string | null {
  return jsQR(pixels.rgba, pixels.width, pixels.height)?.data ?? null;
}

function png(bytes: Buffer): PNG {
  return PNG.sync.read(bytes);
}

/** A 2 × 2 PNG, made with pngjs. */
function tinyPng(): Buffer {
  const image = new PNG({width: 2, height: 2});
  image.data.fill(200);
  return PNG.sync.write(image);
}

const NO_ASSETS: AssetLoader = {logo: async () => null, asset: async () => null};
const ASSET_ID = '3f1c2e7a-1b3d-4e5f-8a9b-0c1d2e3f4a5b';

function data(overrides: Partial<RenderData> = {}): RenderData {
  return {...sampleRenderData('en'), ...overrides};
}

/** A small valid certificate with one of each block. */
function certificate(blocks: unknown[] = []): Record<string, unknown> {
  return {
    format: 'certificate',
    page: {size: 'A4', orientation: 'landscape'},
    border: {style: 'double'},
    blocks: [
      {id: 'name', type: 'text', text: '{{recipient.name}}', size: 30, minSize: 12, maxLines: 1, x: 60, y: 100, width: 500, height: 50},
      {id: 'qr', type: 'qr', x: 650, y: 400, width: 120, height: 120},
      {id: 'verify', type: 'verify', x: 60, y: 540, width: 700, height: 20},
      ...blocks,
    ],
  };
}

function layoutOf(input: unknown): TemplateLayout {
  const result = validateTemplate(input);
  if(!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.layout;
}

describe('validateTemplate', () => {
  it('accepts a valid layout and fills defaults', () => {
    const result = validateTemplate(certificate());
    expect(result.ok).toBe(true);
    if(result.ok) {
      const text = result.layout.blocks[0];
      expect(text.type === 'text' && text.font).toBe('sans');
    }
  });

  it('rejects what is not an object', () => {
    const result = validateTemplate('nope');
    expect(result.ok).toBe(false);
    if(!result.ok) expect(result.problems.map(p => p.code)).toEqual(['TEMPLATE_NOT_AN_OBJECT']);
  });

  const problems = (input: unknown) => {
    const result = validateTemplate(input);
    expect(result.ok).toBe(false);
    return result.ok ? [] : result.problems;
  };

  it('reports every problem, each with its block id and path', () => {
    const input = certificate([
      {id: 'bad-size', type: 'text', text: 'x', size: 1000, x: 0, y: 0, width: 10, height: 10},
      {id: 'bad-colour', type: 'shape', shape: 'rect', fill: 'red', x: 0, y: 0, width: 10, height: 10},
      {id: 'extra', type: 'qr', x: 0, y: 0, width: 60, height: 60, rotate: 45},
    ]);
    const found = problems(input);
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_INVALID_FIELD', blockId: 'bad-size', path: ['blocks', 3, 'size']}));
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_INVALID_FIELD', blockId: 'bad-colour', path: ['blocks', 4, 'fill']}));
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_UNKNOWN_FIELD', blockId: 'extra', path: ['blocks', 5]}));
    expect(found.length).toBeGreaterThanOrEqual(3);
  });

  it('TEMPLATE_BLOCK_TYPE_UNKNOWN', () => {
    const found = problems(certificate([{id: 'wat', type: 'video', x: 0, y: 0, width: 1, height: 1}]));
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_BLOCK_TYPE_UNKNOWN', blockId: 'wat', path: ['blocks', 3, 'type']}));
  });

  it('TEMPLATE_BLOCK_DUPLICATE_ID on the later block', () => {
    const found = problems(certificate([{id: 'name', type: 'text', text: 'again', size: 12, x: 0, y: 0, width: 100, height: 20}]));
    expect(found).toEqual([expect.objectContaining({code: 'TEMPLATE_BLOCK_DUPLICATE_ID', blockId: 'name', path: ['blocks', 3, 'id']})]);
  });

  it('TEMPLATE_PLACEHOLDER_UNKNOWN in text and signature blocks; fields.* is known', () => {
    const found = problems(certificate([
      {id: 'typo', type: 'text', text: 'Hi {{recipient.nmae}} with {{fields.grade}}', size: 12, x: 0, y: 0, width: 100, height: 20},
      {id: 'sig', type: 'signature', name: '{{issuer.boss}}', x: 100, y: 300, width: 150, height: 60},
      {id: 'proto', type: 'text', text: '{{fields.__proto__}}', size: 12, x: 0, y: 0, width: 100, height: 20},
    ]));
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_PLACEHOLDER_UNKNOWN', blockId: 'typo', path: ['blocks', 3, 'text']}));
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_PLACEHOLDER_UNKNOWN', blockId: 'sig', path: ['blocks', 4, 'name']}));
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_PLACEHOLDER_UNKNOWN', blockId: 'proto'}));
    expect(found.filter(p => p.blockId === 'typo')).toHaveLength(1);
  });

  it('TEMPLATE_PLACEHOLDER_MALFORMED', () => {
    const found = problems(certificate([{id: 'open', type: 'text', text: 'Hello {{recipient.name', size: 12, x: 0, y: 0, width: 100, height: 20}]));
    expect(found).toContainEqual(expect.objectContaining({code: 'TEMPLATE_PLACEHOLDER_MALFORMED', blockId: 'open'}));
  });

  it('TEMPLATE_BLOCK_OUT_OF_BOUNDS against the page or badge canvas', () => {
    const found = problems(certificate([{id: 'far', type: 'text', text: 'x', size: 12, x: 800, y: 10, width: 100, height: 20}]));
    expect(found).toEqual([expect.objectContaining({code: 'TEMPLATE_BLOCK_OUT_OF_BOUNDS', blockId: 'far', path: ['blocks', 3]})]);
    const badge = problems({format: 'badge', badge: {shape: 'round', size: 300},
      blocks: [{id: 'big', type: 'shape', shape: 'ellipse', x: 0, y: 0, width: 301, height: 300}]});
    expect(badge.map(p => p.code)).toEqual(['TEMPLATE_BLOCK_OUT_OF_BOUNDS']);
  });

  it('TEMPLATE_FORMAT_MISMATCH: certificates need page, badges need badge', () => {
    expect(problems({format: 'certificate', blocks: []})).toEqual([expect.objectContaining({code: 'TEMPLATE_FORMAT_MISMATCH', path: ['page']})]);
    expect(problems({format: 'badge', page: {size: 'A4', orientation: 'portrait'}, blocks: []}).map(p => p.code))
      .toEqual(['TEMPLATE_FORMAT_MISMATCH', 'TEMPLATE_FORMAT_MISMATCH']);
  });

  it('TEMPLATE_MIN_SIZE_ABOVE_SIZE', () => {
    const found = problems(certificate([{id: 'shrink', type: 'text', text: 'x', size: 12, minSize: 20, x: 0, y: 0, width: 100, height: 30}]));
    expect(found).toEqual([expect.objectContaining({code: 'TEMPLATE_MIN_SIZE_ABOVE_SIZE', blockId: 'shrink', path: ['blocks', 3, 'minSize']})]);
  });

  it('TEMPLATE_QR_TOO_SMALL and TEMPLATE_TOO_MANY_BLOCKS', () => {
    expect(problems(certificate([{id: 'tiny', type: 'qr', x: 0, y: 0, width: 20, height: 20}])))
      .toEqual([expect.objectContaining({code: 'TEMPLATE_QR_TOO_SMALL', blockId: 'tiny'})]);
    const many = Array.from({length: 61}, (_, i) => ({id: `b${i}`, type: 'shape', shape: 'rect', x: 0, y: 0, width: 1, height: 1}));
    expect(problems({format: 'badge', badge: {shape: 'square'}, blocks: many}).map(p => p.code)).toContain('TEMPLATE_TOO_MANY_BLOCKS');
  });

  it('a broken block does not hide the semantic problems of the others', () => {
    const found = problems(certificate([
      {id: 'broken', type: 'text', size: 12, x: 0, y: 0, width: 100, height: 20},
      {id: 'far', type: 'text', text: '{{nope}}', size: 12, x: 5000, y: 0, width: 100, height: 20},
    ]));
    expect(found.map(p => `${p.blockId}:${p.code}`).sort())
      .toEqual(['broken:TEMPLATE_INVALID_FIELD', 'far:TEMPLATE_BLOCK_OUT_OF_BOUNDS', 'far:TEMPLATE_PLACEHOLDER_UNKNOWN']);
  });
});

describe('placeholders and text', () => {
  it('fills every placeholder; missing fields are empty', () => {
    const d = data({fields: {grade: 'A'}});
    expect(fillPlaceholders('{{recipient.name}} / {{ achievement.name }} / {{fields.grade}}|{{fields.missing}}|', d))
      .toBe('Alexandra Lindqvist / Advanced Data Stewardship / A||');
    expect(fillPlaceholders('{{issuer.name}} {{credential.url}}', d)).toBe('Nordic Institute of Technology https://laurel.example/c/4f9c2e7a');
    expect(fillPlaceholders('{{fields.constructor}}', d)).toBe('');
  });

  it('formats dates in UTC for the locale', () => {
    // 23:30 on the 27th in UTC is already the 28th east of UTC: the date must stay the 27th.
    expect(formatDate('2026-11-27T23:30:00Z', 'en')).toBe('27 November 2026');
    expect(formatDate('2026-11-27T23:30:00Z', 'sv')).toBe('27 november 2026');
    expect(formatDate('2026-11-28T00:30:00+02:00', 'en')).toBe('27 November 2026');
    expect(formatDate('not a date', 'en')).toBe('');
    expect(fillPlaceholders('{{issuedOn}} – {{validUntil}}', sampleRenderData('sv'))).toBe('27 november 2026 – 27 november 2029');
  });

  it('removes controls and bidi overrides, keeps the letters', () => {
    expect(sanitizeText('\u202Eevil\u202C')).toBe('evil');
    expect(sanitizeText('Ann\u2066a\u2069 B\u0000\u0085ob\n\tC')).toBe('Anna B ob C');
    expect(sanitizeText('  Zoë   Ångström ')).toBe('Zoë Ångström');
    expect(sanitizeText('lone \ud800 surrogate')).toBe('lone surrogate');
  });
});

describe('layoutText', () => {
  const box = {x: 100, y: 100, width: 300, height: 60};
  const style = {role: 'sans' as const, weight: 'regular' as const, size: 30, minSize: 10, lineHeight: 1.2, maxLines: 2,
    align: 'center' as const, letterSpacing: 0};
  const glyphXs = (layout: ReturnType<typeof layoutText>) => layout.runs.flatMap(r => r.glyphs.map(g => g.x));

  it('keeps a short text at its size on one line', () => {
    const layout = layoutText('Ada Lovelace', box, style);
    expect(layout.size).toBe(30);
    expect(layout.lines).toEqual(['Ada Lovelace']);
    expect(layout.truncated).toBe(false);
  });

  it('shrinks before cutting, then wraps on spaces', () => {
    const layout = layoutText('Maria Magdalena Sofia Charlotta von Habsburg-Lothringen', box, style);
    expect(layout.size).toBeLessThan(30);
    expect(layout.size).toBeGreaterThanOrEqual(10);
    expect(layout.lines.length).toBe(2);
    expect(layout.truncated).toBe(false);
    expect(layout.lines.join(' ')).toBe('Maria Magdalena Sofia Charlotta von Habsburg-Lothringen');
  });

  it('a 500-character name stays inside its box, cut with an ellipsis', () => {
    const name = Array.from({length: 50}, (_, i) => `Name${i}xyz`).join(' ').slice(0, 500);
    const layout = layoutText(name, box, style);
    expect(layout.truncated).toBe(true);
    expect(layout.size).toBe(10);
    expect(layout.lines.length).toBeLessThanOrEqual(2);
    expect(layout.lines[layout.lines.length - 1].endsWith('…')).toBe(true);
    expect(layout.bounds.x).toBeGreaterThanOrEqual(box.x - 0.01);
    expect(layout.bounds.x + layout.bounds.width).toBeLessThanOrEqual(box.x + box.width + 0.01);
    expect(layout.bounds.y).toBeGreaterThanOrEqual(box.y - 0.01);
    expect(layout.bounds.y + layout.bounds.height).toBeLessThanOrEqual(box.y + box.height + 0.01);
    for(const x of glyphXs(layout)) expect(x).toBeGreaterThanOrEqual(box.x - 0.01);
    for(const x of glyphXs(layout)) expect(x).toBeLessThan(box.x + box.width);
  });

  it('breaks a word longer than the box', () => {
    const layout = layoutText('x'.repeat(200), {...box, height: 200}, {...style, maxLines: 10, minSize: 30});
    expect(layout.lines.length).toBeGreaterThan(1);
    expect(layout.bounds.width).toBeLessThanOrEqual(box.width + 0.01);
  });

  it('falls back per character: DejaVu, then Noto Emoji; drops what no font has', () => {
    // Inter has no Hebrew; DejaVu Sans does. Only Noto Emoji has 🎓. Nothing vendored has 张.
    const layout = layoutText('Ωmega שלום 🎓 张伟', box, style);
    const faces = new Set(layout.runs.map(r => r.face.key));
    expect(faces).toEqual(new Set(['Inter-Regular', 'DejaVuSans', 'NotoEmoji-Regular']));
    expect(layout.runs.map(r => r.text).join('')).not.toContain('张');
  });
});

describe('renderPdf', () => {
  const layout = layoutOf(certificate([
    {id: 'logo', type: 'image', source: 'logo', x: 60, y: 20, width: 80, height: 60},
    {id: 'sig', type: 'signature', name: 'Grace Hopper', title: 'Director', assetId: ASSET_ID, x: 300, y: 400, width: 200, height: 100},
    {id: 'grade', type: 'text', text: 'Grade: {{fields.grade}}', size: 14, x: 60, y: 200, width: 500, height: 30},
  ]));
  const assets: AssetLoader = {logo: async () => tinyPng(), asset: async id => id === ASSET_ID ? tinyPng() : null};
  const json = JSON.stringify({'@context': ['https://www.w3.org/ns/credentials/v2'], name: 'Ümlaut ✓ credential', n: 1});
  const d = data({fields: {grade: 'A+ with honours'}});
  let pdf: Buffer;

  it('renders, and poppler reads it', async () => {
    pdf = await renderPdf(layout, d, assets, {attachment: {name: 'credential.json', json}});
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('the QR code decodes to the verification URL', () => {
    expect(decodeQr(pdfPixels(pdf))).toBe(d.credential.url);
  });

  it('pdftotext shows the recipient, the fields and the verify line', () => {
    const text = run('pdftotext', [writeTemp(pdf, 'pdf'), '-']);
    expect(text).toContain('Alexandra Lindqvist');
    expect(text).toContain('Grade: A+ with honours');
    expect(text).toContain('Verify at https://laurel.example/c/4f9c2e7a');
    expect(text).toContain('Grace Hopper');
  });

  it('pdffonts: every font embedded and subset', () => {
    const lines = run('pdffonts', [writeTemp(pdf, 'pdf')]).trim().split('\n').slice(2);
    expect(lines.length).toBeGreaterThan(0);
    for(const line of lines) {
      expect(line).toMatch(/^[A-Z]{6}\+/);
      expect(line).toMatch(/\byes\s+yes\s+yes\b/);
    }
  });

  it('pdfdetach gives back the exact attached JSON', () => {
    const file = writeTemp(pdf, 'pdf');
    expect(run('pdfdetach', ['-list', file])).toContain('credential.json');
    const out = join(dir, 'detached.json');
    run('pdfdetach', ['-save', '1', '-o', out, file]);
    expect(readFileSync(out).equals(Buffer.from(json, 'utf8'))).toBe(true);
  });

  it('pdfinfo: title, author, creator, creation date from issuedOn', () => {
    const info = run('pdfinfo', [writeTemp(pdf, 'pdf')]);
    expect(info).toMatch(/Title:\s+Advanced Data Stewardship — Alexandra Lindqvist/);
    expect(info).toMatch(/Author:\s+Nordic Institute of Technology/);
    expect(info).toMatch(/Creator:\s+Laurel/);
    expect(info).toMatch(/Producer:\s+Laurel/);
    expect(info).toMatch(/CreationDate:\s+.*2026/);
  });

  it('is deterministic', async () => {
    const again = await renderPdf(layout, d, assets, {attachment: {name: 'credential.json', json}});
    expect(again.equals(pdf)).toBe(true);
  });

  it('Swedish verify line', async () => {
    const sv = await renderPdf(layout, sampleRenderData('sv'), NO_ASSETS);
    expect(run('pdftotext', [writeTemp(sv, 'pdf'), '-'])).toContain('Verifiera på https://laurel.example/c/4f9c2e7a');
  });

  it('a hostile name keeps the XMP metadata well-formed', async () => {
    const evil = await renderPdf(layout, data({recipient: {name: '</rdf:li><x:evil a="1">&'}}), NO_ASSETS);
    const xmp = /<x:xmpmeta[\s\S]*?<\/x:xmpmeta>/.exec(evil.toString('latin1'));
    if(xmp) {
      const errors: string[] = [];
      new DOMParser({onError: (level: string, message: string) => { if(level !== 'warning') errors.push(message); }})
        .parseFromString(Buffer.from(xmp[0], 'latin1').toString('utf8'), 'text/xml');
      expect(errors).toEqual([]);
      expect(xmp[0]).not.toContain('<x:evil');
    }
    expect(run('pdfinfo', [writeTemp(evil, 'pdf')])).toContain('</rdf:li><x:evil a="1">&');
  });
});

const HOSTILE: [string, string][] = [
  ['script tag', '</text><script>alert(1)</script>'],
  ['CDATA end', ']]><!ENTITY x "y">'],
  ['RTL override', '\u202Eevil\u202C'],
  ['500 characters', 'A'.repeat(500)],
  ['emoji', 'Ada 🎓🏆'],
  ['CJK', '张伟'],
  ['quotes', '"quoted" & \'single\''],
];

describe('hostile names', () => {
  const layout = layoutOf(certificate());
  const badge = STARTER_TEMPLATES.find(t => t.key === 'round-badge')!.layout;

  it.each(HOSTILE)('SVG stays well-formed and inert: %s', async (_label, name) => {
    const svg = await renderSvg(layout, data({recipient: {name}, achievement: {name: `${name} course`}}), NO_ASSETS);
    const errors: string[] = [];
    const doc = new DOMParser({onError: (level: string, message: string) => { if(level !== 'warning') errors.push(message); }})
      .parseFromString(svg, 'image/svg+xml');
    expect(errors).toEqual([]);
    expect(doc.documentElement?.nodeName).toBe('svg');
    expect(svg).not.toMatch(/<script/i);
    expect(svg).not.toContain(']]>');
    expect(svg).not.toContain('\u202E');
    expect(svg).not.toMatch(/<text/);
    const title = doc.getElementsByTagName('title')[0]?.textContent ?? '';
    expect(title).toContain(sanitizeText(name));
    // Only data: URIs and the SVG/xlink namespaces: nothing is fetched.
    for(const m of svg.matchAll(/(?:href|src)="([^"]*)"/g)) expect(m[1]).toMatch(/^data:image\/(png|jpeg);base64,/);
  });

  it.each(HOSTILE)('PNG decodes at the expected size: %s', async (_label, name) => {
    const image = png(await renderPng(badge, data({recipient: {name}}), NO_ASSETS));
    expect([image.width, image.height]).toEqual([600, 600]);
  });

  it.each(HOSTILE)('PDF renders: %s', async (_label, name) => {
    const pdf = await renderPdf(layout, data({recipient: {name}}), NO_ASSETS);
    expect(run('pdfinfo', [writeTemp(pdf, 'pdf')])).toMatch(/Pages:\s+1/);
  });

  it('the bidi override does not reverse the rest of the line', async () => {
    const pdf = await renderPdf(layout, data({recipient: {name: '\u202Eevil\u202C Smith'}}), NO_ASSETS);
    expect(run('pdftotext', [writeTemp(pdf, 'pdf'), '-'])).toContain('evil Smith');
  });
});

describe('images', () => {
  it('embeds PNG/JPEG as data: URIs and never an SVG asset', async () => {
    const layout = layoutOf(certificate([
      {id: 'logo', type: 'image', source: 'logo', x: 60, y: 20, width: 80, height: 60},
      {id: 'asset', type: 'image', source: {assetId: ASSET_ID}, fit: 'cover', x: 200, y: 20, width: 80, height: 60},
    ]));
    const svgAsset = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const svg = await renderSvg(layout, data(), {logo: async () => tinyPng(), asset: async () => svgAsset});
    expect(svg.match(/data:image\/png;base64,/g)).toHaveLength(1);
    expect(svg).not.toContain('image/svg');
    expect(svg).not.toMatch(/<script/);
  });

  it('a failing asset loader leaves the box empty', async () => {
    const layout = layoutOf(certificate([{id: 'logo', type: 'image', source: 'logo', x: 60, y: 20, width: 80, height: 60}]));
    const svg = await renderSvg(layout, data(), {logo: async () => { throw new Error('disk'); }, asset: async () => null});
    expect(svg).not.toContain('<image');
  });

  it('brand colours that are not #rrggbb never reach the markup', async () => {
    const brand = {primary: '"/><script>alert(1)</script>', secondary: 'red', text: '#123456'};
    const svg = await renderSvg(layoutOf(certificate()), data({brand}), NO_ASSETS);
    expect(svg).not.toMatch(/<script/);
    expect(svg).toContain('#123456');
  });
});

describe('renderOgImage', () => {
  it('is 1200 × 627, with and without a preview', async () => {
    const preview = await renderPng(STARTER_TEMPLATES[0].layout, data(), sampleAssets(), {width: 600});
    for(const options of [{}, {preview}]) {
      const image = png(await renderOgImage(data(), sampleAssets(), options));
      expect([image.width, image.height]).toEqual([1200, 627]);
    }
  });

  it('ignores a preview that is not a PNG or JPEG', async () => {
    const image = png(await renderOgImage(data(), NO_ASSETS, {preview: Buffer.from('<svg/>')}));
    expect(image.width).toBe(1200);
  });
});

describe('starter templates', () => {
  it('has the three starters', () => {
    expect(STARTER_TEMPLATES.map(t => t.key)).toEqual(['classic-certificate', 'modern-diploma', 'round-badge']);
  });

  describe.each(STARTER_TEMPLATES)('$key', ({key, layout}) => {
    it('validates from its JSON form', () => {
      const result = validateTemplate(JSON.parse(JSON.stringify(layout)));
      expect(result.ok ? [] : result.problems).toEqual([]);
    });

    it('renders PDF (QR decodes, name in text), SVG and PNG', async () => {
      const d = data();
      const pdf = await renderPdf(layout, d, sampleAssets());
      const text = run('pdftotext', [writeTemp(pdf, 'pdf'), '-']);
      if(key === 'round-badge') {
        expect(text.replace(/\s+/g, ' ')).toContain('Advanced Data Stewardship');
      } else {
        expect(text).toContain('Alexandra Lindqvist');
        expect(decodeQr(pdfPixels(pdf))).toBe(d.credential.url);
      }
      const svg = await renderSvg(layout, d, sampleAssets());
      const errors: string[] = [];
      new DOMParser({onError: (level: string, message: string) => { if(level !== 'warning') errors.push(message); }})
        .parseFromString(svg, 'image/svg+xml');
      expect(errors).toEqual([]);
      const image = png(await renderPng(layout, d, sampleAssets()));
      expect([image.width, image.height]).toEqual(key === 'round-badge' ? [600, 600]
        : key === 'classic-certificate' ? [1684, 1191] : [1191, 1684]);
    });
  });
});
