/**
 * A test-only job for the process tests (LAUREL_TEST_JOBS=1): one long job of
 * STEPS steps, each recorded once in a table, so a test can kill -9 the server
 * half way, restart it, and check that the job finished with every step done
 * exactly once. Never registered unless that variable is set.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import type {Database} from '../db/database.js';
import type {Job, JobQueue, JobQueueOptions} from './queue.js';

/** The queue. */
export const TEST_STEPS_QUEUE = 'laurel-test.steps';
/** The one job's fixed id: a restart sends it again, and that creates nothing. */
export const TEST_STEPS_JOB_ID = '00000000-0000-4000-8000-0000000a11ce';
/** Steps of the job, and the pause after each (the window in which a test kills the process). */
export const TEST_STEPS = 20;
const STEP_MS = 150;

/** Queue settings for a test server: fast polling, and maintenance every second so expired jobs retry quickly. */
export const TEST_JOB_QUEUE_OPTIONS: JobQueueOptions = {pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1};

/** Registers the handler and sends the job (once: its id is fixed) for `organizationId`. */
export async function startTestStepsJob(db: Database, jobs: JobQueue, organizationId: string | undefined, log: (msg: string) => void): Promise<void> {
  await db.query(`CREATE TABLE IF NOT EXISTS laurel_test_job_steps (
    job_id uuid NOT NULL, step integer NOT NULL, attempt integer NOT NULL, done_at timestamptz NOT NULL DEFAULT now())`);
  // A run takes ~3 s: an expiry of 8 s lets PostgreSQL's maintenance retry a killed run soon after a restart.
  await jobs.work<{organizationId?: string; steps: number}>(TEST_STEPS_QUEUE, job => runSteps(db, job, log),
    {retryLimit: 3, retryDelaySeconds: 1, retryBackoff: true, expireInSeconds: 8});
  const sent = await jobs.send(TEST_STEPS_QUEUE, {...(organizationId ? {organizationId} : {}), steps: TEST_STEPS}, {id: TEST_STEPS_JOB_ID});
  log(sent ? `Test job ${TEST_STEPS_JOB_ID} sent.` : `Test job ${TEST_STEPS_JOB_ID} already exists.`);
}

/**
 * Does the steps not yet done. Each step is checked and recorded in one
 * transaction under a lock on the job, so a step is recorded once however
 * often the job runs (the table has no unique key: the test counts).
 */
async function runSteps(db: Database, job: Job<{steps: number}>, log: (msg: string) => void): Promise<{steps: number}> {
  for(let step = 1; step <= job.data.steps; step++) {
    job.signal.throwIfAborted();
    const done = await db.transaction(async tx => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [job.id]);
      const seen = await tx.query('SELECT 1 FROM laurel_test_job_steps WHERE job_id = $1 AND step = $2', [job.id, step]);
      if(seen.rows.length > 0) return false;
      await tx.query('INSERT INTO laurel_test_job_steps (job_id, step, attempt) VALUES ($1, $2, $3)', [job.id, step, job.retryCount]);
      return true;
    });
    if(done) {
      log(`Test job step ${step}/${job.data.steps} (attempt ${job.retryCount})`);
      await sleep(STEP_MS);
    }
  }
  return {steps: job.data.steps};
}
