/**
 * Certificate and badge rendering (issue 6), part of `npm run bench` via `runRenderBench()`
 * (BENCH_RENDER=0 skips), or alone: `npx tsx bench/render.ts`.
 *
 *   (r0) reference: a minimal pdfkit document, one embedded TTF font (Inter Regular, bytes
 *        read once, handed to doc.font() as pdfkit documents it) and one line of text.
 *   (r0') the same with the font parsed once (a fontkit object passed to doc.font(), as the
 *        renderer does): the floor for anything built on pdfkit. Ratios are against r0'.
 *   (r1) PDF cold: the first render in a fresh process (fonts unparsed, caches empty), in a
 *        child process; module import time is reported apart.
 *   (r2–r4) PDF warm, each starter: same template, a different recipient name per render,
 *        with the signed credential (~3 kB JSON) attached.
 *   (r5) SVG, (r6–r7) PNG (classic certificate at 2×, round badge), (r8) OG image.
 *
 * Rounds are interleaved (measure.ts) with BENCH_RENDER_SECONDS (default 6) per bench over
 * BENCH_ROUNDS rounds; the median round is reported, and per-op times are derived from it.
 */
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import {renderOgImage, renderPdf, renderPng, renderSvg, sampleAssets, sampleRenderData, STARTER_TEMPLATES} from '../packages/server/src/render/index.js';
import {type BenchSpec, configFromEnv, fmtMicros, measureInterleaved, table} from './measure.js';

const INTER = new URL('../packages/server/assets/fonts/Inter-Regular.ttf', import.meta.url);

/** The reference: what pdfkit costs for one page, one embedded font, one line. */
function floorPdf(font: Buffer | fontkit.Font, text: string): Promise<Buffer> {
  const doc = new PDFDocument({size: 'A4', layout: 'landscape', margin: 0, info: {CreationDate: new Date(0)}});
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>(resolve => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font(font as Buffer).fontSize(28).text(text, 72, 72);
  doc.end();
  return done;
}

const CREDENTIAL_JSON = JSON.stringify({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  type: ['VerifiableCredential', 'OpenBadgeCredential'], padding: 'x'.repeat(2800),
});

/** Child mode: one cold render, timings as JSON on stdout. */
async function coldChild(): Promise<void> {
  const t0 = performance.now();
  const render = await import('../packages/server/src/render/index.js');
  const t1 = performance.now();
  const data = render.sampleRenderData('en');
  await render.renderPdf(render.STARTER_TEMPLATES[0].layout, data, render.sampleAssets(), {attachment: {name: 'credential.json', json: CREDENTIAL_JSON}});
  const t2 = performance.now();
  await render.renderPdf(render.STARTER_TEMPLATES[0].layout, {...data, recipient: {name: 'Second Person'}}, render.sampleAssets());
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({importMs: t1 - t0, firstMs: t2 - t1, secondMs: t3 - t2}));
}

/** Cold PDF timings from BENCH_RENDER_COLD_RUNS (default 3) fresh processes; medians. */
function measureCold(): {importMs: number; firstMs: number; secondMs: number} {
  const runs = Number(process.env.BENCH_RENDER_COLD_RUNS ?? 3);
  const results: {importMs: number; firstMs: number; secondMs: number}[] = [];
  for(let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--cold'],
      {encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url))});
    results.push(JSON.parse(out));
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return {importMs: med(results.map(r => r.importMs)), firstMs: med(results.map(r => r.firstMs)), secondMs: med(results.map(r => r.secondMs))};
}

/** Results in milliseconds per render. */
export interface RenderBenchResult {
  floorMs: number;
  cold: {importMs: number; firstMs: number; secondMs: number};
  warm: Record<string, number>;
}

