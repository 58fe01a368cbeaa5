/**
 * Child process of bench/page.ts: a Laurel server on PGlite (temporary data dir)
 * on 127.0.0.1, with one organization, one achievement and one issued credential.
 * Prints one JSON line {"address", "id"} on stdout when ready, and stops (closing
 * the server and removing the data dir) when its stdin closes, on SIGTERM, or
 * after BENCH_PAGE_SERVER_TIMEOUT_SECONDS (default 120), whichever comes first.
 * Run as: [taskset -c 0] node --import tsx bench/page-server.ts
 */
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {openDatabase} from '../packages/server/src/db/open.js';
import {createLaurel} from '../packages/server/src/laurel.js';

const ADMIN = 'bench-admin-token';
const dataDir = mkdtempSync(join(tmpdir(), 'laurel-bench-page-'));
const db = await openDatabase({dataDir});
const {app} = await createLaurel({db, masterKey: randomBytes(32), publicUrl: 'http://127.0.0.1', adminToken: ADMIN});
const address = await app.listen({host: '127.0.0.1', port: 0});

let stopping = false;
async function stop(code: number): Promise<never> {
  if(!stopping) {
    stopping = true;
    try {
      await app.close();
      await db.close();
    } finally {
      rmSync(dataDir, {recursive: true, force: true});
    }
  }
  process.exit(code);
}
setTimeout(() => void stop(3), Number(process.env.BENCH_PAGE_SERVER_TIMEOUT_SECONDS ?? 120) * 1000).unref();
process.on('SIGTERM', () => void stop(0));
process.stdin.on('end', () => void stop(0));
process.stdin.on('close', () => void stop(0));
process.stdin.resume();

try {
  const call = async (path: string, body: unknown, token: string) => {
    const response = await fetch(new URL(path, address), {method: 'POST', body: JSON.stringify(body),
      headers: {'content-type': 'application/json', authorization: `Bearer ${token}`}});
    const text = await response.text();
    if(response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const org = await call('/api/v1/organizations', {name: 'Bench Academy'}, ADMIN) as {apiKey: string};
  const ach = await call('/api/v1/achievements', {name: 'Bench Badge', description: 'Issued by the benchmark.',
    criteria: {narrative: 'Ran the benchmark.'}, achievementType: 'MicroCredential', validityMonths: 24,
    alignment: [{targetName: 'Benchmarking', targetUrl: 'https://example.org/skills/bench', targetFramework: 'ESCO'}]}, org.apiKey) as {id: string};
  const credential = await call('/api/v1/credentials', {achievementId: ach.id, recipient: {name: 'Page Bench', email: 'page@example.org'}},
    org.apiKey) as {id: string};
  process.stdout.write(`${JSON.stringify({address, id: credential.id})}\n`);
} catch(error) {
  process.stderr.write(`page-server: ${(error as Error).stack ?? String(error)}\n`);
  await stop(1);
}
