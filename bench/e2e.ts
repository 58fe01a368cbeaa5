/**
 * (d) End-to-end issuance over HTTP: POST /api/v1/credentials with 8 concurrent
 * keep-alive clients against a real listening server on 127.0.0.1, on PGlite
 * (temporary data dir) and on PostgreSQL when one is reachable
 * (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test).
 * Each request issues a distinct credential: sign, store, commit. Bounded in time.
 * The load generator (bench/load-client.mjs) runs as its own process; on a
 * 2-core machine it still shares the CPU with the server and PostgreSQL.
 */
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {execFile} from 'node:child_process';
import {Agent, request} from 'node:http';
import {fileURLToPath} from 'node:url';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import pg from 'pg';
import {openDatabase} from '../packages/server/src/db/open.js';
import {createLaurel} from '../packages/server/src/laurel.js';
import type {E2EResult} from './measure.js';

export type {E2EResult};

const CLIENTS = 8;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/**
 * A fresh server needs a few seconds to reach its steady state (JIT, the signing shape
 * cache, PostgreSQL's plan and buffer caches): ~4 s on the 2-core machine, where a 1 s
 * warm-up under-reported (d) by 15-30 %. The per-second series printed shows it.
 */
const WARMUP_SECONDS = Number(process.env.BENCH_E2E_WARMUP_SECONDS ?? 6);
/** Issued credentials that the verification run sends, in turn. */
const VERIFY_SAMPLE = 4000;
const ADMIN = 'bench-admin-token';

async function postgresUrl(): Promise<string | null> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({connectionString: url, connectionTimeoutMillis: 2000});
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return null;
  }
}

async function scenario(kind: 'pglite' | 'postgres', url?: string): Promise<E2EResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'laurel-bench-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  if(url) {
    const c = new pg.Client({connectionString: url});
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
  }
  const db = await openDatabase(url ? {databaseUrl: url, dataDir: null, schema} : {dataDir});
  const {app} = await createLaurel({db, masterKey: randomBytes(32), publicUrl: 'http://127.0.0.1', adminToken: ADMIN});
  const address = await app.listen({host: '127.0.0.1', port: 0});
  // node:http with keep-alive: a lighter client than fetch, so less of the shared CPU goes to load generation.
  const agent = new Agent({keepAlive: true, maxSockets: CLIENTS});
  try {
    const target = new URL(address);
    const post = (path: string, body: unknown, token: string) => new Promise<{status: number; text: string}>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request({agent, host: target.hostname, port: target.port, path, method: 'POST',
        headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}`}}, res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => resolve({status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
    const org = JSON.parse((await post('/api/v1/organizations', {name: 'Bench Academy'}, ADMIN)).text) as {apiKey: string};
    const ach = JSON.parse((await post('/api/v1/achievements', {name: 'Bench Badge', description: 'Issued by the benchmark.',
      criteria: {narrative: 'Ran the benchmark.'}, achievementType: 'MicroCredential', validityMonths: 24,
      alignment: [{targetName: 'Benchmarking', targetUrl: 'https://example.org/skills/bench', targetFramework: 'ESCO'}]}, org.apiKey)).text) as {id: string};
    // The load generator runs in its own process (bench/load-client.mjs).
    const load = async (mode: 'issue' | 'verify', args: string[]): Promise<number> => {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [fileURLToPath(new URL('./load-client.mjs', import.meta.url)), mode, address, ...args,
          String(CLIENTS), String(WARMUP_SECONDS * 1000), String(SECONDS * 1000)], {timeout: (WARMUP_SECONDS + SECONDS + 60) * 1000}, (error, stdout, stderr) =>
          error ? reject(new Error(`load client failed: ${stderr || error.message}`)) : resolve(stdout));
      });
      const {done, seconds, perSecond: series} = JSON.parse(out) as {done: number; seconds: number; perSecond: number[]};
      // Warm-up, then the measured seconds (the last, partial second left out).
      console.log(`e2e ${kind} ${mode}: completions per second, ${WARMUP_SECONDS} s warm-up | measured: ${series.slice(0, WARMUP_SECONDS).join(' ')} | ${
        series.slice(WARMUP_SECONDS, WARMUP_SECONDS + SECONDS).join(' ')}`);
      return done / seconds;
    };
    const issued = await load('issue', [org.apiKey, ach.id]);
    // (dv) Verification through the API, of credentials the run above issued (distinct ones, in turn): the
    // issuer's DID document and status list come from this server's database, as for any Laurel credential.
    const {rows} = await db.query<{document: string}>(`SELECT document FROM credentials ORDER BY random() LIMIT ${VERIFY_SAMPLE}`);
    writeFileSync(join(dataDir, 'credentials.jsonl'), rows.map(r => r.document).join('\n'));
    const verified = await load('verify', [join(dataDir, 'credentials.jsonl'), '-']);
    return [
      {kind: 'issue', database: kind, label: `POST /api/v1/credentials, ${kind}, ${CLIENTS} clients`, perSecond: issued},
      {kind: 'verify', database: kind, label: `POST /api/v1/verify, ${kind}, ${CLIENTS} clients, ${rows.length} distinct credentials`, perSecond: verified},
    ];
  } finally {
    agent.destroy();
    await app.close();
    await db.close();
    rmSync(dataDir, {recursive: true, force: true});
    if(url) {
      const c = new pg.Client({connectionString: url});
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    }
  }
}

/** Runs the end-to-end scenarios. */
export async function runE2E(): Promise<E2EResult[]> {
  const results: E2EResult[] = [];
  // BENCH_E2E=pglite or =postgres runs one backend only (profiling).
  const only = process.env.BENCH_E2E;
  if(only !== 'postgres') {
    console.log('e2e: PGlite …');
    results.push(...await scenario('pglite'));
  }
  if(only === 'pglite') return results;
  const url = await postgresUrl();
  if(url) {
    console.log('e2e: PostgreSQL …');
    results.push(...await scenario('postgres', url));
  } else {
    console.log('e2e: no PostgreSQL reachable; skipped');
  }
  return results;
}
