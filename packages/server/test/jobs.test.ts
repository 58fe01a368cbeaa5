/**
 * Background jobs (pg-boss through JobQueue) on every backend: a job runs once;
 * a failing one is retried with backoff, then failed with its error, dead-lettered,
 * and listed only to its own organization; an enqueue in a rolled-back
 * transaction leaves nothing; 200 jobs run concurrently, each exactly once; jobs
 * orphaned by a dead process, past their expiry or cut off by a shutdown run again.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {deadLetterQueue, type JobData, JobQueue, type JobView} from '../src/jobs/queue.js';
import {api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

/** Polls `probe` until it returns a value (not undefined); fails with `what` and the last value seen after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for(;;) {
    const value = await probe();
    if(value !== undefined) return value;
    if(Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Waits until the job is in `state` and returns it. */
function jobInState(queue: JobQueue, id: string, state: JobView['state'], timeoutMs?: number): Promise<JobView> {
  let last: JobView | null = null;
  return eventually(`job ${id} to be ${state}`, async () => {
    last = await queue.get(id, null);
    return last?.state === state ? last : undefined;
  }, timeoutMs).catch(error => {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
  });
}

describe.each(BACKENDS)('jobs on %s', kind => {
  let t: TestLaurel;
  let jobs: JobQueue;
  let orgA: {apiKey: string; organization: {id: string}};
  let orgB: {apiKey: string; organization: {id: string}};

  beforeAll(async () => {
    t = await startLaurel(kind, {jobs: {pollingIntervalSeconds: 0.5}});
    jobs = t.services.jobs;
    [orgA, orgB] = [await createOrg(t.app, {name: 'Org A'}), await createOrg(t.app, {name: 'Org B'})];
    // Side effects of handlers, counted by the tests (no unique key: duplicates would show).
    await t.db.query('CREATE TABLE job_effects (job_id uuid NOT NULL, queue text NOT NULL, n integer)');
  });

  afterAll(async () => {
    const schema = jobs?.bossSchema;
    await t?.close();
    // Closing the app stopped the queue (before the harness closed the database).
    if(jobs) await expect(jobs.send('test.once', {})).rejects.toThrow('the job queue is stopped');
    // The harness drops the suite's schema; pg-boss's sits beside it.
    if(kind === 'postgres' && schema) {
      const client = new pg.Client({connectionString: process.env.TEST_DATABASE_URL});
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  const effects = async (queue: string) =>
    (await t.db.query<{job_id: string; n: number}>('SELECT job_id::text AS job_id, n FROM job_effects WHERE queue = $1', [queue])).rows;

  it('runs a job once and completes it with the handler\'s result', async () => {
    await jobs.work<JobData & {n: number}>('test.once', async job => {
      await t.db.query('INSERT INTO job_effects (job_id, queue, n) VALUES ($1, $2, $3)', [job.id, 'test.once', job.data.n]);
      return {doubled: job.data.n * 2};
    });
    const id = (await jobs.send('test.once', {organizationId: orgA.organization.id, n: 21}))!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const done = await jobInState(jobs, id, 'completed');
    expect(done).toMatchObject({id, name: 'test.once', state: 'completed', retryCount: 0, output: {doubled: 42},
      data: {organizationId: orgA.organization.id, n: 21}});
    expect(done.error).toBeUndefined();
    expect(Date.parse(done.completedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt!));
    expect(await effects('test.once')).toEqual([{job_id: id, n: 21}]);
    // A fixed id makes the enqueue idempotent: the second send creates nothing.
    const fixed = '5a1e0000-0000-4000-8000-000000000001';
    expect(await jobs.send('test.once', {organizationId: orgA.organization.id, n: 1}, {id: fixed})).toBe(fixed);
    expect(await jobs.send('test.once', {organizationId: orgA.organization.id, n: 1}, {id: fixed})).toBeNull();
    await jobInState(jobs, fixed, 'completed');
    expect((await effects('test.once')).filter(e => e.job_id === fixed)).toHaveLength(1);
    // Sending to a queue nobody registered, or before start, is a programmer error, not a silent no-op.
    await expect(jobs.send('test.nobody', {})).rejects.toThrow('no job queue "test.nobody" is registered');
    const idle = new JobQueue(t.db);
    void idle.work('test.idle', async () => undefined);
    await expect(idle.send('test.idle', {})).rejects.toThrow('the job queue is not started');
  });

  it('retries a failing job with backoff, then fails it with its error and dead-letters it; only its organization sees it', async () => {
    const attempts: number[] = [];
    await jobs.work('test.fails', async () => {
      attempts.push(Date.now());
      throw Object.assign(new Error('the mail server refused: 503'), {code: 'MAIL_UNAVAILABLE'});
    }, {retryLimit: 2, retryDelaySeconds: 1, retryBackoff: true});
    const id = (await jobs.send('test.fails', {organizationId: orgA.organization.id, to: 'ada@example.org'}))!;

    const waiting = await jobInState(jobs, id, 'retry');
    expect(waiting.error).toEqual({message: 'the mail server refused: 503', code: 'MAIL_UNAVAILABLE'});

    const failed = await jobInState(jobs, id, 'failed');
    expect(attempts).toHaveLength(3);
    // Backoff: delay · 2^n / 2 · (1 + jitter) — at least 1 s before the first retry, 2 s before the second.
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(950);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(1950);
    expect(failed).toMatchObject({state: 'failed', retryCount: 2, retryLimit: 2,
      error: {message: 'the mail server refused: 503', code: 'MAIL_UNAVAILABLE'}});
    expect(failed.completedAt).not.toBeNull();
    expect(failed.output).toBeUndefined();

    // Over HTTP: the owner sees it among failed jobs, with its error; the stack never leaves the server.
    const a = api(t.app, orgA.apiKey);
    const listed = await a.get('/api/v1/jobs?state=failed');
    expect(listed.statusCode, listed.body).toBe(200);
    const items = listed.json().items as JobView[];
    expect(items.map(j => j.id)).toEqual([id]);
    expect(items[0]).toMatchObject({name: 'test.fails', state: 'failed', error: {message: 'the mail server refused: 503'}});
    expect(Object.keys(items[0].error!)).toEqual(['message', 'code']);
    expect((await a.get(`/api/v1/jobs/${id}`)).json()).toMatchObject({id, state: 'failed'});

    // The dead-letter queue holds a copy with the data and the error.
    const dead = (await a.get(`/api/v1/jobs?name=${deadLetterQueue('test.fails')}`)).json().items as JobView[];
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({name: 'test.fails.dead-letter', state: 'created',
      data: {organizationId: orgA.organization.id, to: 'ada@example.org'}, error: {message: 'the mail server refused: 503'}});

    // Another organization sees none of it, not even by id.
    const b = api(t.app, orgB.apiKey);
    expect((await b.get('/api/v1/jobs?state=failed')).json()).toEqual({items: [], nextCursor: null});
    expect((await b.get('/api/v1/jobs')).json().items).toEqual([]);
    const other = await b.get(`/api/v1/jobs/${id}`);
    expect(other.statusCode).toBe(404);
    expect(other.json().code).toBe('NOT_FOUND');
    expect((await b.get('/api/v1/jobs/not-a-uuid')).statusCode).toBe(404);

    // And nobody without a key.
    for(const url of ['/api/v1/jobs?state=failed', `/api/v1/jobs/${id}`]) {
      const anonymous = await t.app.inject({method: 'GET', url});
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(anonymous.json().code).toBe('UNAUTHENTICATED');
    }
  });

  it('an enqueue in a rolled-back transaction leaves no job; in a committed one, the job runs', async () => {
    const n = 7001;
    await expect(t.db.transaction(async tx => {
      await jobs.send('test.once', {organizationId: orgA.organization.id, n}, {tx});
      throw new Error('the state change failed');
    })).rejects.toThrow('the state change failed');
    const {rows} = await t.db.query(`SELECT id FROM ${jobs.bossSchema}.job WHERE data->>'n' = $1`, [String(n)]);
    expect(rows).toEqual([]);

    // No notify after the commit: on PGlite the woken worker's fetch waits for the commit, on PostgreSQL the next poll finds it.
    const id = await t.db.transaction(async tx => jobs.send('test.once', {organizationId: orgA.organization.id, n: n + 1}, {tx}));
    await jobInState(jobs, id!, 'completed');
    expect((await effects('test.once')).filter(e => e.n === n || e.n === n + 1)).toEqual([{job_id: id, n: n + 1}]);
  });

  it('runs 200 jobs with concurrency 8, each exactly once; the listing pages through all of them', async () => {
    let inFlight = 0, maxInFlight = 0;
    await jobs.work<JobData & {n: number}>('test.many', async job => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await sleep(Math.random() * 10);
        await t.db.query('INSERT INTO job_effects (job_id, queue, n) VALUES ($1, $2, $3)', [job.id, 'test.many', job.data.n]);
      } finally {
        inFlight--;
      }
    }, {concurrency: 8});
    const ids = await jobs.sendMany('test.many', Array.from({length: 200}, (_, n) => ({organizationId: orgB.organization.id, n})));
    expect(new Set(ids).size).toBe(200);

    await eventually('200 completed jobs', async () => {
      const {rows} = await t.db.query<{count: number | string}>(
        `SELECT count(*) AS count FROM ${jobs.bossSchema}.job WHERE name = 'test.many' AND state = 'completed'`);
      return Number(rows[0].count) === 200 ? true : undefined;
    }, 30_000);
    const done = await effects('test.many');
    expect(done).toHaveLength(200);
    expect(new Set(done.map(e => e.job_id))).toEqual(new Set(ids));
    expect(new Set(done.map(e => e.n)).size).toBe(200);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(8);

    // Newest first, 64 at a time, no job twice and none missed (the cursor keeps created_on's microseconds).
    const b = api(t.app, orgB.apiKey);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await b.get(`/api/v1/jobs?name=test.many&state=completed&limit=64${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as {items: JobView[]; nextCursor: string | null};
      seen.push(...page.items.map(j => j.id));
      const created = page.items.map(j => Date.parse(j.createdAt));
      expect(created).toEqual([...created].sort((x, y) => y - x));
      cursor = page.nextCursor;
    } while(cursor);
    expect(seen).toHaveLength(200);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('refuses bad query parameters with 400 VALIDATION_FAILED', async () => {
    const a = api(t.app, orgA.apiKey);
    for(const query of ['state=broken', 'limit=0', 'limit=201', 'limit=abc', 'name=Bad%20Name', 'colour=red', 'cursor=bm9wZQ']) {
      const res = await a.get(`/api/v1/jobs?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type'], query).toMatch(/^application\/problem\+json/);
      expect(res.json().code, query).toBe('VALIDATION_FAILED');
    }
  });

  it('a job left active by a dead process runs again after a restart', async () => {
    // A "previous process": its job is active (started, never finished) and nobody runs it now.
    const before = new JobQueue(t.db, {workers: false});
    await before.start();
    await before.work('test.orphan', async () => undefined, {retryDelaySeconds: 1});
    const id = (await before.send('test.orphan', {organizationId: orgA.organization.id}))!;
    // On PGlite only one process ever runs, so even a job started a moment ago is orphaned at startup; on
    // PostgreSQL another worker may be running it, so only one past its expiry is retried then.
    await t.db.query(`UPDATE ${before.bossSchema}.job SET state = 'active', started_on = now() - $2::interval WHERE id = $1`,
      [id, kind === 'pglite' ? '0 seconds' : '1 hour']);
    await before.stop();

    const after = new JobQueue(t.db, {pollingIntervalSeconds: 0.5});
    const runs: number[] = [];
    // Registered before start, as a server does: start() recovers the orphan, then runs the queue.
    const created = after.work('test.orphan', async job => { runs.push(job.retryCount); }, {retryDelaySeconds: 1});
    await after.start();
    await created;
    try {
      const done = await jobInState(after, id, 'completed');
      expect(runs).toEqual([1]);
      expect(done.retryCount).toBe(1);
      expect(done.output).toBeUndefined();
    } finally {
      await after.stop();
    }
  });

  it('a run past its expiry fails as timed out; a run cut off by shutdown fails as interrupted; both retry', async () => {
    const q = new JobQueue(t.db, {pollingIntervalSeconds: 0.5, shutdownGraceMs: 100});
    const aborted: string[] = [];
    const hang = async (job: {signal: AbortSignal}) => {
      await new Promise<void>(ok => job.signal.addEventListener('abort', () => ok(), {once: true}));
      aborted.push(String(job.signal.reason?.message));
      throw job.signal.reason;
    };
    await q.start();
    await q.work('test.slow', hang, {expireInSeconds: 1, retryLimit: 0});
    await q.work('test.cut', hang, {retryLimit: 3, retryDelaySeconds: 60});
    try {
      const slow = (await q.send('test.slow', {organizationId: orgA.organization.id}))!;
      const cut = (await q.send('test.cut', {organizationId: orgA.organization.id}))!;
      const timedOut = await jobInState(q, slow, 'failed');
      expect(timedOut.error).toEqual({message: 'timed out: the job ran longer than 1 s', code: 'JOB_TIMED_OUT'});
      await jobInState(q, cut, 'active');
      await q.stop();
      const interrupted = (await jobs.get(cut, orgA.organization.id))!;
      expect(interrupted.state).toBe('retry');
      expect(interrupted.error?.message).toMatch(/^interrupted: the worker stopped/);
      expect(interrupted.error?.code).toBe('JOB_INTERRUPTED');
      expect(aborted).toEqual(['timed out: the job ran longer than 1 s', expect.stringMatching(/^interrupted/)]);
    } finally {
      await q.stop();
    }
  });
});
