// Crash test of bulk issuance on PGlite: a 10,000-row batch on the server process (where the worker
// runs in the server), killed with SIGKILL at three points and restarted each time. Expected: exactly
// 10,000 credentials, no recipient twice, every status index unique, and at most one email per
// recipient (the outbox, no SMTP configured).
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {openDatabase} from '../src/db/open.js';
import {API_KEY_LINE, ROWS, call, until, cleanUpAfterAll, uploadBatch} from './batches-process-shared.js';
import {freePort, serverEnv, startServer, tempDir} from './process-helpers.js';

cleanUpAfterAll();

describe('bulk issuance across kill -9 (PGlite, the server process)', () => {
  it('10,000 rows, killed three times: exactly 10,000 credentials, unique indexes, at most one email each', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    // Mail goes to the outbox (no SMTP), unthrottled enough to be sending while the server is killed.
    const env = serverEnv(port, dataDir, {LAUREL_BATCH_CHUNK: '100', MAIL_RATE: '500'});
    let server = await startServer({env, port, dataDir});
    const apiKey = API_KEY_LINE.exec(server.stdout())?.[1] ?? '';
    const {achievementId, batchId, path} = await uploadBatch(server, apiKey);
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
           FROM credentials WHERE achievement_id = $1`, [achievementId]);
      expect(counts).toEqual({n: ROWS, recipients: ROWS, slots: ROWS});
      const {rows: [rows]} = await db.query<{issued: number; linked: number}>(
        `SELECT count(*) FILTER (WHERE status = 'issued')::int AS issued, count(DISTINCT credential_id)::int AS linked FROM batch_rows WHERE batch_id = $1`,
        [batchId]);
      expect(rows).toEqual({issued: ROWS, linked: ROWS});
      const {rows: [mail]} = await db.query<{deliveries: number; per: number}>(
        `SELECT count(*)::int AS deliveries, coalesce(max(c), 0)::int AS per FROM (SELECT recipient, count(*) AS c FROM email_deliveries WHERE batch_id = $1 GROUP BY recipient) x`,
        [batchId]);
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
