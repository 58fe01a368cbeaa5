// Crash test of bulk issuance: a 10,000-row batch on the server process (PGlite, where the
// worker runs in the server), killed with SIGKILL at three points and restarted each time.
// Expected: exactly 10,000 credentials, no recipient twice, every status index unique,
// and at most one email per recipient (the outbox, no SMTP configured).
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import pg from 'pg';
import {afterAll, describe, expect, it} from 'vitest';
import {openDatabase} from '../src/db/open.js';
import {childEnv, freePort, killAll, REPO_ROOT, removeTempDirs, type ServerProcess, serverEnv, startServer, tempDir} from './process-helpers.js';

const API_KEY_LINE = /Demo API key[^:]*: (lrl_\S+)/;
const ROWS = 10_000;

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

async function call(server: ServerProcess, method: string, path: string, apiKey: string, body?: BodyInit, type?: string) {
  const res = await fetch(`${server.baseUrl}${path}`, {method, headers: {authorization: `Bearer ${apiKey}`, ...(type ? {'content-type': type} : {})}, body});
  const text = await res.text();
  return {status: res.status, body: text ? JSON.parse(text) : undefined};
}

async function until<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for(;;) {
    const value = await probe().catch(() => undefined);
    if(value !== undefined) return value;
    if(Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise(r => setTimeout(r, 20));
  }
}

describe('bulk issuance across kill -9 (PGlite, the server process)', () => {
  it('10,000 rows, killed three times: exactly 10,000 credentials, unique indexes, at most one email each', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    // Mail goes to the outbox (no SMTP), unthrottled enough to be sending while the server is killed.
    const env = serverEnv(port, dataDir, {LAUREL_BATCH_CHUNK: '100', MAIL_RATE: '500'});
    let server = await startServer({env, port, dataDir});
    const apiKey = API_KEY_LINE.exec(server.stdout())?.[1] ?? '';
    const achievement = await call(server, 'POST', '/api/v1/achievements', apiKey, JSON.stringify({name: 'Conference 2026',
      description: 'Attended.', criteria: {narrative: 'Was there.'}, achievementType: 'Badge'}), 'application/json');
    expect(achievement.status).toBe(201);
    let csv = 'Name,Email\n';
    for(let i = 0; i < ROWS; i++) csv += `Attendee ${i},attendee${i}@example.org\n`;
    const form = new FormData();
    form.set('achievementId', achievement.body.id);
    form.set('mapping', JSON.stringify({name: 'Name', email: 'Email'}));
    form.set('file', new Blob([csv], {type: 'text/csv'}), 'attendees.csv');
    const started = await call(server, 'POST', '/api/v1/batches', apiKey, form);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const path = `/api/v1/batches/${started.body.id}`;
    const issuedAtKill: number[] = [];
    for(const at of [1500, 4500, 7500]) {
      const seen = await until(async () => {
        const view = (await call(server, 'GET', path, apiKey)).body;
        return view.progress.issued >= at ? view : undefined;
      }, 120_000);
      server.kill('SIGKILL');
      await server.exited;
      issuedAtKill.push(seen.progress.issued);
      server = await startServer({env, port, dataDir});
    }
    expect(issuedAtKill.every(n => n < ROWS)).toBe(true);
    const done = await until(async () => {
      const view = (await call(server, 'GET', path, apiKey)).body;
      return view.status === 'completed' ? view : undefined;
    }, 180_000);
    expect(done.progress).toMatchObject({total: ROWS, issued: ROWS, failed: 0});
    // Stop the server (mail may still be going out: the check is "never twice") and read its database directly.
    await server.stop();
    const db = await openDatabase({dataDir});
    try {
      const {rows: [counts]} = await db.query<{n: number; recipients: number; slots: number}>(
        `SELECT count(*)::int AS n, count(DISTINCT recipient_email)::int AS recipients,
                count(DISTINCT (status_list_id, status_index))::int AS slots
           FROM credentials WHERE achievement_id = $1`, [achievement.body.id]);
      expect(counts).toEqual({n: ROWS, recipients: ROWS, slots: ROWS});
      const {rows: [rows]} = await db.query<{issued: number; linked: number}>(
        `SELECT count(*) FILTER (WHERE status = 'issued')::int AS issued, count(DISTINCT credential_id)::int AS linked FROM batch_rows WHERE batch_id = $1`,
        [started.body.id]);
      expect(rows).toEqual({issued: ROWS, linked: ROWS});
      const {rows: [mail]} = await db.query<{deliveries: number; per: number}>(
        `SELECT count(*)::int AS deliveries, coalesce(max(c), 0)::int AS per FROM (SELECT recipient, count(*) AS c FROM email_deliveries WHERE batch_id = $1 GROUP BY recipient) x`,
        [started.body.id]);
      expect(mail.per).toBeLessThanOrEqual(1);
    } finally {
      await db.close();
    }
    // The outbox holds at most one message per recipient.
    const outbox = join(dataDir, 'outbox');
    const perRecipient = new Map<string, number>();
    for(const f of readdirSync(outbox).filter(f => f.endsWith('.eml'))) {
      const to = /^To: (.*)$/mi.exec(readFileSync(join(outbox, f), 'utf8'))?.[1]?.trim() ?? '';
      perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    }
    expect([...perRecipient.values()].every(n => n === 1)).toBe(true);
  }, 600_000);
});

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/** A `laurel worker` process (packages/server/src/worker.ts); resolves once it runs. */
async function startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/worker.ts'], {cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  child.stdout!.on('data', c => { out += c; });
  child.stderr!.on('data', c => { out += c; });
  const exited = new Promise<void>(ok => child.on('exit', () => ok()));
  await until(async () => out.includes('Laurel worker is running') ? true : undefined, 60_000).catch(() => { throw new Error(`worker did not start:\n${out}`); });
  return {kill: () => child.kill('SIGKILL'), exited, output: () => out};
}

