/**
 * Credential lifecycle: revoke (permanent), suspend (optionally until a date),
 * reinstate, bulk revocation by filter as a background job, and the periodic
 * sweep (lists to publish, suspensions that ran out). Every operation is
 * idempotent, audited in the same transaction, and answers with the new status.
 */
import {randomId} from '../crypto/tokens.js';
import type {Queryable} from '../db/database.js';
import {findCredential, updateCredentialStatus} from '../db/credentials-repo.js';
import type {CredentialRow, OrganizationRow} from '../db/rows.js';
import {type BulkRevocationRow, findBulkRevocation, findExternalEntry, insertBulkRevocation,
  updateBulkRevocation} from '../db/status-repo.js';
import {DomainError, notFound} from '../errors.js';
import type {Actor} from './actor.js';
import type {AuditInput, AuditService} from './audit.js';
import type {ServiceContext} from './context.js';
import type {CredentialService, CredentialView} from './credentials.js';
import type {StatusListService} from './status-lists.js';

/** The job that runs bulk revocations. */
export const BULK_REVOKE_JOB = 'bulk-revoke';
/** Credentials revoked per transaction in a bulk revocation (default; LAUREL_BULK_REVOKE_CHUNK). */
export const BULK_CHUNK = 500;
/** How often the sweep runs. */
const SWEEP_MS = 1_000;

/** The status of a credential Laurel signed for a caller (VC-API), which has no row of its own. */
export interface ExternalStatusView {
  id: string;
  status: 'active' | 'revoked' | 'suspended';
}

/** A bulk revocation filter (validated at the edge). */
export interface BulkRevocationFilter {
  achievementId?: string;
  issuedFrom?: string;
  issuedUntil?: string;
  ids?: string[];
}

/** The API view of a bulk revocation. */
export interface BulkRevocationView {
  id: string;
  status: BulkRevocationRow['status'];
  filter: BulkRevocationRow['filter'];
  reason: string;
  reasonPublic: boolean;
  matched: number | null;
  revoked: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** What the lifecycle needs from the job queue. */
export interface JobSender {
  send(name: string, data: Record<string, unknown>, options?: {tx?: Queryable}): Promise<unknown>;
  /** Wakes this process's worker for a queue (after a commit that enqueued in a transaction). */
  notify(name: string): void;
}

/** Hooks for work that belongs to later features (email). */
export interface LifecycleHooks {
  /**
   * Called by the sweep for active credentials that expire within `EXPIRY_REMINDER_DAYS`
   * (the email work sends the reminder). Not called while unset.
   */
  expiringSoon?: (credentials: CredentialRow[]) => Promise<void>;
}

/** Days before validUntil when the expiry reminder hook fires. */
export const EXPIRY_REMINDER_DAYS = 30;

type Change = {status: CredentialRow['status']; reason: string | null; reasonPublic: boolean; suspendedUntil: Date | null};

/** Lifecycle use cases. */
export class LifecycleService {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  readonly hooks: LifecycleHooks = {};

  constructor(private readonly ctx: ServiceContext, private readonly credentials: CredentialService,
    private readonly status: StatusListService, private readonly audit: AuditService,
    private readonly jobs: JobSender, private readonly onChanged: (ids: string[]) => void,
    private readonly bulkChunk = BULK_CHUNK) {}

  /** Revokes a credential, permanently. Idempotent: revoking a revoked credential changes nothing. */
  revoke(org: OrganizationRow, id: string, input: {reason: string; reasonPublic?: boolean}, actor: Actor): Promise<CredentialView | ExternalStatusView> {
    return this.change(org, id, actor, 'credential.revoked', row => {
      if(row.status === 'revoked') return null;
      return {status: 'revoked', reason: input.reason, reasonPublic: input.reasonPublic ?? false, suspendedUntil: null};
    });
  }

