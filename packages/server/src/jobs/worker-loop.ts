/**
 * One queue's worker in this process: fetches up to `concurrency` jobs with
 * pg-boss's `fetch`, runs each, and records each outcome with `complete` / `fail`.
 *
 * Why not pg-boss's own `work()`: in 10.x it records outcomes without awaiting
 * them (a database error then becomes an unhandled rejection that ends the
 * process), runs a batch as one unit (one failure fails the batch) and needs one
 * polling loop per unit of concurrency. Here one loop serves the queue, every
 * database call is awaited, and a job sent by this process wakes the loop at once.
 */
import type PgBoss from 'pg-boss';
import type {Job, JobData, JobHandler, JobLogger} from './queue.js';

/** How the loop is driven. */
export interface WorkerLoopOptions {
  concurrency: number;
  pollingIntervalMs: number;
}

/** Why a run was abandoned before its handler settled; the code is stored with the message. */
class RunAborted extends Error {
  constructor(message: string, readonly code: 'JOB_TIMED_OUT' | 'JOB_INTERRUPTED') {
    super(message);
  }
}

/** The polling loop of one queue. */
export class WorkerLoop<T extends JobData> {
  private readonly running = new Map<string, {done: Promise<void>; abort: (reason: RunAborted) => void}>();
  private stopping = false;
  private loop: Promise<void> | null = null;
  /** Resolves the loop's current wait. */
  private wake: (() => void) | null = null;
  private waitingForSlot = false;
  /** A job was sent since the last fetch began. */
  private wanted = false;

  constructor(private readonly boss: PgBoss, readonly name: string, private readonly handler: JobHandler<T>,
    private readonly options: WorkerLoopOptions, private readonly log: JobLogger) {}

  /** Starts polling. */
  start(): void {
    this.loop ??= this.run();
  }

  /** A job was just sent to this queue: fetch now instead of at the next poll. */
  notify(): void {
    this.wanted = true;
    if(!this.waitingForSlot) this.wake?.();
  }

  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Stops fetching, lets running jobs finish for up to `graceMs`, then gives up on
   * the rest: they are failed as interrupted (so retried) and their handlers'
   * signals aborted. Resolves once no database call of this loop is pending (or,
   * should the database hang, after at most three times `graceMs`).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake?.();
    // A fetch in flight normally returns at once; a database that hangs must not hang the shutdown too.
    if(this.loop && await within(this.loop, graceMs)) this.log.error({queue: this.name}, 'the job worker did not stop in time');
    if(this.running.size === 0) return;
    const all = () => Promise.all([...this.running.values()].map(r => r.done));
    if(await within(all(), graceMs)) {
      for(const r of this.running.values()) r.abort(new RunAborted(`interrupted: the worker stopped before the job finished (waited ${graceMs} ms)`, 'JOB_INTERRUPTED'));
      // Recording them as failed is quick, unless the database hangs.
      await within(all(), graceMs);
    }
  }

  private async run(): Promise<void> {
    while(!this.stopping) {
      const free = this.options.concurrency - this.running.size;
      let more = false;
      if(free > 0) {
        this.wanted = false;
        const jobs = await this.fetch(free);
        for(const job of jobs) this.launch(job);
        more = jobs.length === free;
      }
      if(this.stopping) break;
      if(this.running.size >= this.options.concurrency) await this.sleep(null, true);
      else if(!more && !this.wanted) await this.sleep(this.options.pollingIntervalMs, false);
    }
  }

  /** Up to `count` jobs, now active. A database error means none this time: the next poll tries again. */
  private async fetch(count: number): Promise<PgBoss.JobWithMetadata<T>[]> {
    try {
      // pg-boss's fetch itself already answers [] on a database error.
      return await this.boss.fetch<T>(this.name, {batchSize: count, includeMetadata: true});
    } catch(error) {
      this.log.error({queue: this.name, err: error}, 'could not fetch jobs');
      return [];
    }
  }

  /** Waits for a wake-up: a free slot (`forSlot`), a notify, stop, or `ms`. */
  private async sleep(ms: number | null, forSlot: boolean): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>(ok => {
      this.wake = ok;
      this.waitingForSlot = forSlot;
      if(ms !== null) timer = setTimeout(ok, ms);
    });
    clearTimeout(timer);
    this.wake = null;
    this.waitingForSlot = false;
  }

  private launch(job: PgBoss.JobWithMetadata<T>): void {
    let abort!: (reason: RunAborted) => void;
    const aborted = new Promise<never>((_, fail) => { abort = fail; });
    aborted.catch(() => undefined);
    const done = this.execute(job, aborted, reason => abort(reason)).finally(() => {
      this.running.delete(job.id);
      if(this.waitingForSlot) this.wake?.();
    });
    this.running.set(job.id, {done, abort});
  }

  /** Runs one job and records its outcome. Never rejects. */
  private async execute(job: PgBoss.JobWithMetadata<T>, aborted: Promise<never>, abort: (reason: RunAborted) => void): Promise<void> {
    const controller = new AbortController();
    const expireSeconds = Math.max(1, Number(job.expireInSeconds) || 900);
    // The same rule as pg-boss's maintenance (started + expireIn < now): a run past its expiry fails and is retried.
    const timer = setTimeout(() => abort(new RunAborted(`timed out: the job ran longer than ${expireSeconds} s`, 'JOB_TIMED_OUT')), expireSeconds * 1000);
    const view: Job<T> = {id: job.id, name: job.name, data: job.data, retryCount: job.retryCount, signal: controller.signal};
    let outcome: {ok: true; value: unknown} | {ok: false; error: unknown};
    try {
      const handled = Promise.resolve().then(() => this.handler(view));
      // An abandoned handler may still settle later: nobody awaits it then.
      handled.catch(() => undefined);
      outcome = {ok: true, value: await Promise.race([handled, aborted])};
    } catch(error) {
      if(error instanceof RunAborted) controller.abort(error);
      outcome = {ok: false, error};
    } finally {
      clearTimeout(timer);
    }
    try {
      if(outcome.ok) {
        await this.boss.complete(this.name, job.id, toOutput(outcome.value));
      } else {
        this.log.warn({job: job.id, queue: this.name, retryCount: job.retryCount, err: outcome.error}, 'job failed');
        await this.boss.fail(this.name, job.id, errorOutput(outcome.error));
      }
    } catch(error) {
      // The outcome is lost; the job stays active until its expiry, then runs again (at-least-once).
      this.log.error({job: job.id, queue: this.name, err: error}, 'could not record the outcome of a job');
    }
  }
}

/** Waits for `promise` up to `ms`; true when the time ran out first. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    promise.then(() => false),
    new Promise<boolean>(ok => { timer = setTimeout(() => ok(true), ms); }),
  ]);
  clearTimeout(timer);
  return timedOut;
}

/** A handler's result as pg-boss stores it (an object; other values wrapped as {value}). */
function toOutput(value: unknown): object {
  return (value === undefined || value === null ? undefined : typeof value === 'object' && !Array.isArray(value) ? value : {value}) as object;
}

/** What a failed run stores: the message and a code if the error has one, never the stack (the API shows it to the tenant). */
function errorOutput(error: unknown): {message: string; code?: string} {
  const e = error as {message?: unknown; code?: unknown} | null;
  const message = e && typeof e.message === 'string' ? e.message : String(error);
  return e && typeof e.code === 'string' ? {message, code: e.code} : {message};
}
