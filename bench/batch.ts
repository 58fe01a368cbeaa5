/**
 * Bulk issuance benchmark (issue 5), part of `npm run bench` (BENCH_BATCH=0 skips it):
 * BENCH_BATCH_ROWS (default 100,000) rows in one CSV upload, end to end, from the
 * upload to every credential signed and stored (emails off; then on PGlite once more with emails on, as uploads
 * default to, written to an outbox at the default MAIL_RATE: BENCH_BATCH_EMAIL=0 skips), through a listening
 * server on 127.0.0.1, on PGlite (a data directory on disk, as on a laptop) and on
 * PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL); BENCH_BATCH_DB=pglite|postgres
 * runs one. Reports credentials/s, the ratio to the raw signing limit (Laurel core
 * signCredential in a loop, one thread: the reference named in the issue) and the
 * server's resident memory: the server is its own process (bench/batch-server.ts),
 * first started once to create the database, then restarted to take the upload.
 */
import {randomBytes} from 'node:crypto';
import {type ChildProcess, spawn} from 'node:child_process';
import {mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Canonicalizer, createDocumentLoader, signCredential} from '@laurel/core';
import {fileURLToPath} from 'node:url';
import {launchArgs, NODE_FLAGS} from '../packages/server/bin/run.mjs';
import {benchKey, nextCredential, nodeSigner, CREATED} from './fixtures.js';
import {firstJsonLine, fmtRate, table} from './measure.js';

const ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 100_000);

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

/** A child process's resident memory from /proc (Linux), in MB: now (VmRSS) and its peak so far (VmHWM). */
function memoryOf(pid: number): {rssMb: number; peakMb: number} | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return {rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024};
  } catch {
    return null;
  }
}

/** Runs bench/batch-server.ts and resolves with its first stdout line (JSON) and the child. */
async function child(mode: 'setup' | 'serve', where: string, env: NodeJS.ProcessEnv): Promise<{proc: ChildProcess; line: any; exited: Promise<number | null>}> {
  // Started as `npm start` starts the server (bin/run.mjs, its Node flags); BENCH_NODE_FLAGS adds flags after them.
  const args = launchArgs(fileURLToPath(new URL('./batch-server.ts', import.meta.url)), [mode, where]);
  args.splice(NODE_FLAGS.length, 0, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean));
  const proc = spawn(process.execPath, args, {stdio: ['pipe', 'pipe', 'inherit'], env: {...process.env, ...env}});
  const exited = new Promise<number | null>(resolve => proc.on('exit', code => resolve(code)));
  const line = await firstJsonLine(proc, `batch-server ${mode}`, 120_000);
  return {proc, line, exited};
}

interface ScenarioResult {
  kind: string;
  seconds: number;
  perSecond: number;
  /** The server process on its restart: before the upload and its peak during the batch (MB). */
  baselineMb: number;
  peakMb: number;
  /** The first start's peak (PGlite: initdb runs in the process), MB. */
  firstStartPeakMb: number;
}