  /** Suspends a credential, until a date or until reinstated. A revoked credential cannot be suspended (409). */
  suspend(org: OrganizationRow, id: string, input: {reason: string; reasonPublic?: boolean; until?: string}, actor: Actor): Promise<CredentialView | ExternalStatusView> {
    const until = input.until ? new Date(input.until) : null;
    if(until && until.getTime() <= this.ctx.now().getTime()) {
      throw new DomainError('VALIDATION_FAILED', 422, 'until must be in the future.', {errors: [{path: 'until', message: 'must be in the future'}]});
    }
    return this.change(org, id, actor, 'credential.suspended', row => {
      if(row.status === 'revoked') throw new DomainError('CREDENTIAL_REVOKED', 409, `Credential ${id} is revoked; revocation is permanent, so it cannot be suspended.`);
      const same = row.status === 'suspended' && row.status_reason === input.reason && (row.suspended_until?.getTime() ?? null) === (until?.getTime() ?? null)
        && row.status_reason_public === (input.reasonPublic ?? false);
      if(same) return null;
      return {status: 'suspended', reason: input.reason, reasonPublic: input.reasonPublic ?? false, suspendedUntil: until};
    });
  }

  /** Lifts a suspension. Idempotent on an active credential; a revoked one is 409. */
  reinstate(org: OrganizationRow, id: string, actor: Actor): Promise<CredentialView | ExternalStatusView> {
    return this.change(org, id, actor, 'credential.reinstated', row => {
      if(row.status === 'revoked') throw new DomainError('CREDENTIAL_REVOKED', 409, `Credential ${id} is revoked; revocation is permanent.`);
      if(row.status === 'active') return null;
      return {status: 'active', reason: null, reasonPublic: false, suspendedUntil: null};
    });
  }

  /**
   * One status change on one credential, in one transaction with its audit entry and the
   * list's version bump; the list is re-published right after commit.
   */
  private async change(org: OrganizationRow, id: string, actor: Actor, action: string,
    decide: (row: CredentialRow) => Change | null): Promise<CredentialView | ExternalStatusView> {
    type Outcome = {external: ExternalStatusView} | {row: CredentialRow; changed: boolean};
    const outcome = await this.ctx.db.transaction(async (tx): Promise<Outcome> => {
      const row = await findCredential(tx, id, org.id, true);
      if(!row) return {external: await this.changeExternal(tx, org, id, actor, action, decide)};
      const next = decide(row);
      if(!next) return {row, changed: false};
      await this.apply(tx, [row], next, actor, action);
      return {row: (await findCredential(tx, id, org.id))!, changed: true};
    });
    if('external' in outcome) return outcome.external;
    if(outcome.changed) this.afterCommit([outcome.row]);
    return this.credentials.view(outcome.row);
  }

  /** The same change on a caller-signed credential, found by its `id` (or that URL's last path segment). */
  private async changeExternal(tx: Queryable, org: OrganizationRow, id: string, actor: Actor, action: string,
    decide: (row: CredentialRow) => Change | null): Promise<ExternalStatusView> {
    const entry = await findExternalEntry(tx, org.id, id);
    if(!entry) throw notFound('CREDENTIAL_NOT_FOUND', `Credential ${id}`);
    const current = entry.revoked ? 'revoked' : entry.suspended ? 'suspended' : 'active';
    // The decision only reads the status (and the reason / until, which are not kept for caller-signed credentials).
    const next = decide({status: current, status_reason: null, suspended_until: null, status_reason_public: false} as CredentialRow);
    if(next) {
      await this.status.setBits(tx, [{listId: entry.list_id, idx: entry.idx}], {revoked: next.status === 'revoked', suspended: next.status === 'suspended'});
      await this.audit.append(tx, [{organizationId: org.id, actor, action, subjectType: 'credential', subjectId: entry.external_id,
        before: {status: current}, after: {status: next.status, reason: next.reason}}]);
      this.status.kick([entry.list_id]);
    }
    return {id: entry.external_id, status: next?.status ?? current};
  }

