/**
 * Child process of bench/batch.ts, so that the server's memory is measured alone (not the
 * bench's HTTP client, not the CSV text, not another scenario's leftovers).
 *
 * Run the way `npm start` runs the server (packages/server/bin/run.mjs, with its Node flags):
 *
 *   node --max-old-space-size=1024 packages/server/bin/run.mjs bench/batch-server.ts setup <pglite dataDir | postgres schema>
 *     First start: opens the database (on PGlite this runs initdb in the process), applies
 *     the migrations, creates an organization and an achievement, prints one JSON line
 *     {apiKey, achievementId} and exits.
 *   node … bench/batch-server.ts serve <pglite dataDir | postgres schema>
 *     A restart on that database, as a laptop server runs after its first day: listens on
 *     127.0.0.1 and prints {address}. It stops (closing server and database) when its stdin
 *     closes, on SIGTERM, or after BENCH_BATCH_SERVER_TIMEOUT_SECONDS (default 600).
 *
 * Environment: BENCH_MASTER_KEY (hex, the same for both steps), BENCH_BATCH_DATABASE_URL
 * (PostgreSQL; absent: PGlite), BENCH_BATCH_OUTBOX (a directory: mail on, written there as .eml files, at
 * the default MAIL_RATE), BENCH_BATCH_MEMLOG=1 (print /proc's resident memory and
 * process.memoryUsage() every 2 s).
 */
import {readFileSync} from 'node:fs';
import {openDatabase} from '../packages/server/src/db/open.js';
import {createLaurel} from '../packages/server/src/laurel.js';

const ADMIN = 'bench-admin-token';
const [mode, where] = process.argv.slice(2);
const url = process.env.BENCH_BATCH_DATABASE_URL;
if((mode !== 'setup' && mode !== 'serve') || !where || !process.env.BENCH_MASTER_KEY) {
  process.stderr.write('usage: batch-server.ts setup|serve <dataDir|schema> (BENCH_MASTER_KEY set)\n');
  process.exit(2);
}

const db = await openDatabase(url ? {databaseUrl: url, dataDir: null, schema: where} : {dataDir: where});
// BENCH_BATCH_OUTBOX: mail on, as `npm start` runs it without SMTP_URL (.eml files there, the default MAIL_RATE).
const outbox = process.env.BENCH_BATCH_OUTBOX;
const {app} = await createLaurel({db, masterKey: Buffer.from(process.env.BENCH_MASTER_KEY, 'hex'), publicUrl: 'http://127.0.0.1',
  adminToken: ADMIN, uploadLimits: {maxRows: 1_000_000, maxBytes: 1024 ** 3, maxFieldLength: 4096},
  ...(outbox ? {mail: {outboxDir: outbox}} : {})});
const address = await app.listen({host: '127.0.0.1', port: 0});

let stopping = false;
async function stop(code: number): Promise<never> {
  if(!stopping) {
    stopping = true;
    await app.close();
    await db.close();
  }
  process.exit(code);
}

if(mode === 'setup') {
  try {
    const post = async (path: string, body: unknown, token: string) => {
      const res = await fetch(`${address}${path}`, {method: 'POST', body: JSON.stringify(body),
        headers: {'content-type': 'application/json', authorization: `Bearer ${token}`}});
      const text = await res.text();
      if(res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, any>;
    };
    const org = await post('/api/v1/organizations', {name: 'Bench Academy'}, ADMIN);
    // A certificate template, so that each email carries its PDF when mail is on.
    const template = await post('/api/v1/templates', {starter: 'classic-certificate'}, org.apiKey);
    const ach = await post('/api/v1/achievements', {name: 'Bench Badge', description: 'Issued by the benchmark.',
      criteria: {narrative: 'Ran the benchmark.'}, achievementType: 'MicroCredential', validityMonths: 24,
      templates: {certificate: template.id}}, org.apiKey);
    process.stdout.write(`${JSON.stringify({apiKey: org.apiKey, achievementId: ach.id})}\n`);
    // Stay until the parent has read this process's peak memory and closes stdin.
    process.stdin.on('end', () => void stop(0));
    process.stdin.on('close', () => void stop(0));
    process.stdin.resume();
  } catch(error) {
    process.stderr.write(`batch-server setup: ${(error as Error).stack ?? String(error)}\n`);
    await stop(1);
  }
} else {
  setTimeout(() => void stop(3), Number(process.env.BENCH_BATCH_SERVER_TIMEOUT_SECONDS ?? 600) * 1000).unref();
  process.on('SIGTERM', () => void stop(0));
  process.stdin.on('end', () => void stop(0));
  process.stdin.on('close', () => void stop(0));
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({address})}\n`);
  if(process.env.BENCH_BATCH_MEMLOG) {
    setInterval(() => {
      const m = process.memoryUsage();
      // Resident memory from /proc (the whole process: this thread, the signing threads, PGlite's engine).
      const status = readFileSync('/proc/self/status', 'utf8');
      const proc = ['VmRSS', 'RssAnon', 'RssFile'].map(k => `${k} ${(Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1]) / 1024).toFixed(0)}`);
      process.stderr.write(`memory: ${[...proc, ...Object.entries(m).map(([k, v]) => `${k} ${(v / 1048576).toFixed(0)}`)].join(', ')}\n`);
    }, 2000).unref();
  }
}
