// Crash test of bulk issuance on PostgreSQL: a 10,000-row batch issued by `laurel worker` processes,
// the worker killed with SIGKILL at three points and restarted each time. Expected: exactly 10,000
// credentials, no recipient twice, every status index unique, and at most one email per recipient.
import {randomBytes} from 'node:crypto';
import pg from 'pg';
import {describe, expect, it} from 'vitest';
import {API_KEY_LINE, ROWS, TEST_DATABASE_URL, call, until, startWorker, cleanUpAfterAll, uploadBatch} from './batches-process-shared.js';
import {freePort, type ServerProcess, serverEnv, startServer, tempDir} from './process-helpers.js';

cleanUpAfterAll();

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
      const {achievementId, batchId, path} = await uploadBatch(server, apiKey);
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
             FROM credentials WHERE achievement_id = $1`, [achievementId]);
        expect(counts).toEqual({n: ROWS, recipients: ROWS, slots: ROWS});
        const {rows: [mail]} = await c.query(
          `SELECT coalesce(max(n), 0)::int AS per FROM (SELECT recipient, count(*) AS n FROM email_deliveries WHERE batch_id = $1 GROUP BY recipient) x`,
          [batchId]);
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
