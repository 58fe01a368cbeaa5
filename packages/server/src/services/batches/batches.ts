/**
 * Bulk issuance (issue 5): a batch is one upload (CSV, .xlsx or JSON rows). Rows are
 * validated as they stream in and stored in `batch_rows`; then the `batch.issue` job
 * issues the valid rows in chunks: a chunk's credentials, audit entries, row outcomes and
 * email deliveries commit in ONE transaction, and its signing overlaps the previous
 * chunk's database work (run, below). A crash rolls back the chunk in flight; rows
 * already issued are never picked again, so a retried job never issues twice.
 */
import {createHash} from 'node:crypto';
import {randomId} from '../../crypto/tokens.js';
import type {Queryable} from '../../db/database.js';
import type {OrganizationRow} from '../../db/rows.js';
import {DomainError, notFound} from '../../errors.js';
import type {Actor} from '../actor.js';
import type {ServiceContext} from '../context.js';
import type {CredentialService, IssueCredentialInput, PreparedBulk} from '../credentials.js';
import {csvRow} from '../csv.js';
import {decodeCursor, encodeCursor} from '../pagination.js';

/** The job that issues a batch. */
export const BATCH_JOB = 'batch.issue';
/** Rows issued per transaction (default; LAUREL_BATCH_CHUNK). */
export const BATCH_CHUNK = 250;
/**
 * How long one run of the job works before it enqueues its continuation and ends (default;
 * LAUREL_BATCH_SLICE_SECONDS). Short runs let the queue's expiry be short, so the run of a
 * worker killed with kill -9 on PostgreSQL is retried soon: expiry = 2 × slice + 10 s.
 */
export const BATCH_SLICE_SECONDS = 60;

export type BatchStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type DuplicatePolicy = 'flag' | 'allow' | 'reject';

/** A valid row, ready to issue. */
export interface BatchRowValue {
  recipient: {name: string; email?: string; did?: string};
  validFrom?: string;
  validUntil?: string;
  evidence?: {id: string; name?: string}[];
  /** Per-recipient fields for templates. */
  fields?: Record<string, string>;
}

/** A row problem, as the report and errors.csv give it. */
export interface RowProblem {
  row: number;
  column?: string;
  code: string;
  message: string;
}

/** One stored row: valid (pending) or invalid with its problems. */
export type IncomingRow = {rowNumber: number; ok: true; value: BatchRowValue; warnings?: RowProblem[]}
  | {rowNumber: number; ok: false; cells: Record<string, string>; errors: RowProblem[]};

/** What a batch is created with. */
export interface BatchMeta {
  achievementId: string;
  source: 'csv' | 'xlsx' | 'json';
  filename?: string;
  mapping?: unknown;
  sendEmail: boolean;
  duplicatePolicy: DuplicatePolicy;
  locale?: string;
  idempotencyKey?: string;
}

/** The API view of a batch. */
export interface BatchView {
  id: string;
  status: BatchStatus;
  achievementId: string;
  source: string;
  filename: string | null;
  sendEmail: boolean;
  duplicatePolicy: DuplicatePolicy;
  progress: {
    total: number;
    valid: number;
    invalid: number;
    issued: number;
    /** Rows that will not be issued: invalid in the file, or refused when issuing. */
    failed: number;
    emailed: number;
    pending: number;
    ratePerSecond: number | null;
    etaSeconds: number | null;
  };
  report: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  errorsUrl: string;
}