  /** Applies a change to rows (locked by the caller), with audit entries and the status bits. */
  private async apply(tx: Queryable, rows: CredentialRow[], next: Change, actor: Actor, action: string): Promise<void> {
    const at = this.ctx.now();
    await updateCredentialStatus(tx, rows.map(r => r.id), {...next, at});
    const slots = rows.filter(r => r.status_list_id !== null).map(r => ({listId: r.status_list_id!, idx: r.status_index!}));
    await this.status.setBits(tx, slots, {revoked: next.status === 'revoked', suspended: next.status === 'suspended'});
    await this.audit.append(tx, rows.map((r): AuditInput => ({
      organizationId: r.organization_id, actor, action, subjectType: 'credential', subjectId: r.id,
      before: {status: r.status, reason: r.status_reason, suspendedUntil: r.suspended_until?.toISOString() ?? null},
      after: {status: next.status, reason: next.reason, reasonPublic: next.reasonPublic, suspendedUntil: next.suspendedUntil?.toISOString() ?? null},
    })));
  }

  /** After commit: re-publish the lists and drop cached verification results. */
  private afterCommit(rows: CredentialRow[]): void {
    this.status.kick(rows.filter(r => r.status_list_id).map(r => r.status_list_id!));
    this.onChanged(rows.map(r => r.id));
  }

  /** Revokes a renewed credential inside the renewal's transaction; returns the lists to re-publish. */
  revokeForRenewal(actor: Actor): (tx: Queryable, row: CredentialRow, reason: string) => Promise<string[]> {
    return async (tx, row, reason) => {
      await this.apply(tx, [row], {status: 'revoked', reason, reasonPublic: true, suspendedUntil: null}, actor, 'credential.revoked');
      this.onChanged([row.id]);
      return row.status_list_id ? [row.status_list_id] : [];
    };
  }

  // ------------------------------------------------------------ bulk revocation

  /** Records a bulk revocation and enqueues its job in the same transaction: 202 with its id. */
  async startBulkRevocation(org: OrganizationRow, filter: BulkRevocationFilter, input: {reason: string; reasonPublic?: boolean},
    actor: Actor): Promise<BulkRevocationView> {
    const id = randomId();
    const now = this.ctx.now();
    // Frozen at submission: credentials issued after the request are never swept up.
    const frozen = {...filter, issuedBefore: now.toISOString()};
    await this.ctx.db.transaction(async tx => {
      await insertBulkRevocation(tx, {id, organization_id: org.id, filter: frozen, reason: input.reason,
        reason_public: input.reasonPublic ?? false, actor, created_at: now});
      await this.jobs.send(BULK_REVOKE_JOB, {organizationId: org.id, bulkRevocationId: id}, {tx});
    });
    this.jobs.notify(BULK_REVOKE_JOB);
    return this.bulkRevocation(org, id);
  }

  /** A bulk revocation of this organization, or 404. */
  async bulkRevocation(org: OrganizationRow, id: string): Promise<BulkRevocationView> {
    const row = await findBulkRevocation(this.ctx.db, id, org.id);
    if(!row) throw notFound('BULK_REVOCATION_NOT_FOUND', `Bulk revocation ${id}`);
    return {
      id: row.id, status: row.status, filter: row.filter, reason: row.reason, reasonPublic: row.reason_public,
      matched: row.matched, revoked: row.revoked, error: row.error, createdAt: row.created_at.toISOString(),
      finishedAt: row.finished_at?.toISOString() ?? null,
    };
  }

