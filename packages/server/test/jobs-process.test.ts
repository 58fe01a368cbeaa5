/**
 * Jobs across kill -9: the real server (LAUREL_TEST_JOBS=1 adds a test job of 20
 * steps, jobs/test-steps.ts) is SIGKILLed half way through the job, restarted,
 * and the job must finish with every step done exactly once. On PGlite the
 * restart retries the orphaned job at once; on PostgreSQL maintenance retries it
 * once its expiry (8 s) has passed.
 */
import {randomBytes} from 'node:crypto';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import pg from 'pg';
import {afterAll, describe, expect, it} from 'vitest';
import {openPglite} from '../src/db/pglite.js';
import {TEST_STEPS, TEST_STEPS_JOB_ID} from '../src/jobs/test-steps.js';
import {dumpOutput, freePort, killAll, removeTempDirs, type ServerProcess, serverEnv, startServer, tempDir} from './process-helpers.js';

const API_KEY_LINE = /^\[laurel\] Demo API key \(shown once(?:; [^)]*)?\): (lrl_\S+)$/m;
const STEP_LINE = /^\[laurel\] Test job step (\d+)\/\d+ \(attempt (\d+)\)$/gm;
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

/** The steps a server process logged, in order. */
const loggedSteps = (server: ServerProcess) => [...server.stdout().matchAll(STEP_LINE)].map(m => Number(m[1]));

/** Waits until `server` logged step `n` or later; fails with its output otherwise. */
async function waitForStep(server: ServerProcess, n: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while(!loggedSteps(server).some(s => s >= n)) {
    if(Date.now() > deadline || server.child.exitCode !== null) throw new Error(`step ${n} was not reached\n${dumpOutput(server)}`);
    await sleep(10);
  }
}

/** Polls the job over the API until it is completed. */
async function waitForCompletion(server: ServerProcess, apiKey: string, timeoutMs = 25_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for(;;) {
    const res = await fetch(`${server.baseUrl}/api/v1/jobs/${TEST_STEPS_JOB_ID}`, {headers: {authorization: `Bearer ${apiKey}`}});
    last = await res.json();
    if(res.status === 200 && (last as {state: string}).state === 'completed') return last;
    if(Date.now() > deadline) throw new Error(`the job did not complete; last seen ${JSON.stringify(last)}\n${dumpOutput(server)}`);
    await sleep(100);
  }
}

/**
 * Kills the first server half way through the job, restarts it, and waits for the
 * job to complete. Returns the steps each process logged and the job's view.
 */
async function killHalfWayAndRestart(env: Record<string, string>, port: number, dataDir: string) {
  const first = await startServer({env, port, dataDir});
  const apiKey = API_KEY_LINE.exec(first.stdout())?.[1];
  expect(apiKey, dumpOutput(first)).toMatch(/^lrl_/);
  expect(first.stdout()).toContain(`[laurel] Test job ${TEST_STEPS_JOB_ID} sent.`);
  await waitForStep(first, 5);
  first.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  const before = loggedSteps(first);
  expect(before.length, dumpOutput(first)).toBeLessThan(TEST_STEPS);

  const second = await startServer({env, port, dataDir});
  // The restart sends the job again with its fixed id: nothing new is created.
  expect(second.stdout()).toContain(`[laurel] Test job ${TEST_STEPS_JOB_ID} already exists.`);
  const job = await waitForCompletion(second, apiKey!);
  const after = loggedSteps(second);
  // The second run did only what the first had not: it resumed, it did not start over.
  expect(after.length).toBeGreaterThan(0);
  expect(Math.min(...after)).toBeGreaterThan(Math.max(...before));
  expect(Math.max(...after)).toBe(TEST_STEPS);
  // Listed among the demo organization's completed jobs.
  const listed = await (await fetch(`${second.baseUrl}/api/v1/jobs?state=completed&name=laurel-test.steps`,
    {headers: {authorization: `Bearer ${apiKey}`}})).json() as {items: {id: string}[]};
  expect(listed.items.map(j => j.id)).toEqual([TEST_STEPS_JOB_ID]);
  return {second, before, after, job};
}

/**
 * Every step exactly once: those the first process logged with attempt 0, those the
 * second logged with attempt 1. At most one step is in neither log: committed by the
 * first process, which was killed before it could log it (so the second skipped it).
 */
function expectEachStepOnce(rows: {step: number; attempt: number}[], before: number[], after: number[]): void {
  expect(rows.map(r => r.step)).toEqual(Array.from({length: TEST_STEPS}, (_, i) => i + 1));
  const unlogged = rows.filter(r => !before.includes(r.step) && !after.includes(r.step));
  expect(unlogged.length).toBeLessThanOrEqual(1);
  for(const r of unlogged) expect(r).toEqual({step: Math.max(...before) + 1, attempt: 0});
  for(const r of rows.filter(r => before.includes(r.step))) expect(r.attempt, `step ${r.step}`).toBe(0);
  for(const r of rows.filter(r => after.includes(r.step))) expect(r.attempt, `step ${r.step}`).toBe(1);
}

const STEPS_SQL = 'SELECT step, attempt FROM laurel_test_job_steps WHERE job_id = $1 ORDER BY step, attempt';

describe('jobs across kill -9', () => {
  it('PGlite: the job interrupted by kill -9 resumes at restart and finishes with each step exactly once', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = serverEnv(port, dataDir, {LAUREL_TEST_JOBS: '1'});
    const {second, before, after, job} = await killHalfWayAndRestart(env, port, dataDir);
    expect(job).toMatchObject({id: TEST_STEPS_JOB_ID, state: 'completed', retryCount: 1, output: {steps: TEST_STEPS}});
    // Orphaned at startup (one process per data directory), not left to wait for its expiry.
    expect(second.stdout()).toContain('retrying jobs interrupted by the previous process');
    expect((await second.stop()).code).toBe(0);

    // Only now that no server holds the data directory does the test open it.
    const db = await openPglite(join(dataDir, 'pgdata'));
    try {
      expectEachStepOnce((await db.query<{step: number; attempt: number}>(STEPS_SQL, [TEST_STEPS_JOB_ID])).rows, before, after);
    } finally {
      await db.close();
    }
  }, 90_000);

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL: the job interrupted by kill -9 is retried after its expiry and finishes with each step exactly once', async () => {
    const dbName = `laurel_jobs_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({connectionString: TEST_DATABASE_URL});
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    let second: ServerProcess | undefined;
    try {
      const url = new URL(TEST_DATABASE_URL!);
      url.pathname = `/${dbName}`;
      const dataDir = tempDir();
      const port = await freePort();
      const env = serverEnv(port, dataDir, {DATABASE_URL: url.toString(), LAUREL_TEST_JOBS: '1'});
      let before: number[], after: number[], job: any;
      ({second, before, after, job} = await killHalfWayAndRestart(env, port, dataDir));
      expect(job).toMatchObject({id: TEST_STEPS_JOB_ID, state: 'completed', retryCount: 1, output: {steps: TEST_STEPS}});
      const client = new pg.Client({connectionString: url.toString()});
      await client.connect();
      try {
        expectEachStepOnce((await client.query(STEPS_SQL, [TEST_STEPS_JOB_ID])).rows, before, after);
      } finally {
        await client.end();
      }
      expect((await second.stop()).code).toBe(0);
    } finally {
      await second?.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }, 90_000);
});