interface BatchRow {
  id: string;
  organization_id: string;
  achievement_id: string;
  status: 'receiving' | BatchStatus;
  source: string;
  filename: string | null;
  file_sha256: string | null;
  mapping: unknown;
  send_email: boolean;
  duplicate_policy: DuplicatePolicy;
  locale: string | null;
  idempotency_key: string | null;
  report: unknown;
  rows_total: number;
  rows_invalid: number;
  issued: number;
  failed: number;
  actor: Actor;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** Enqueues the credential emails of a chunk inside its transaction (services/mail). */
export type EnqueueEmails = (tx: Queryable, items: {organizationId: string; credentialId: string; recipient: string; locale?: string;
  kind: 'credential_issued'; batchId: string}[]) => Promise<unknown>;

/** What the batch service needs from the job queue. */
export interface BatchJobs {
  send(name: string, data: Record<string, unknown>, options?: {tx?: Queryable; id?: string}): Promise<unknown>;
  notify(name: string): void;
}

/** Stores an upload's rows as they are read; `finish` queues the batch, `abort` removes it. */
export interface BatchWriter {
  readonly id: string;
  /** True when the Idempotency-Key was used before: the existing batch, nothing to write. */
  readonly replayed: boolean;
  add(rows: IncomingRow[]): Promise<void>;
  finish(report: unknown, fileSha256?: string): Promise<BatchView>;
  abort(): Promise<void>;
}

const INSERT_CHUNK = 1000;

/** Bulk issuance use cases. */
export class BatchService {
  enqueueEmails: EnqueueEmails | null = null;

  constructor(private readonly ctx: ServiceContext, private readonly credentials: CredentialService,
    private readonly jobs: BatchJobs, private readonly chunk = BATCH_CHUNK, private readonly sliceMs = BATCH_SLICE_SECONDS * 1000) {}

