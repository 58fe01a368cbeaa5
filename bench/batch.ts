/**
 * Bulk issuance benchmark (issue 5), part of `npm run bench` (BENCH_BATCH=0 skips it):
 * BENCH_BATCH_ROWS (default 100,000) rows in one CSV upload, end to end, from the
 * upload to every credential signed and stored (emails off), through a listening
 * server on 127.0.0.1, on PGlite (a data directory on disk, as on a laptop) and on
 * PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL). Reports credentials/s, the
 * ratio to the raw signing limit (Laurel core signCredential in a loop, one thread:
 * the reference named in the issue) and the server process's peak RSS.
 */
import {randomBytes} from 'node:crypto';
import {mkdtempSync, openAsBlob, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Canonicalizer, createDocumentLoader, signCredential} from '@laurel/core';
import {openDatabase} from '../packages/server/src/db/open.js';
import {createLaurel} from '../packages/server/src/laurel.js';
import {benchKey, nextCredential, nodeSigner, CREATED} from './fixtures.js';
import {fmtRate, table} from './measure.js';

const ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 100_000);
const ADMIN = 'bench-admin-token';

/** The raw signing limit: core signCredential, one credential after another, for ~3 s. */
async function signingLimit(): Promise<number> {
  const key = await benchKey();
  const signer = nodeSigner(key);
  const canonicalizer = new Canonicalizer(createDocumentLoader());
  for(let i = 0; i < 200; i++) await signCredential(nextCredential(key.did), signer, CREATED, canonicalizer);
  let n = 0;
  const t0 = performance.now();
  while(performance.now() - t0 < 3000) {
    await signCredential(nextCredential(key.did), signer, CREATED, canonicalizer);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

async function scenario(kind: 'pglite' | 'postgres', file: string): Promise<{kind: string; seconds: number; perSecond: number; issued: number; peakRssMb: number; baselineMb: number}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'laurel-bench-batch-'));
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const pg = kind === 'postgres' ? (await import('pg')).default : null;
  if(pg) {
    const c = new pg.Client({connectionString: url});
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
  }
  const db = await openDatabase(pg ? {databaseUrl: url, dataDir: null, schema} : {dataDir});
  const {app} = await createLaurel({db, masterKey: randomBytes(32), publicUrl: 'http://127.0.0.1', adminToken: ADMIN,
    uploadLimits: {maxRows: 1_000_000, maxBytes: 1024 ** 3, maxFieldLength: 4096}});
  const base = await app.listen({host: '127.0.0.1', port: 0});
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  try {
    const post = async (path: string, body: unknown, token: string) => (await fetch(`${base}${path}`, {method: 'POST',
      headers: {'content-type': 'application/json', authorization: `Bearer ${token}`}, body: JSON.stringify(body)})).json() as Promise<any>;
    const org = await post('/api/v1/organizations', {name: 'Bench Academy'}, ADMIN);
    const ach = await post('/api/v1/achievements', {name: 'Bench Badge', description: 'Issued by the benchmark.',
      criteria: {narrative: 'Ran the benchmark.'}, achievementType: 'MicroCredential', validityMonths: 24}, org.apiKey);
    const form = new FormData();
    form.set('achievementId', ach.id);
    form.set('mapping', JSON.stringify({name: 'Name', email: 'Email'}));
    form.set('sendEmail', 'false');
    form.set('file', await openAsBlob(file, {type: 'text/csv'}), 'bench.csv');
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/batches`, {method: 'POST', headers: {authorization: `Bearer ${org.apiKey}`}, body: form});
    if(res.status !== 202) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    const {id} = await res.json() as {id: string};
    let view: any;
    for(;;) {
      view = await (await fetch(`${base}/api/v1/batches/${id}`, {headers: {authorization: `Bearer ${org.apiKey}`}})).json();
      if(['completed', 'failed', 'cancelled'].includes(view.status)) break;
      await new Promise(r => setTimeout(r, 200));
    }
    const seconds = (performance.now() - t0) / 1000;
    if(view.status !== 'completed' || view.progress.issued !== ROWS) throw new Error(`batch ended ${view.status}: ${JSON.stringify(view.progress)}`);
    return {kind, seconds, perSecond: ROWS / seconds, issued: view.progress.issued, peakRssMb: peak / 1024 / 1024, baselineMb: baseline / 1024 / 1024};
  } finally {
    clearInterval(sampler);
    await app.close();
    await db.close();
    rmSync(dataDir, {recursive: true, force: true});
    if(pg) {
      const c = new pg.Client({connectionString: url});
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
      await c.end();
    }
  }
}

/** Runs the batch bench and prints its table. */
export async function runBatchBench(): Promise<void> {
  console.log(`\nBulk issuance (issue 5): ${ROWS.toLocaleString('en')} CSV rows, upload to all signed and stored, emails off`);
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-csv-'));
  const file = join(dir, 'bench.csv');
  let text = 'Name,Email\n';
  for(let i = 0; i < ROWS; i++) text += `Learner ${i},learner${i}@example.org\n`;
  writeFileSync(file, text);
  text = '';
  const limit = await signingLimit();
  const results = [];
  try {
    results.push(await scenario('pglite', file));
    if(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL) results.push(await scenario('postgres', file));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
  console.log(table(['database', 'seconds', 'credentials/s', 'vs raw signing limit', 'RSS before upload', 'peak RSS (growth)', 'goal: ≤ 60 s'],
    results.map(r => [r.kind, r.seconds.toFixed(1), fmtRate(r.perSecond), `${(r.perSecond / limit).toFixed(2)}× of ${fmtRate(limit)}/s`,
      `${r.baselineMb.toFixed(0)} MB`, `${r.peakRssMb.toFixed(0)} MB (+${(r.peakRssMb - r.baselineMb).toFixed(0)})`, r.seconds <= 60 ? 'met' : 'not met'])));
  console.log('RSS is the whole bench process: server, PGlite (its WASM heap is most of the baseline) and the HTTP client.');
}

if(import.meta.url === `file://${process.argv[1]}`) await runBatchBench();