describe('bulk issuance across kill -9 of `laurel worker` processes (PostgreSQL)', () => {
  it.skipIf(!TEST_DATABASE_URL)('10,000 rows, the worker killed three times: exactly 10,000 credentials, unique indexes, at most one email each', async () => {
    const dbName = `laurel_batch_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({connectionString: TEST_DATABASE_URL});
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const url = new URL(TEST_DATABASE_URL!);
    url.pathname = `/${dbName}`;
    let server: ServerProcess | undefined;
    const workers: Awaited<ReturnType<typeof startWorker>>[] = [];
    try {
      const dataDir = tempDir();
      const port = await freePort();
      // The API process runs no jobs; short job runs and quick maintenance so a killed worker's run is retried soon.
      const shared = {DATABASE_URL: url.toString(), LAUREL_BATCH_CHUNK: '100', LAUREL_BATCH_SLICE_SECONDS: '2', LAUREL_JOB_MAINTENANCE_SECONDS: '1', MAIL_RATE: '500'};
      const env = serverEnv(port, dataDir, {...shared, LAUREL_WORKERS: '0'});
      server = await startServer({env, port, dataDir});
      const workerEnv = serverEnv(port, dataDir, shared);
      const apiKey = API_KEY_LINE.exec(server.stdout())?.[1] ?? '';
      const achievement = await call(server, 'POST', '/api/v1/achievements', apiKey, JSON.stringify({name: 'Conference 2026',
        description: 'Attended.', criteria: {narrative: 'Was there.'}, achievementType: 'Badge'}), 'application/json');
      let csv = 'Name,Email\n';
      for(let i = 0; i < ROWS; i++) csv += `Attendee ${i},attendee${i}@example.org\n`;
      const form = new FormData();
      form.set('achievementId', achievement.body.id);
      form.set('mapping', JSON.stringify({name: 'Name', email: 'Email'}));
      form.set('file', new Blob([csv], {type: 'text/csv'}), 'attendees.csv');
      const started = await call(server, 'POST', '/api/v1/batches', apiKey, form);
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      const path = `/api/v1/batches/${started.body.id}`;
      workers.push(await startWorker(workerEnv));
      for(const at of [1500, 4500, 7500]) {
        await until(async () => (await call(server!, 'GET', path, apiKey)).body.progress.issued >= at ? true : undefined, 180_000);
        const w = workers[workers.length - 1];
        w.kill();
        await w.exited;
        workers.push(await startWorker(workerEnv));
      }
      const done = await until(async () => {
        const view = (await call(server!, 'GET', path, apiKey)).body;
        return view.status === 'completed' ? view : undefined;
      }, 240_000);
      expect(done.progress).toMatchObject({total: ROWS, issued: ROWS, failed: 0});
      const c = new pg.Client({connectionString: url.toString()});
      await c.connect();
      try {
        const {rows: [counts]} = await c.query(
          `SELECT count(*)::int AS n, count(DISTINCT recipient_email)::int AS recipients, count(DISTINCT (status_list_id, status_index))::int AS slots
             FROM credentials WHERE achievement_id = $1`, [achievement.body.id]);
        expect(counts).toEqual({n: ROWS, recipients: ROWS, slots: ROWS});
        const {rows: [mail]} = await c.query(
          `SELECT coalesce(max(n), 0)::int AS per FROM (SELECT recipient, count(*) AS n FROM email_deliveries WHERE batch_id = $1 GROUP BY recipient) x`,
          [started.body.id]);
        expect(mail.per).toBeLessThanOrEqual(1);
      } finally {
        await c.end();
      }
    } finally {
      for(const w of workers) w.kill();
      await server?.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }, 600_000);
});