  /**
   * Starts a batch (status `receiving`, invisible as such: shown as queued). With an
   * Idempotency-Key seen before, returns a writer for the existing batch with `replayed`.
   */
  async begin(org: OrganizationRow, meta: BatchMeta, actor: Actor): Promise<BatchWriter> {
    if(meta.idempotencyKey) {
      const existing = await this.findByKey(org.id, meta.idempotencyKey);
      if(existing) return this.replayWriter(existing);
    }
    const {rows: [achievement]} = await this.ctx.db.query<{status: string}>(
      'SELECT status FROM achievements WHERE id = $1 AND organization_id = $2', [meta.achievementId, org.id]);
    if(!achievement) throw notFound('ACHIEVEMENT_NOT_FOUND', `Achievement ${meta.achievementId}`);
    if(achievement.status !== 'active') throw new DomainError('ACHIEVEMENT_ARCHIVED', 422, `Achievement ${meta.achievementId} is archived; restore it before issuing.`);
    const id = randomId();
    const inserted = await this.ctx.db.query(
      `INSERT INTO batches (id, organization_id, achievement_id, status, source, filename, mapping, send_email, duplicate_policy, locale,
         idempotency_key, actor, created_at)
       VALUES ($1, $2, $3, 'receiving', $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
      [id, org.id, meta.achievementId, meta.source, meta.filename ?? null, meta.mapping === undefined ? null : JSON.stringify(meta.mapping),
        meta.sendEmail, meta.duplicatePolicy, meta.locale ?? null, meta.idempotencyKey ?? null, JSON.stringify(actor), this.ctx.now()]);
    if(inserted.rowCount === 0) {
      // A concurrent upload with the same key won.
      const existing = await this.findByKey(org.id, meta.idempotencyKey!);
      if(existing) return this.replayWriter(existing);
    }
    let total = 0, invalid = 0;
    return {
      id, replayed: false,
      add: async rows => {
        for(let i = 0; i < rows.length; i += INSERT_CHUNK) {
          const part = rows.slice(i, i + INSERT_CHUNK);
          await this.ctx.db.query(
            `INSERT INTO batch_rows (batch_id, row_number, status, input, errors)
             SELECT $1, r.row_number, r.status, r.input, r.errors
               FROM jsonb_to_recordset($2::jsonb) AS r(row_number integer, status text, input jsonb, errors jsonb)`,
            [id, JSON.stringify(part.map(r => r.ok
              ? {row_number: r.rowNumber, status: 'pending', input: r.value, errors: r.warnings?.length ? r.warnings : null}
              : {row_number: r.rowNumber, status: 'invalid', input: r.cells, errors: r.errors}))]);
          total += part.length;
          invalid += part.filter(r => !r.ok).length;
          // PGlite answers in microtasks: let requests in between.
          await new Promise(resolve => setImmediate(resolve));
        }
      },
      finish: async (report, fileSha256) => {
        await this.ctx.db.transaction(async tx => {
          await tx.query(`UPDATE batches SET status = 'queued', rows_total = $2, rows_invalid = $3, report = $4, file_sha256 = $5 WHERE id = $1`,
            [id, total, invalid, JSON.stringify(report ?? null), fileSha256 ?? null]);
          // A job id derived from the batch: the batch is enqueued once, however often this runs.
          await this.jobs.send(BATCH_JOB, {organizationId: org.id, batchId: id}, {tx, id: jobIdFor(id)});
        });
        this.jobs.notify(BATCH_JOB);
        return this.get(org, id);
      },
      abort: async () => {
        await this.ctx.db.query(`DELETE FROM batches WHERE id = $1 AND status = 'receiving'`, [id]);
      },
    };
  }

  private replayWriter(existing: BatchRow): BatchWriter {
    const view = this.view(existing, 0);
    return {
      id: existing.id, replayed: true,
      add: async () => undefined,
      finish: async () => view,
      abort: async () => undefined,
    };
  }

  private async findByKey(organizationId: string, key: string): Promise<BatchRow | null> {
    const {rows} = await this.ctx.db.query<BatchRow>('SELECT * FROM batches WHERE organization_id = $1 AND idempotency_key = $2', [organizationId, key]);
    return rows[0] ?? null;
  }

  /** One batch of the organization, with its progress, or 404. */
  async get(org: OrganizationRow, id: string): Promise<BatchView> {
    const {rows: [row]} = await this.ctx.db.query<BatchRow>('SELECT * FROM batches WHERE id = $1 AND organization_id = $2', [id, org.id]);
    if(!row) throw notFound('BATCH_NOT_FOUND', `Batch ${id}`);
    return this.view(row, await this.emailed(id));
  }

  /** The organization's batches, newest first. */
  async list(org: OrganizationRow, q: {cursor?: string; limit: number}): Promise<{items: BatchView[]; nextCursor: string | null}> {
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const params: unknown[] = [org.id, q.limit + 1];
    let where = 'organization_id = $1';
    if(after) {
      params.push(after.at, after.id);
      where += ' AND (created_at, id) < ($3, $4)';
    }
    const {rows} = await this.ctx.db.query<BatchRow>(`SELECT * FROM batches WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`, params);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const items = [];
    for(const row of page) items.push(this.view(row, await this.emailed(row.id)));
    return {items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null};
  }

  private async emailed(batchId: string): Promise<number> {
    const {rows} = await this.ctx.db.query<{n: string}>(`SELECT count(*)::text AS n FROM email_deliveries WHERE batch_id = $1 AND status = 'sent'`, [batchId]);
    return Number(rows[0].n);
  }

  private view(row: BatchRow, emailed: number): BatchView {
    const valid = row.rows_total - row.rows_invalid;
    const pending = Math.max(0, valid - row.issued - row.failed);
    const end = row.finished_at ?? this.ctx.now();
    const seconds = row.started_at ? (end.getTime() - row.started_at.getTime()) / 1000 : 0;
    const rate = row.started_at && seconds > 0 && row.issued > 0 ? row.issued / seconds : null;
    return {
      id: row.id,
      status: row.status === 'receiving' ? 'queued' : row.status,
      achievementId: row.achievement_id,
      source: row.source,
      filename: row.filename,
      sendEmail: row.send_email,
      duplicatePolicy: row.duplicate_policy,
      progress: {total: row.rows_total, valid, invalid: row.rows_invalid, issued: row.issued, failed: row.rows_invalid + row.failed, emailed, pending,
        ratePerSecond: rate === null ? null : Math.round(rate * 10) / 10,
        etaSeconds: row.status === 'running' && rate ? Math.ceil(pending / rate) : row.status === 'completed' ? 0 : null},
      report: row.report,
      error: row.error,
      createdAt: row.created_at.toISOString(),
      startedAt: row.started_at?.toISOString() ?? null,
      finishedAt: row.finished_at?.toISOString() ?? null,
      errorsUrl: `/api/v1/batches/${row.id}/errors.csv`,
    };
  }

  /** Cancels a queued or running batch: rows not yet issued stay unissued. Idempotent. */
  async cancel(org: OrganizationRow, id: string, actor: Actor): Promise<BatchView> {
    void actor;
    const {rows: [row]} = await this.ctx.db.query<BatchRow>('SELECT * FROM batches WHERE id = $1 AND organization_id = $2', [id, org.id]);
    if(!row) throw notFound('BATCH_NOT_FOUND', `Batch ${id}`);
    if(row.status === 'completed' || row.status === 'failed') {
      throw new DomainError('BATCH_FINISHED', 409, `Batch ${id} has already ${row.status === 'completed' ? 'completed' : 'failed'}; there is nothing to cancel.`);
    }
    await this.ctx.db.query(`UPDATE batches SET status = 'cancelled', finished_at = $2 WHERE id = $1 AND status IN ('receiving', 'queued', 'running')`,
      [id, this.ctx.now()]);
    return this.get(org, id);
  }

  /** The rows that were not issued, with why, as CSV (formula-safe cells), streamed in pages. */
  async *errorsCsv(org: OrganizationRow, id: string): AsyncGenerator<string> {
    const {rows: [row]} = await this.ctx.db.query<BatchRow>('SELECT id FROM batches WHERE id = $1 AND organization_id = $2', [id, org.id]);
    if(!row) throw notFound('BATCH_NOT_FOUND', `Batch ${id}`);
    yield csvRow(['row', 'column', 'code', 'message', 'input']);
    let after = 0;
    for(;;) {
      const {rows} = await this.ctx.db.query<{row_number: number; input: unknown; errors: RowProblem[] | null}>(
        `SELECT row_number, input, errors FROM batch_rows WHERE batch_id = $1 AND status IN ('invalid', 'failed') AND row_number > $2
          ORDER BY row_number LIMIT 1000`, [id, after]);
      if(rows.length === 0) return;
      let out = '';
      for(const r of rows) {
        for(const e of r.errors ?? [{row: r.row_number, code: 'UNKNOWN', message: 'not issued'}]) {
          out += csvRow([String(r.row_number), e.column ?? '', e.code, e.message, JSON.stringify(r.input)]);
        }
      }
      after = rows[rows.length - 1].row_number;
      yield out;
    }
  }

  /**
   * The job: issues pending rows `chunk` at a time until none is left, the batch is
   * cancelled, or the run is aborted. Safe to run again at any point.
   *
   * Chunks are pipelined so that signing (on the signing threads) runs while this thread
   * does the database work: each transaction takes the next chunk's rows and prepares them
   * (status slots, unsigned documents), hands them to the signing threads, and then stores
   * the previous chunk, signed meanwhile, with its row outcomes, counters and emails. A
   * chunk's credentials and its rows' outcomes commit together, after its rows are checked
   * to be still pending (under a row lock), so a crash, a retry or a second run never
   * issues a row twice; it only leaves the slots of a prepared chunk unused.
   */
  async run(batchId: string, signal?: AbortSignal): Promise<void> {
    const {rows: [batch]} = await this.ctx.db.query<BatchRow>('SELECT * FROM batches WHERE id = $1', [batchId]);
    if(!batch || batch.status === 'completed' || batch.status === 'cancelled' || batch.status === 'failed') return;
    const {rows: [org]} = await this.ctx.db.query<OrganizationRow>('SELECT * FROM organizations WHERE id = $1', [batch.organization_id]);
    await this.ctx.db.query(`UPDATE batches SET status = 'running', started_at = COALESCE(started_at, $2) WHERE id = $1 AND status = 'queued'`,
      [batchId, this.ctx.now()]);
    await this.credentials.ensureSignPool();
    const started = performance.now();
    let inFlight: InFlight | null = null;
    // Rows above this number are the ones not yet taken by this run.
    let after = 0;
    try {
      for(;;) {
        if(signal?.aborted) throw new Error('the batch run was interrupted; it resumes on retry');
        const sliceOver = performance.now() - started > this.sliceMs;
        const current: InFlight | null = inFlight;
        const step: StepResult = await this.ctx.db.transaction(async tx => this.step(tx, batch, org, current, sliceOver ? null : after));
        inFlight = step.next;
        if(step.next) after = step.next.rowNumbers[step.next.rowNumbers.length - 1];
        if(step.state === 'cancelled' || step.state === 'others') return;
        if(step.state === 'done') {
          await this.ctx.db.query(`UPDATE batches SET status = 'completed', finished_at = $2 WHERE id = $1 AND status = 'running'`, [batchId, this.ctx.now()]);
          return;
        }
        if(step.state === 'restart') after = 0;
        if(step.stored > 0 && batch.send_email && this.enqueueEmails) this.jobs.notify('email.send');
        if(sliceOver && !inFlight) {
          // Hand over to a continuation (its id is derived from the progress, so a repeat enqueues nothing).
          const {rows: [now]} = await this.ctx.db.query<{issued: number; failed: number}>('SELECT issued, failed FROM batches WHERE id = $1', [batchId]);
          await this.jobs.send(BATCH_JOB, {organizationId: batch.organization_id, batchId}, {id: jobIdFor(`${batchId}:${now.issued + now.failed}`)});
          this.jobs.notify(BATCH_JOB);
          return;
        }
        // PGlite answers in microtasks: let requests in between chunks.
        await new Promise(resolve => setImmediate(resolve));
      }
    } finally {
      // A chunk still being signed when the run ends is dropped (its rows are still pending).
      void inFlight?.signing.catch(() => undefined);
    }
  }

  /** Marks a batch failed (its job gave up). */
  async fail(batchId: string, error: string): Promise<void> {
    await this.ctx.db.query(`UPDATE batches SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1 AND status IN ('queued', 'running')`,
      [batchId, error, this.ctx.now()]);
  }

  /**
   * One transaction of the job: unless `after` is null (the run is ending), takes the next
   * chunk of pending rows numbered above `after`, prepares it and starts its signing; then
   * stores `current`. `done` when no row is pending and nothing is left to store; `restart`
   * when the rows above `after` are exhausted but pending rows remain below (passed while
   * another run held them): the next step starts from the first row again; `others` when the
   * only pending rows are held by another run right now (PostgreSQL): this run ends and leaves
   * the batch to it (were it to call the batch completed and the other run then died, those
   * rows would stay pending in a completed batch that no retry touches).
   */
  private async step(tx: Queryable, batch: BatchRow, org: OrganizationRow, current: InFlight | null, after: number | null): Promise<StepResult> {
    // The batch row lock orders chunks with a cancel.
    const {rows: [locked]} = await tx.query<{status: string}>('SELECT status FROM batches WHERE id = $1 FOR UPDATE', [batch.id]);
    if(locked.status === 'cancelled') return {state: 'cancelled', next: null, stored: 0};
    let next: InFlight | null = null;
    if(after !== null) {
      // SKIP LOCKED keeps this run off rows another run (a retried job while a stale one still runs) holds right now.
      const {rows} = await tx.query<{row_number: number; input: BatchRowValue}>(
        `SELECT row_number, input FROM batch_rows WHERE batch_id = $1 AND status = 'pending' AND row_number > $2
          ORDER BY row_number LIMIT $3 FOR UPDATE SKIP LOCKED`, [batch.id, after, this.chunk]);
      if(rows.length) {
        const prepared = await this.credentials.prepareBulk(tx, rows.map(r => ({org, actor: batch.actor, input: toIssueInput(batch.achievement_id, r.input)})));
        next = {rowNumbers: rows.map(r => r.row_number), prepared, signing: this.credentials.signBulk(prepared)};
      }
    }
    const stored = current ? await this.store(tx, batch, org, current) : 0;
    if(next || current) return {state: 'more', next, stored};
    if(after === null) return {state: 'more', next: null, stored};
    const {rows: [left]} = await tx.query<{n: number}>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM batch_rows WHERE batch_id = $1 AND status = 'pending' LIMIT 1) p`, [batch.id]);
    // Pending rows this run could not take from the start are held by another run's open transaction:
    // that run (or its retry, if it dies) finishes the batch; this one must not call it completed.
    return {state: left.n === 0 ? 'done' : after > 0 ? 'restart' : 'others', next: null, stored};
  }

