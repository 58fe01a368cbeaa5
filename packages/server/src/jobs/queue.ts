/**
 * Durable background jobs (DESIGN.md §3 jobs/): pg-boss 10 in Laurel's own
 * database, on PGlite and PostgreSQL alike.
 *
 * - At least once: a job is retried with backoff after a failure, a timeout or a
 *   crash of its worker, then failed for good and copied to its queue's dead-letter
 *   queue with its error. Handlers must be idempotent.
 * - Nothing lost: `send(…, {tx})` enqueues in the caller's transaction, so the job
 *   exists if and only if the state change that needs it commits.
 * - Where jobs run: on PGlite always in the server process (one process per data
 *   directory); on PostgreSQL in the server process and/or in separate worker
 *   processes (`startWorker`) — the handlers are the same code, registered the same way.
 */
import {randomUUID} from 'node:crypto';
import PgBoss from 'pg-boss';
import type {Database, Queryable} from '../db/database.js';
import {DomainError} from '../errors.js';
import {bossDatabase, bossTransaction} from './db-adapter.js';
import {JOB_COLUMNS, type JobRow, type JobState, type JobView, toJobView} from './job-view.js';
import {WorkerLoop} from './worker-loop.js';

export {JOB_STATES, type JobState, type JobView} from './job-view.js';

/** What every job's data may carry. `organizationId` scopes GET /api/v1/jobs; a job without one is the system's. */
export interface JobData {
  organizationId?: string;
  [key: string]: unknown;
}

/** A job as its handler sees it. */
export interface Job<T extends JobData = JobData> {
  id: string;
  name: string;
  data: T;
  /** 0 on the first run, n on the n-th retry. */
  retryCount: number;
  /** Aborted when this run is given up (past its expiry, or the worker is stopping): stop at the next safe point. */
  signal: AbortSignal;
}

/**
 * Does one job. Must be idempotent: the queue delivers at least once. Throwing
 * fails the run (retried, then failed and dead-lettered); the resolved value is
 * stored as the job's output.
 */
export type JobHandler<T extends JobData = JobData> = (job: Job<T>) => Promise<unknown>;

/** A queue's retry policy and this process's concurrency for it. */
export interface QueuePolicy {
  /** Retries after the first run (default 5). */
  retryLimit?: number;
  /** Seconds before the first retry (default 10, at least 1). */
  retryDelaySeconds?: number;
  /** Double the delay on each retry, with up to 100% jitter (default true). */
  retryBackoff?: boolean;
  /**
   * A run longer than this fails and is retried (default 900). Also how long the
   * job of a crashed worker stays `active` on PostgreSQL before maintenance retries it.
   */
  expireInSeconds?: number;
  /** Jobs of this queue this process runs at once (default 1). */
  concurrency?: number;
}

/** A handler with its queue: what `startWorker` is given. */
export interface JobRegistration<T extends JobData = JobData> {
  name: string;
  // Method syntax: a registration of any job type fits a list of registrations.
  handler(job: Job<T>): Promise<unknown>;
  policy?: QueuePolicy;
}

/** Pino-style logging (Fastify's `app.log` fits). */
export interface JobLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How the queue runs. */
export interface JobQueueOptions {
  /**
   * pg-boss's schema. Default on PostgreSQL: `pgboss` when Laurel's tables are in
   * `public`, else `<Laurel's schema>_boss` (each test suite's own schema gets its own queue).
   */
  schema?: string;
  /**
   * Run the registered handlers in this process (default true). false: only send
   * (an API process next to separate `laurel worker` processes on PostgreSQL).
   */
  workers?: boolean;
  /** Seconds between polls of an idle queue (default 2; pg-boss's minimum is 0.5). A job sent by this process is fetched at once. */
  pollingIntervalSeconds?: number;
  /** Seconds between maintenance runs: expiry of stuck jobs, archiving (default 60). */
  maintenanceIntervalSeconds?: number;
  /** On stop, how long running jobs may take to finish before they are failed as interrupted (default 5000). */
  shutdownGraceMs?: number;
  logger?: JobLogger;
}

