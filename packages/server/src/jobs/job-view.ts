/** The API view of a job: pg-boss's row, mapped to Laurel's names, without internals. */

/** pg-boss 10's job states, in its order (its `job_state` enum). */
export const JOB_STATES = ['created', 'retry', 'active', 'completed', 'cancelled', 'failed'] as const;
export type JobState = typeof JOB_STATES[number];

/** A job as GET /api/v1/jobs shows it. */
export interface JobView {
  id: string;
  /** The queue, e.g. `status-list.republish`, or `<queue>.dead-letter` for a copy of a job that failed for good. */
  name: string;
  state: JobState;
  data: Record<string, unknown>;
  /** 0 on the first run; n once the n-th retry started. */
  retryCount: number;
  retryLimit: number;
  createdAt: string;
  /** When it may run (next): later than createdAt for a retry waiting out its backoff. */
  startAfter: string;
  startedAt: string | null;
  completedAt: string | null;
  /** What the handler returned (completed jobs). */
  output?: unknown;
  /** Why the last run failed (jobs waiting to retry, failed jobs and their dead-letter copies). */
  error?: {message: string; code?: string};
}

/** The columns listed (the same on pg-boss's `job` and `archive` tables). */
export interface JobRow {
  id: string;
  name: string;
  state: JobState;
  data: Record<string, unknown> | null;
  retry_count: number;
  retry_limit: number;
  created_on: Date;
  start_after: Date;
  started_on: Date | null;
  completed_on: Date | null;
  output: unknown;
  /** created_on at microsecond precision, for the cursor. */
  created_key: string;
}

/** The columns of JobRow, for `SELECT`. */
export const JOB_COLUMNS = `id::text AS id, name, state::text AS state, data, retry_count, retry_limit, created_on, start_after,
  started_on, completed_on, output,
  to_char(created_on AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

/** Maps a row to the API view. */
export function toJobView(row: JobRow): JobView {
  const view: JobView = {
    id: row.id,
    name: row.name,
    state: row.state,
    data: row.data ?? {},
    retryCount: row.retry_count,
    retryLimit: row.retry_limit,
    createdAt: iso(row.created_on),
    startAfter: iso(row.start_after),
    startedAt: row.started_on ? iso(row.started_on) : null,
    completedAt: row.completed_on ? iso(row.completed_on) : null,
  };
  if(row.state === 'completed') {
    if(row.output !== null && row.output !== undefined) view.output = row.output;
  } else {
    const error = errorOf(row.output);
    if(error) view.error = error;
  }
  return view;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

/**
 * The error stored by a failed run: `{message, code?}` as JobQueue stores it, or
 * pg-boss's own `{value: {message}}` (failed by timeout in maintenance).
 */
function errorOf(output: unknown): JobView['error'] | undefined {
  if(!output || typeof output !== 'object') return undefined;
  const o = output as {message?: unknown; code?: unknown; value?: {message?: unknown}};
  const message = typeof o.message === 'string' ? o.message : typeof o.value?.message === 'string' ? o.value.message : undefined;
  if(message === undefined) return undefined;
  return typeof o.code === 'string' ? {message, code: o.code} : {message};
}