export async function runRenderBench(): Promise<RenderBenchResult> {
  const seconds = Number(process.env.BENCH_RENDER_SECONDS ?? 6);
  const config = {...configFromEnv(), seconds};
  console.log('\nRendering (issue 6):');
  console.log('  (r1) cold PDF in fresh processes...');
  const cold = measureCold();

  const font = readFileSync(INTER);
  const parsed = fontkit.create(font);
  const assets = sampleAssets();
  const base = sampleRenderData('en');
  let n = 0;
  const next = () => ({...base, recipient: {name: `Recipient Number ${++n} Lindqvist`}});
  const [classic, diploma, badge] = STARTER_TEMPLATES.map(t => t.layout);
  const attachment = {name: 'credential.json', json: CREDENTIAL_JSON};
  const certificatePng = await renderPng(classic, base, assets, {width: 800});
  const specs: BenchSpec[] = [
    {label: '(r0) reference: pdfkit, 1 TTF font, 1 line', unit: 'docs/s', batch: async () => {
      await floorPdf(font, `Recipient Number ${++n}`);
      return 1;
    }},
    {label: "(r0') reference: pdfkit, 1 pre-parsed TTF font, 1 line", unit: 'docs/s', batch: async () => {
      await floorPdf(parsed, `Recipient Number ${++n}`);
      return 1;
    }},
    {label: '(r2) PDF warm, classic-certificate', unit: 'docs/s', batch: async () => { await renderPdf(classic, next(), assets, {attachment}); return 1; }},
    {label: '(r3) PDF warm, modern-diploma', unit: 'docs/s', batch: async () => { await renderPdf(diploma, next(), assets, {attachment}); return 1; }},
    {label: '(r4) PDF warm, round-badge', unit: 'docs/s', batch: async () => { await renderPdf(badge, next(), assets, {attachment}); return 1; }},
    {label: '(r5) SVG, classic-certificate', unit: 'docs/s', batch: async () => { await renderSvg(classic, next(), assets); return 1; }},
    {label: '(r6) PNG, classic-certificate 1684 px', unit: 'docs/s', batch: async () => { await renderPng(classic, next(), assets); return 1; }},
    {label: '(r7) PNG, round-badge 600 px', unit: 'docs/s', batch: async () => { await renderPng(badge, next(), assets); return 1; }},
    {label: '(r8) OG image 1200×627 with preview', unit: 'docs/s', batch: async () => {
      await renderOgImage(next(), assets, {preview: certificatePng});
      return 1;
    }},
  ];
  const results = await measureInterleaved(specs, config, m => console.log(`  ${m}`));
  const ms = (perSecond: number) => (perSecond > 0 ? 1000 / perSecond : NaN);
  const floorMs = ms(results[1].median);
  const floorCpuMs = ms(results[1].perCpuSecond);
  // CPU time per op is less sensitive than wall time to other processes on a shared machine.
  const rows = results.map(r => [r.label, fmtMicros(r.median), `${ms(r.perCpuSecond).toFixed(2)} ms`,
    `${(ms(r.median) / floorMs).toFixed(2)}×`, `${(ms(r.perCpuSecond) / floorCpuMs).toFixed(2)}×`, `±${r.spreadPct.toFixed(1)}%`, `${Math.round(r.cpuPct)}%`]);
  rows.splice(2, 0, ['(r1) PDF cold, first render in a fresh process', `${cold.firstMs.toFixed(1)} ms`, '-',
    `${(cold.firstMs / floorMs).toFixed(1)}×`, '-', '-', '-']);
  console.log(`\n(r1) cold: import of the render module ${cold.importMs.toFixed(0)} ms, first PDF ${cold.firstMs.toFixed(1)} ms, ` +
    `second PDF (new name) ${cold.secondMs.toFixed(1)} ms (median of ${process.env.BENCH_RENDER_COLD_RUNS ?? 3} processes)`);
  console.log(table(['render', 'time/op (median round)', 'CPU time/op', "vs (r0'), wall", "vs (r0'), CPU", 'spread', 'cpu'], rows));
  const warm: Record<string, number> = {};
  for(const r of results.slice(2)) warm[r.label] = ms(r.median);
  return {floorMs, cold, warm};
}

if(process.argv.includes('--cold')) {
  await coldChild();
} else if(import.meta.url === `file://${process.argv[1]}`) {
  await runRenderBench();
}