  /**
   * The job: revokes matching credentials `bulkChunk` per transaction. Safe to run again
   * after a crash: revoked credentials no longer match, so nothing is revoked or audited twice.
   */
  async runBulkRevocation(id: string): Promise<void> {
    const job = await findBulkRevocation(this.ctx.db, id);
    if(!job || job.status === 'completed' || job.status === 'failed') return;
    const {where, params} = bulkFilterSql(job);
    const {rows: [count]} = await this.ctx.db.query<{n: string}>(`SELECT count(*)::text AS n FROM credentials WHERE ${where}`, params);
    await updateBulkRevocation(this.ctx.db, id, {status: 'running', ...(job.matched === null ? {matched: job.revoked + Number(count.n)} : {})});
    for(;;) {
      const done = await this.ctx.db.transaction(async tx => {
        const {rows} = await tx.query<CredentialRow>(
          `SELECT * FROM credentials WHERE ${where} ORDER BY id LIMIT ${this.bulkChunk} FOR UPDATE SKIP LOCKED`, params);
        if(rows.length === 0) return null;
        await this.apply(tx, rows, {status: 'revoked', reason: job.reason, reasonPublic: job.reason_public, suspendedUntil: null},
          job.actor as Actor, 'credential.revoked');
        await updateBulkRevocation(tx, id, {addRevoked: rows.length});
        return rows;
      });
      if(!done) break;
      this.afterCommit(done);
      // PGlite answers without leaving the microtask queue: yield, so requests are served between chunks.
      await new Promise(resolve => setImmediate(resolve));
    }
    await updateBulkRevocation(this.ctx.db, id, {status: 'completed', finished_at: this.ctx.now()});
  }

  /** Marks a bulk revocation failed (the job gave up). */
  async failBulkRevocation(id: string, error: string): Promise<void> {
    await updateBulkRevocation(this.ctx.db, id, {status: 'failed', error, finished_at: this.ctx.now()});
  }

  // ------------------------------------------------------------ sweep

  /** Starts the periodic sweep (publishing, suspensions that ran out, expiry reminders). */
  start(): void {
    if(this.timer) return;
    this.timer = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_MS);
    this.timer.unref?.();
  }

  stop(): void {
    if(this.timer) clearInterval(this.timer);
    this.timer = null;
    this.status.stop();
  }

  /** One sweep; concurrent calls share it. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => { this.sweeping = null; });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    // Suspensions whose `until` has passed are lifted by Laurel itself (audited as the system).
    const now = this.ctx.now();
    const lifted = await this.ctx.db.transaction(async tx => {
      const {rows} = await tx.query<CredentialRow>(
        `SELECT * FROM credentials WHERE status = 'suspended' AND suspended_until <= $1 ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED`, [now]);
      if(rows.length) await this.apply(tx, rows, {status: 'active', reason: null, reasonPublic: false, suspendedUntil: null}, {type: 'system', job: 'suspension-expiry'}, 'credential.reinstated');
      return rows;
    });
    if(lifted.length) this.afterCommit(lifted);
    await this.status.sweep();
    if(this.hooks.expiringSoon) {
      const {rows} = await this.ctx.db.query<CredentialRow>(
        `SELECT * FROM credentials WHERE status = 'active' AND expiry_reminded_at IS NULL AND valid_until > $1 AND valid_until <= $2 LIMIT 1000`,
        [now, new Date(now.getTime() + EXPIRY_REMINDER_DAYS * 86_400_000)]);
      if(rows.length) {
        await this.hooks.expiringSoon(rows);
        await this.ctx.db.query('UPDATE credentials SET expiry_reminded_at = $2 WHERE id = ANY($1::text[])', [rows.map(r => r.id), now]);
      }
    }
  }
}

/** The SQL for a bulk revocation's filter: the organization's unrevoked credentials that match. */
function bulkFilterSql(job: BulkRevocationRow): {where: string; params: unknown[]} {
  const params: unknown[] = [job.organization_id, job.filter.issuedBefore];
  const where = [`organization_id = $1`, `status <> 'revoked'`, `issued_at <= $2`];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if(job.filter.achievementId) add(n => `achievement_id = $${n}`, job.filter.achievementId);
  if(job.filter.issuedFrom) add(n => `issued_at >= $${n}`, new Date(job.filter.issuedFrom));
  if(job.filter.issuedUntil) add(n => `issued_at < $${n}`, new Date(job.filter.issuedUntil));
  if(job.filter.ids) add(n => `id = ANY($${n}::text[])`, job.filter.ids);
  return {where: where.join(' AND '), params};
}