/** Options of one send. */
export interface SendOptions {
  /** Enqueue in this open transaction: the job exists if and only if it commits. */
  tx?: Queryable;
  /** A fixed id (UUID): sending the same id again creates nothing (idempotent enqueue). */
  id?: string;
  /** Run no earlier than this: seconds from now, or a time. */
  startAfter?: number | Date;
  /** Higher runs first (default 0). */
  priority?: number;
}

/** A page of jobs. */
export interface JobPage {
  items: JobView[];
  nextCursor: string | null;
}

/** Filters of `list`. */
export interface JobFilter {
  state?: JobState;
  name?: string;
  limit: number;
  cursor?: string;
}

const DEFAULT_POLICY: Required<Omit<QueuePolicy, 'concurrency'>> = {retryLimit: 5, retryDelaySeconds: 10, retryBackoff: true, expireInSeconds: 900};
const QUEUE_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEAD_LETTER_SUFFIX = '.dead-letter';
// Arbitrary constant: serialises the creation of Laurel's indexes on pg-boss's tables.
const INDEX_LOCK_ID = 7_314_002;

/** The dead-letter queue of a queue: failed jobs are copied there with their error. */
export const deadLetterQueue = (name: string) => `${name}${DEAD_LETTER_SUFFIX}`;

const silentLogger: JobLogger = {info: () => undefined, warn: () => undefined, error: () => undefined};

interface Registration extends JobRegistration {
  policy: Required<QueuePolicy>;
  /** Resolves once the queue exists in the database. */
  ready?: Promise<void>;
  /** True once `ready` resolved. */
  created?: boolean;
  loop?: WorkerLoop<JobData>;
}

/**
 * The job queue of one process: one per database per process (on PGlite, `start`
 * takes every `active` job for an orphan of a dead process).
 */
export class JobQueue {
  private readonly registrations = new Map<string, Registration>();
  private boss: PgBoss | null = null;
  private schema = 'pgboss';
  private starting: Promise<void> | null = null;
  /** The last queue creation: creations run one after another. */
  private creating: Promise<void> = Promise.resolve();
  /** Settles when `start` has finished (queues created). */
  private readonly started: Promise<void>;
  private settleStart!: (error?: unknown) => void;
  private stopped = false;
  private logger: JobLogger;
  /** Logs through whichever logger is current (`setLogger` may come after the workers exist). */
  private readonly log: JobLogger = {
    info: (obj, msg) => this.logger.info(obj, msg),
    warn: (obj, msg) => this.logger.warn(obj, msg),
    error: (obj, msg) => this.logger.error(obj, msg),
  };

  constructor(private readonly db: Database, private readonly options: JobQueueOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.started = new Promise<void>((ok, fail) => { this.settleStart = error => (error === undefined ? ok() : fail(error)); });
    this.started.catch(() => undefined);
    const polling = options.pollingIntervalSeconds ?? 2;
    if(!(polling >= 0.5)) throw new Error('pollingIntervalSeconds must be at least 0.5');
  }

  /** Logs through `logger` from now on (the app's logger exists only after the services). */
  setLogger(logger: JobLogger): void {
    this.logger = logger;
  }

  /** pg-boss's schema (known once started). */
  get bossSchema(): string {
    return this.schema;
  }