async function scenario(kind: 'pglite' | 'postgres', file: string, email = false): Promise<ScenarioResult> {
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
  const env = {BENCH_MASTER_KEY: randomBytes(32).toString('hex'), BENCH_BATCH_DATABASE_URL: pg ? url : '',
    BENCH_BATCH_OUTBOX: email ? join(dataDir, 'outbox') : ''};
  const where = pg ? schema : dataDir;
  let server: ChildProcess | null = null;
  try {
    // First start (initdb on PGlite), then a restart that serves the upload.
    const setup = await child('setup', where, env);
    const firstStartPeakMb = memoryOf(setup.proc.pid!)?.peakMb ?? NaN;
    setup.proc.stdin!.end();
    await setup.exited;
    const {apiKey, achievementId} = setup.line as {apiKey: string; achievementId: string};
    const serve = await child('serve', where, env);
    server = serve.proc;
    const base = (serve.line as {address: string}).address;
    const baselineMb = memoryOf(server.pid!)?.rssMb ?? NaN;
    const form = new FormData();
    form.set('achievementId', achievementId);
    form.set('mapping', JSON.stringify({name: 'Name', email: 'Email'}));
    form.set('sendEmail', String(email));
    form.set('file', await openAsBlob(file, {type: 'text/csv'}), 'bench.csv');
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/batches`, {method: 'POST', headers: {authorization: `Bearer ${apiKey}`}, body: form});
    if(res.status !== 202) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
    const {id} = await res.json() as {id: string};
    let view: any;
    for(;;) {
      view = await (await fetch(`${base}/api/v1/batches/${id}`, {headers: {authorization: `Bearer ${apiKey}`}})).json();
      if(['completed', 'failed', 'cancelled'].includes(view.status)) break;
      await new Promise(r => setTimeout(r, 200));
    }
    const seconds = (performance.now() - t0) / 1000;
    const peakMb = memoryOf(server.pid!)?.peakMb ?? NaN;
    if(view.status !== 'completed' || view.progress.issued !== ROWS) throw new Error(`batch ended ${view.status}: ${JSON.stringify(view.progress)}`);
    return {kind: email ? `${kind}, emails on (${view.progress.emailed} sent meanwhile)` : kind, seconds, perSecond: ROWS / seconds, baselineMb, peakMb,
      firstStartPeakMb};
  } finally {
    if(server) {
      const proc = server;
      proc.stdin!.end();
      await new Promise<void>(resolve => {
        if(proc.exitCode !== null) return resolve();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        proc.on('exit', () => {
          clearTimeout(kill);
          resolve();
        });
      });
    }
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
  console.log(`\nBulk issuance (issue 5): ${ROWS.toLocaleString('en')} CSV rows, upload to all signed and stored`);
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-csv-'));
  const file = join(dir, 'bench.csv');
  let text = 'Name,Email\n';
  for(let i = 0; i < ROWS; i++) text += `Learner ${i},learner${i}@example.org\n`;
  writeFileSync(file, text);
  text = '';
  const limit = await signingLimit();
  const results = [];
  try {
    // BENCH_BATCH_DB=pglite or =postgres runs one backend only.
    const only = process.env.BENCH_BATCH_DB;
    if(only !== 'postgres') results.push(await scenario('pglite', file));
    if(only !== 'pglite' && (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL)) results.push(await scenario('postgres', file));
    // The upload's default, sendEmail true, on PGlite: the email job renders each certificate PDF and writes the
    // message to the outbox at the default MAIL_RATE while the batch issues (BENCH_BATCH_EMAIL=0 skips).
    if(only !== 'postgres' && process.env.BENCH_BATCH_EMAIL !== '0') results.push(await scenario('pglite', file, true));
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
  const mb = (n: number) => Number.isNaN(n) ? 'n/a' : `${n.toFixed(0)} MB`;
  console.log(table(['database', 'seconds', 'credentials/s', 'vs raw signing limit', 'server RSS before upload', 'server peak RSS (growth)',
    'first start peak RSS', 'goal: ≤ 60 s', 'goal: peak < 500 MB'],
  results.map(r => [r.kind, r.seconds.toFixed(1), fmtRate(r.perSecond), `${(r.perSecond / limit).toFixed(2)}× of ${fmtRate(limit)}/s`,
    mb(r.baselineMb), `${mb(r.peakMb)} (+${(r.peakMb - r.baselineMb).toFixed(0)})`, mb(r.firstStartPeakMb),
    r.seconds <= 60 ? 'met' : 'not met', Number.isNaN(r.peakMb) ? 'n/a' : r.peakMb < 500 ? 'met' : 'not met'])));
  console.log('The server runs in its own process (bench/batch-server.ts), restarted on the database its first start created, as a\n' +
    'laptop server runs after its first day; RSS (VmRSS, peak VmHWM from /proc) covers the whole process: HTTP, the job, the\n' +
    'signing threads and, on PGlite, the database engine. The first start on PGlite also runs initdb in the process.');
}

if(import.meta.url === `file://${process.argv[1]}`) await runBatchBench();