  /** Stores a signed chunk in the caller's transaction: its rows still pending get their credential or error; counters; emails. */
  private async store(tx: Queryable, batch: BatchRow, org: OrganizationRow, chunk: InFlight): Promise<number> {
    const signed = await chunk.signing;
    // Rows another run issued since this chunk was taken are left to it (its slots stay unused).
    const {rows: pendingRows} = await tx.query<{row_number: number}>(
      `SELECT row_number FROM batch_rows WHERE batch_id = $1 AND row_number = ANY($2::int[]) AND status = 'pending' FOR UPDATE`,
      [batch.id, chunk.rowNumbers]);
    const pending = new Set(pendingRows.map(r => r.row_number));
    const outcomes = await this.credentials.storeBulk(tx, chunk.prepared, signed, i => pending.has(chunk.rowNumbers[i]));
    const updates = chunk.rowNumbers.flatMap((row, i): {row_number: number; status: string; credential_id: string | null; errors: RowProblem[] | null}[] => {
      const o = outcomes[i];
      if('skipped' in o) return [];
      return 'view' in o
        ? [{row_number: row, status: 'issued', credential_id: o.view.id, errors: null}]
        : [{row_number: row, status: 'failed', credential_id: null, errors: [problemOf(row, o.error)]}];
    });
    if(updates.length === 0) return 0;
    await tx.query(
      `UPDATE batch_rows b SET status = u.status, credential_id = u.credential_id, errors = u.errors
         FROM jsonb_to_recordset($2::jsonb) AS u(row_number integer, status text, credential_id text, errors jsonb)
        WHERE b.batch_id = $1 AND b.row_number = u.row_number`, [batch.id, JSON.stringify(updates)]);
    const issued = outcomes.flatMap(o => 'view' in o ? [o.view] : []);
    await tx.query('UPDATE batches SET issued = issued + $2, failed = failed + $3 WHERE id = $1', [batch.id, issued.length, updates.length - issued.length]);
    if(batch.send_email && this.enqueueEmails) {
      const mail = issued.filter(v => v.recipient.email);
      if(mail.length) {
        await this.enqueueEmails(tx, mail.map(v => ({organizationId: org.id, credentialId: v.id, recipient: v.recipient.email!,
          locale: batch.locale ?? undefined, kind: 'credential_issued' as const, batchId: batch.id})));
      }
    }
    return updates.length;
  }
}

/** What one transaction of the job did. */
interface StepResult {
  state: 'more' | 'done' | 'restart' | 'others' | 'cancelled';
  /** The chunk it took, being signed. */
  next: InFlight | null;
  /** Rows of the previous chunk that got their outcome. */
  stored: number;
}

/** A chunk taken and prepared by one transaction, signed meanwhile, stored by the next. */
interface InFlight {
  rowNumbers: number[];
  prepared: PreparedBulk;
  signing: Promise<Record<string, unknown>[] | null>;
}

/** A UUID (the job queue's id format) derived from a batch id. */
function jobIdFor(batchId: string): string {
  const h = createHash('sha256').update(`batch:${batchId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function toIssueInput(achievementId: string, v: BatchRowValue): IssueCredentialInput {
  return {
    achievementId,
    recipient: v.recipient,
    ...(v.validFrom ? {validFrom: v.validFrom} : {}),
    ...(v.validUntil ? {validUntil: v.validUntil} : {}),
    ...(v.evidence?.length ? {evidence: v.evidence} : {}),
    ...(v.fields && Object.keys(v.fields).length ? {fields: v.fields} : {}),
  };
}

function problemOf(row: number, error: unknown): RowProblem {
  if(error instanceof DomainError) return {row, code: error.code, message: error.message};
  return {row, code: 'ISSUE_FAILED', message: (error as Error)?.message ?? String(error)};
}