  /**
   * Registers the handler of a queue. The queue and its dead-letter queue are
   * created at `start` (now, if already started), and this process runs the
   * handler unless `workers: false`. Resolves once the queue exists (so not
   * before `start`); `send` waits for that itself, so the promise need not be awaited.
   */
  work<T extends JobData>(name: string, handler: JobHandler<T>, policy: QueuePolicy = {}): Promise<void> {
    if(!QUEUE_NAME.test(name) || name.endsWith(DEAD_LETTER_SUFFIX)) throw new Error(`invalid queue name "${name}"`);
    if(this.registrations.has(name)) throw new Error(`queue "${name}" already has a handler`);
    const concurrency = policy.concurrency ?? 1;
    if(!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
    const registration: Registration = {name, handler, policy: {...DEFAULT_POLICY, ...policy, concurrency}};
    this.registrations.set(name, registration);
    if(this.boss) this.activate(registration);
    const created = this.whenCreated(registration);
    created.catch(() => undefined);
    return created;
  }

  /**
   * Installs (or migrates) pg-boss's schema, makes jobs orphaned by a dead process
   * retryable, creates the registered queues and starts their workers.
   */
  start(): Promise<void> {
    this.starting ??= this.doStart().then(() => this.settleStart(), error => {
      this.settleStart(error);
      throw error;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.schema = this.options.schema ?? await defaultSchema(this.db);
    const boss = new PgBoss({
      db: bossDatabase(this.db),
      schema: this.schema,
      // No cron schedules yet: they would add a polling worker and two timers.
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: this.options.maintenanceIntervalSeconds ?? 60,
      // Failed jobs stay in the live table (and in GET /api/v1/jobs) for a week, then a week in the archive.
      archiveFailedAfterSeconds: 7 * 24 * 3600,
      deleteAfterDays: 7,
    });
    // pg-boss reports maintenance errors as events; an EventEmitter 'error' with no listener would throw.
    boss.on('error', error => this.log.error({err: error}, 'job queue maintenance failed'));
    await boss.start();
    await this.createIndexes();
    if(this.db.exclusive) {
      await this.recoverOrphans(boss);
    } else {
      // Jobs of crashed workers whose expiry has passed: retry them now rather than at the first maintenance.
      await boss.expire();
    }
    this.boss = boss;
    for(const registration of this.registrations.values()) this.activate(registration);
    await Promise.all([...this.registrations.values()].map(r => r.ready));
  }

  /**
   * PGlite is one process per data directory, so at startup no job can be running:
   * every `active` job belonged to a process that died (kill -9, power loss). Fail
   * them now, as pg-boss does at expiry: each is retried after its backoff, or
   * dead-lettered if it has no retries left (a job that kills its process cannot loop forever).
   */
  private async recoverOrphans(boss: PgBoss): Promise<void> {
    const {rows} = await this.db.query<{name: string; ids: string[]}>(
      `SELECT name, array_agg(id::text) AS ids FROM ${this.schema}.job WHERE state = 'active' GROUP BY name`);
    for(const {name, ids} of rows) {
      for(const id of ids) await boss.fail(name, id, {message: 'interrupted: the process running this job stopped; retried after restart', code: 'JOB_INTERRUPTED'});
      this.log.warn({queue: name, jobs: ids}, 'retrying jobs interrupted by the previous process');
    }
  }

  /** Listing by organization reads the newest first: an index per table (partitions inherit it). */
  private async createIndexes(): Promise<void> {
    const s = this.schema;
    // Checked first: CREATE INDEX IF NOT EXISTS would still lock the job table on every start.
    const {rows} = await this.db.query<{job: string | null; archive: string | null}>(
      `SELECT to_regclass('${s}.laurel_job_org')::text AS job, to_regclass('${s}.laurel_archive_org')::text AS archive`);
    if(rows[0]?.job && rows[0]?.archive) return;
    await this.db.transaction(async tx => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [INDEX_LOCK_ID]);
      await tx.query(`CREATE INDEX IF NOT EXISTS laurel_job_org ON ${s}.job ((data->>'organizationId'), created_on DESC, id DESC)`);
      await tx.query(`CREATE INDEX IF NOT EXISTS laurel_archive_org ON ${s}.archive ((data->>'organizationId'), created_on DESC, id DESC)`);
    });
  }

  /** Creates the queue and starts its worker (once started). */
  private activate(registration: Registration): void {
    const boss = this.boss!;
    const {name, policy} = registration;
    const create = async () => {
      const dead = deadLetterQueue(name);
      await boss.createQueue(dead, {name: dead});
      const options = {name, retryLimit: policy.retryLimit, retryDelay: policy.retryDelaySeconds, retryBackoff: policy.retryBackoff,
        expireInSeconds: policy.expireInSeconds, deadLetter: dead};
      await boss.createQueue(name, options);
      // createQueue keeps an existing queue as it was: apply this release's policy.
      await boss.updateQueue(name, options);
    };
    // One queue at a time: pg-boss creates a partition of its job table per queue, and two
    // creations at once deadlock on PostgreSQL (several queues registered before start).
    registration.ready = this.creating = this.creating.then(create, create);
    registration.ready.then(() => { registration.created = true; },
      error => this.log.error({queue: name, err: error}, 'could not create a job queue'));
    if(this.options.workers === false || this.stopped) return;
    registration.loop = new WorkerLoop<JobData>(boss, name, job => registration.handler(job),
      {concurrency: policy.concurrency, pollingIntervalMs: (this.options.pollingIntervalSeconds ?? 2) * 1000}, this.log);
    void registration.ready.then(() => { if(!this.stopped) registration.loop!.start(); }, () => undefined);
  }

  /** Resolves once the queue exists: `start` creates the queues registered before it, `work` those registered after. */
  private async whenCreated(registration: Registration): Promise<void> {
    if(!registration.ready) await this.started;
    await registration.ready;
  }

  /**
   * Enqueues a job; returns its id, or null when a job with the same `id` exists.
   * With `tx`, the job is inserted in that transaction. This process's worker is
   * woken either way: on PGlite its fetch queues behind the transaction and finds
   * the job once committed; on PostgreSQL it may run before the commit, and the
   * job then waits for the next poll (call `notify(name)` after the commit to avoid that).
   */
  async send<T extends JobData>(name: string, data: T, options: SendOptions = {}): Promise<string | null> {
    const boss = await this.ready(name, options.tx);
    const id = await boss.send(name, data, {
      ...(options.id ? {id: options.id} : {}),
      ...(options.startAfter !== undefined ? {startAfter: options.startAfter} : {}),
      ...(options.priority !== undefined ? {priority: options.priority} : {}),
      ...(options.tx ? {db: bossTransaction(options.tx)} : {}),
    });
    this.notify(name);
    return id;
  }

  /** Enqueues many jobs in one statement (bulk work); returns their ids in order. */
  async sendMany<T extends JobData>(name: string, items: T[], options: {tx?: Queryable} = {}): Promise<string[]> {
    const boss = await this.ready(name, options.tx);
    if(items.length === 0) return [];
    const jobs = items.map(data => ({id: randomUUID(), name, data}));
    await boss.insert(jobs, options.tx ? {db: bossTransaction(options.tx)} : {});
    this.notify(name);
    return jobs.map(j => j.id);
  }

  /** Wakes this process's worker of `name`, if any (after a transaction that sent to it committed). */
  notify(name: string): void {
    this.registrations.get(name)?.loop?.notify();
  }

  private async ready(name: string, tx: Queryable | undefined): Promise<PgBoss> {
    const registration = this.registrations.get(name);
    if(!registration) throw new Error(`no job queue "${name}" is registered`);
    const boss = this.running();
    // Creating the queue needs the database; on PGlite the caller's transaction holds it: waiting would deadlock.
    if(tx && !registration.created) throw new Error(`job queue "${name}" is not created yet: await start() or work() before sending in a transaction`);
    await this.whenCreated(registration);
    return boss;
  }

  /** pg-boss, or an error when the queue is not running. */
  private running(): PgBoss {
    if(this.stopped) throw new Error('the job queue is stopped');
    if(!this.boss) throw new Error('the job queue is not started');
    return this.boss;
  }

  /** A page of an organization's jobs, newest first, from the live table and the archive. */
  async list(organizationId: string, filter: JobFilter): Promise<JobPage> {
    this.running();
    const params: unknown[] = [organizationId];
    const where = [`data->>'organizationId' = $1`];
    if(filter.state) {
      params.push(filter.state);
      where.push(`state::text = $${params.length}`);
    }
    if(filter.name) {
      params.push(filter.name);
      where.push(`name = $${params.length}`);
    }
    if(filter.cursor) {
      const after = decodeJobCursor(filter.cursor);
      params.push(after.at, after.id);
      where.push(`(created_on, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(filter.limit + 1);
    const w = where.join(' AND ');
    const {rows} = await this.db.query<JobRow>(
      `SELECT * FROM (
         (SELECT ${JOB_COLUMNS} FROM ${this.schema}.job WHERE ${w} ORDER BY created_on DESC, id DESC LIMIT $${params.length})
         UNION ALL
         (SELECT ${JOB_COLUMNS} FROM ${this.schema}.archive WHERE ${w} ORDER BY created_on DESC, id DESC LIMIT $${params.length})
       ) j ORDER BY created_on DESC, id DESC LIMIT $${params.length}`, params);
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {items: page.map(toJobView), nextCursor: rows.length > filter.limit && last ? encodeJobCursor(last) : null};
  }

  /** One job; with an organization, only if it is that organization's (null: any job, for operators and tests). */
  async get(id: string, organizationId: string | null): Promise<JobView | null> {
    if(!UUID.test(id)) return null;
    this.running();
    const org = organizationId === null ? '' : ` AND data->>'organizationId' = $2`;
    const params = organizationId === null ? [id] : [id, organizationId];
    const {rows} = await this.db.query<JobRow>(
      `(SELECT ${JOB_COLUMNS} FROM ${this.schema}.job WHERE id = $1::uuid${org})
       UNION ALL
       (SELECT ${JOB_COLUMNS} FROM ${this.schema}.archive WHERE id = $1::uuid${org}) LIMIT 1`, params);
    return rows[0] ? toJobView(rows[0]) : null;
  }

  /**
   * Stops the workers (running jobs get `shutdownGraceMs` to finish, then are failed
   * as interrupted and retried later) and pg-boss's maintenance. No database call
   * of the queue is pending once it resolves, so the database can be closed.
   */
  async stop(): Promise<void> {
    if(this.stopped) return;
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    const grace = this.options.shutdownGraceMs ?? 5_000;
    await Promise.all([...this.registrations.values()].map(r => r.ready?.catch(() => undefined)));
    await Promise.all([...this.registrations.values()].map(r => r.loop?.stop(grace)));
    await this.boss?.stop({graceful: false, close: false});
  }
}

/**
 * Starts a worker on a database: the handlers' queues are created and run in this
 * process. For separate worker processes on PostgreSQL (`laurel worker`); on
 * PGlite the server process is the worker.
 */
export async function startWorker(db: Database, handlers: JobRegistration[], options: JobQueueOptions = {}): Promise<JobQueue> {
  const queue = new JobQueue(db, {...options, workers: true});
  for(const h of handlers) void queue.work(h.name, h.handler, h.policy);
  await queue.start();
  return queue;
}

/** pg-boss's schema next to Laurel's tables: `pgboss` beside `public`, else `<schema>_boss`. */
async function defaultSchema(db: Database): Promise<string> {
  if(db.kind === 'pglite') return 'pgboss';
  const {rows} = await db.query<{schema: string | null}>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  return !schema || schema === 'public' ? 'pgboss' : `${schema}_boss`;
}

/** Cursor: base64url of `<created_on, microseconds>|<id>` (Date would lose the microseconds). */
function encodeJobCursor(row: JobRow): string {
  return Buffer.from(`${row.created_key}|${row.id}`).toString('base64url');
}

function decodeJobCursor(cursor: string): {at: string; id: string} {
  const [at, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if(extra !== undefined || !id || !UUID.test(id) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(at) || Number.isNaN(Date.parse(at))) {
    throw new DomainError('VALIDATION_FAILED', 400, 'The cursor is not valid; pass back nextCursor exactly as received.',
      {errors: [{path: 'cursor', message: 'invalid cursor'}]});
  }
  return {at, id};
}
