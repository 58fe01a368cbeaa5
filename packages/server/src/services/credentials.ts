/** Issuing and reading credentials (DESIGN.md §3, data flow of one issuance). */
import {randomBytes} from 'node:crypto';
import {type AchievementCredential, buildAchievementCredential, DATA_INTEGRITY_V2_CONTEXT, isAllowedContext, parseCredential,
  signCredential} from '@laurel/core';
import {randomId} from '../crypto/tokens.js';
import type {Queryable} from '../db/database.js';
import {claimIdempotencyKey, completeIdempotencyKey, credentialsInsert, findCredential, listCredentials, readForIssuing} from '../db/credentials-repo.js';
import type {AchievementRow, CredentialRow, OrganizationRow} from '../db/rows.js';
import {DomainError, notFound} from '../errors.js';
import type {AchievementService} from './achievements.js';
import type {Actor} from './actor.js';
import type {AuditInput, AuditService} from './audit.js';
import type {ServiceContext} from './context.js';
import {Batcher} from './batcher.js';
import {requestHash, type StoredResponse} from './idempotency.js';
import type {ActiveSigner, OrganizationService} from './organizations.js';
import {decodeCursor, encodeCursor} from './pagination.js';
import {SignPool} from './sign-pool.js';
import {type SignTask, signTasks} from './sign-task.js';
import type {StatusListService, StatusSlot} from './status-lists.js';

/** A request to issue one credential (validated at the edge). */
export interface IssueCredentialInput {
  achievementId: string;
  recipient: {name: string; email?: string; did?: string};
  validFrom?: string;
  validUntil?: string;
  evidence?: Record<string, unknown>[];
  results?: Record<string, unknown>[];
  /** Per-request choice; overrides the achievement's. */
  options?: {cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022'};
  /** Email the recipient (needs `recipient.email`); queued in the issuing transaction. */
  sendEmail?: boolean;
  /** The email's language (`en` default, `sv`). */
  locale?: 'en' | 'sv';
  /** Per-recipient values for the certificate template's `{{fields.<name>}}` (kept with the credential, not in it). */
  fields?: Record<string, string>;
}

/** A credential's status as shown: revoked and suspended win over expired. */
export type CredentialStatus = 'active' | 'expired' | 'revoked' | 'suspended';

/** The API view of an issued credential: the signed document plus metadata. */
export interface CredentialView {
  id: string;
  url: string;
  status: CredentialStatus;
  /** Why it was revoked or suspended, and whether verifiers are told. */
  statusReason: string | null;
  statusReasonPublic: boolean;
  statusChangedAt: string | null;
  suspendedUntil: string | null;
  expired: boolean;
  achievementId: string;
  recipient: {name: string; email: string | null; did: string | null};
  issuedAt: string;
  validFrom: string;
  validUntil: string | null;
  /** Renewal links: the credential this one replaced, and the one that replaced it. */
  renewedFrom: string | null;
  renewedBy: string | null;
  /** Per-recipient template fields. */
  fields: Record<string, string>;
  credential: AchievementCredential;
}

/** One queued issuance. */
interface IssueJob {
  org: OrganizationRow;
  input: IssueCredentialInput;
  actor: Actor;
  /** Set when the credential renews another (the old credential's id). */
  renewFrom?: string;
  key?: string;
  hash: string;
  resolve: (result: StoredResponse<CredentialView>) => void;
  reject: (error: unknown) => void;
}

type Outcome = {result: StoredResponse<CredentialView>} | {error: unknown};

/** A job admitted for issuance, with its credential id. */
interface Accepted {
  job: IssueJob;
  achievement: AchievementRow;
  dates: ReturnType<typeof validityWindow>;
  id: string;
}

/** Jobs after admission: the accepted ones with their keys and slots; the refused ones already in `outcomes`. */
interface Admitted {
  jobs: IssueJob[];
  outcomes: Map<IssueJob, Outcome>;
  accepted: Accepted[];
  signers: Map<string, ActiveSigner>;
  slots: Map<string, StatusSlot>;
  now: Date;
}

/** An accepted job's unsigned credential, as a signing task. */
interface Built {
  a: Accepted;
  task: SignTask;
}

/** A signed credential's row, ready to store. */
interface ToStore {
  job: IssueJob;
  row: CredentialRow;
  credential: AchievementCredential;
}

/** A bulk chunk admitted and built (CredentialService.prepareBulk), to be signed and stored. */
export interface PreparedBulk {
  readonly admitted: Admitted;
  readonly built: Built[];
}

/** The validity window of a new credential: explicit dates, else the achievement's validity period. */
function validityWindow(input: IssueCredentialInput, achievement: AchievementRow, now: Date) {
  const validFrom = input.validFrom ? new Date(input.validFrom) : now;
  const validUntil = input.validUntil ? new Date(input.validUntil)
    : achievement.validity_months ? addMonths(validFrom, achievement.validity_months) : null;
  if(validUntil && validUntil.getTime() <= validFrom.getTime()) {
    throw new DomainError('VALIDATION_FAILED', 422, 'validUntil must be after validFrom.',
      {errors: [{path: 'validUntil', message: 'must be after validFrom'}]});
  }
  return {validFrom, validUntil, validFromText: input.validFrom ?? now.toISOString(), validUntilText: input.validUntil ?? validUntil?.toISOString()};
}

/** The answer for an idempotency key seen before: the stored response, or a refusal. */
function replayOrRefuse(claim: {requestHash: string; statusCode: number | null; response: string | null}, hash: string): Outcome {
  if(claim.requestHash !== hash) {
    return {error: new DomainError('IDEMPOTENCY_KEY_REUSED', 422,
      'This Idempotency-Key was already used with a different request body. Use a new key for a new request.')};
  }
  if(claim.statusCode === null || claim.response === null) {
    return {error: new DomainError('IDEMPOTENCY_KEY_IN_PROGRESS', 409, 'A request with this Idempotency-Key is still in progress; retry shortly.')};
  }
  return {result: {statusCode: claim.statusCode, body: JSON.parse(claim.response) as CredentialView, replayed: true}};
}

/** Adds calendar months in UTC, clamping the day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(date: Date, months: number): Date {
  const d = new Date(date.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/** Credential use cases. */
/** Fewest credentials in one transaction that are worth sending to the signing threads. */
const POOL_MIN = 32;

export class CredentialService {
  private readonly batcher: Batcher<IssueJob>;
  /** Signing threads for bulk issuance, started by the first batch (absent: sign in this thread). */
  private signPool: SignPool | null = null;
  /** Credentials signed through the signing pool so far (its threads, and this thread's share of a group commit; tests, monitoring). */
  signedOnThreads = 0;
  private signPoolStarting: Promise<void> | null = null;

  /** Starts the signing threads (bulk issuance calls this before its first chunk). */
  ensureSignPool(): Promise<void> {
    this.signPoolStarting ??= SignPool.create().then(pool => { this.signPool = pool; }, () => undefined);
    return this.signPoolStarting;
  }

  /** Stops the signing threads. */
  async close(): Promise<void> {
    await this.signPoolStarting;
    await this.signPool?.close();
    this.signPool = null;
  }
  /** Email deliveries for credentials issued with `sendEmail` (set when mail is on), and the wake-up after commit. */
  email: {enqueue: (tx: Queryable, items: {organizationId: string; credentialId: string; recipient: string; locale?: string;
    kind: 'credential_issued'}[]) => Promise<unknown>; notify: () => void} | null = null;

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService,
    private readonly achievements: AchievementService, private readonly status: StatusListService,
    private readonly audit: AuditService) {
    this.batcher = new Batcher<IssueJob>(jobs => this.runBatch(jobs), 64, ctx.db.kind === 'postgres' ? 2 : 1);
  }

  /** API view of a row (`credential`: the already-parsed document, when the caller has it). */
  view(row: CredentialRow, credential = JSON.parse(row.document) as AchievementCredential): CredentialView {
    const expired = row.valid_until !== null && row.valid_until.getTime() <= this.ctx.now().getTime();
    return {
      id: row.id,
      url: credential.id,
      status: row.status === 'active' && expired ? 'expired' : row.status,
      statusReason: row.status_reason ?? null,
      statusReasonPublic: row.status_reason_public ?? false,
      statusChangedAt: row.status_changed_at?.toISOString() ?? null,
      suspendedUntil: row.suspended_until?.toISOString() ?? null,
      expired,
      achievementId: row.achievement_id,
      recipient: {name: row.recipient_name, email: row.recipient_email, did: row.recipient_did},
      issuedAt: row.issued_at.toISOString(),
      validFrom: row.valid_from.toISOString(),
      validUntil: row.valid_until?.toISOString() ?? null,
      renewedFrom: row.renewed_from ?? null,
      renewedBy: row.renewed_by ?? null,
      fields: row.fields ?? {},
      credential,
    };
  }

  /**
   * Issues one credential. The request joins the next group commit, where the
   * achievement is checked (404 / 422 before anything is claimed), the
   * idempotency key claimed, the credential signed with the active key and
   * stored, all in one transaction. Nothing is written unless it all succeeds.
   */
  issue(org: OrganizationRow, input: IssueCredentialInput, actor: Actor, idempotencyKey?: string): Promise<StoredResponse<CredentialView>> {
    return new Promise((resolve, reject) => {
      // The request hash is only needed to compare retries of an idempotency key.
      const hash = idempotencyKey === undefined ? '' : requestHash('POST /api/v1/credentials', input);
      this.batcher.push({org, input, actor, key: idempotencyKey, hash, resolve, reject});
    });
  }

  /**
   * Renews a credential: issues a fresh one for the same recipient and achievement
   * (validUntil given, or the achievement's validity period from now), links the two
   * both ways, and revokes the old one when asked. Idempotent: a credential already
   * renewed answers with its renewal (201 the first time, 200 after).
   */
  async renew(org: OrganizationRow, id: string, input: {validUntil?: string; revokeOld?: boolean}, actor: Actor,
    revoke: (tx: Queryable, row: CredentialRow, reason: string) => Promise<string[]>): Promise<StoredResponse<CredentialView>> {
    let kick: string[] = [];
    const result = await this.ctx.db.transaction(async tx => {
      const old = await findCredential(tx, id, org.id, true);
      if(!old) throw notFound('CREDENTIAL_NOT_FOUND', `Credential ${id}`);
      if(old.renewed_by) {
        const renewal = await findCredential(tx, old.renewed_by, org.id);
        if(renewal) return {statusCode: 200, body: this.view(renewal), replayed: true};
      }
      if(old.status === 'revoked') throw new DomainError('CREDENTIAL_REVOKED', 409, `Credential ${id} is revoked; a revoked credential cannot be renewed.`);
      const document = JSON.parse(old.document) as AchievementCredential;
      const subject = document.credentialSubject as {result?: Record<string, unknown>[]};
      const strip = ({type: _t, ...rest}: Record<string, unknown>) => rest;
      const job: IssueJob = {org, actor, renewFrom: old.id, hash: '', resolve: () => undefined, reject: () => undefined, input: {
        achievementId: old.achievement_id,
        recipient: {name: old.recipient_name, ...(old.recipient_email ? {email: old.recipient_email} : {}), ...(old.recipient_did ? {did: old.recipient_did} : {})},
        ...(input.validUntil ? {validUntil: input.validUntil} : {}),
        evidence: (document.evidence as Record<string, unknown>[] | undefined)?.map(strip),
        results: subject.result?.map(strip),
        ...(old.fields && Object.keys(old.fields).length ? {fields: old.fields} : {}),
        options: {cryptosuite: document.proof && !Array.isArray(document.proof) && document.proof.cryptosuite === 'eddsa-jcs-2022' ? 'eddsa-jcs-2022' : undefined},
      }};
      const outcome = (await this.issueInTransaction(tx, [job])).get(job)!;
      if('error' in outcome) throw outcome.error;
      const fresh = outcome.result.body;
      await tx.query('UPDATE credentials SET renewed_by = $2 WHERE id = $1', [old.id, fresh.id]);
      if(input.revokeOld) kick = await revoke(tx, old, `Renewed: replaced by ${fresh.url}`);
      return outcome.result;
    });
    this.status.kick(kick);
    return result;
  }

  /** One group commit. If the transaction fails, each job is retried alone so one bad job cannot sink the others. */
  private async runBatch(jobs: IssueJob[]): Promise<void> {
    let outcomes: Map<IssueJob, Outcome>;
    try {
      outcomes = await this.ctx.db.transaction(async tx => {
        const result = await this.issueInTransaction(tx, jobs);
        // Emails asked for with single issuance, in the same transaction (bulk issuance enqueues its own).
        const mail = jobs.flatMap(job => {
          const o = result.get(job);
          return job.input.sendEmail && o && 'result' in o && !o.result.replayed && o.result.body.recipient.email
            ? [{organizationId: job.org.id, credentialId: o.result.body.id, recipient: o.result.body.recipient.email, locale: job.input.locale,
              kind: 'credential_issued' as const}] : [];
        });
        if(mail.length) {
          if(!this.email) throw new DomainError('EMAIL_DISABLED', 422, 'Email is not configured on this Laurel instance; issue without sendEmail.');
          await this.email.enqueue(tx, mail);
        }
        return result;
      });
    } catch(error) {
      if(jobs.length === 1) return jobs[0].reject(error);
      for(const job of jobs) await this.runBatch([job]);
      return;
    }
    if(this.email && jobs.some(job => job.input.sendEmail)) this.email.notify();
    for(const job of jobs) {
      const outcome = outcomes.get(job)!;
      if('error' in outcome) job.reject(outcome.error);
      else job.resolve(outcome.result);
    }
  }

  private async issueInTransaction(tx: Queryable, allJobs: IssueJob[]): Promise<Map<IssueJob, Outcome>> {
    // Retries of one Idempotency-Key that arrive in the same group commit: the first goes in the
    // first pass; the others in a second pass, where they find its stored answer and replay it
    // (or are refused when their body differs), as if they had come just after.
    const seen = new Set<string>();
    const first: IssueJob[] = [], later: IssueJob[] = [];
    for(const job of allJobs) {
      const k = job.key === undefined ? null : `${job.org.id}\u0000${job.key}`;
      if(k !== null && seen.has(k)) later.push(job);
      else {
        if(k !== null) seen.add(k);
        first.push(job);
      }
    }
    const outcomes = await this.issueOnce(tx, first);
    if(later.length) for(const [job, o] of await this.issueOnce(tx, later)) outcomes.set(job, o);
    return outcomes;
  }

  private async issueOnce(tx: Queryable, jobs: IssueJob[]): Promise<Map<IssueJob, Outcome>> {
    const admitted = await this.admit(tx, jobs);
    const toStore: ToStore[] = [];
    let pooled = false;
    if(this.signPool && admitted.accepted.length >= POOL_MIN) {
      // Bulk: build every credential here, sign them on all cores, then make the rows. If a worker
      // fails (one credential that cannot be signed), the chunk is signed here, one by one, so the
      // failure stays with its own row.
      try {
        const built = this.buildAll(admitted);
        const signed = await this.signPool.signAll(built.map(b => b.task), share => signTasks(share, this.ctx.canonicalizer));
        built.forEach((b, i) => toStore.push(this.rowOf(admitted, b.a, signed[i])));
        pooled = true;
        this.signedOnThreads += built.length;
      } catch {
        toStore.length = 0;
      }
    }
    if(!pooled) toStore.push(...await this.signHere(admitted, admitted.accepted));
    await this.store(tx, admitted, toStore);
    return admitted.outcomes;
  }

  /**
   * Bulk issuance, first half (batches): admits `items` in the caller's transaction (the
   * issuer's key, the achievements, status slots for the accepted ones) and builds their
   * unsigned documents. Sign them with signBulk outside any transaction, store them with
   * storeBulk in a later one. Slots of a preparation that is never stored stay allocated
   * and unused (a crash, a cancel, rows another run issued first): never reused, harmless.
   */
  async prepareBulk(tx: Queryable, items: {org: OrganizationRow; input: IssueCredentialInput; actor: Actor}[]): Promise<PreparedBulk> {
    const jobs: IssueJob[] = items.map(i => ({...i, hash: '', resolve: () => undefined, reject: () => undefined}));
    const admitted = await this.admit(tx, jobs);
    return {admitted, built: this.buildAll(admitted)};
  }

  /**
   * Signs a preparation on the signing threads (in this thread when it is small or there are
   * none). Resolves with the signed documents in order, or null when a thread failed (storeBulk
   * then signs one by one, so an error stays with its own row). Touches no database.
   */
  signBulk(prepared: PreparedBulk): Promise<Record<string, unknown>[] | null> {
    const tasks = prepared.built.map(b => b.task);
    if(tasks.length === 0) return Promise.resolve([]);
    const pool = this.signPool && tasks.length >= POOL_MIN ? this.signPool : null;
    const signing = pool ? pool.signAll(tasks) : signTasks(tasks, this.ctx.canonicalizer);
    return signing.then(signed => {
      if(pool) this.signedOnThreads += signed.length;
      return signed;
    }, () => null);
  }

  /**
   * Bulk issuance, second half: stores the signed credentials of a preparation in the caller's
   * transaction (rows, audit entries) for the items `keep` accepts (their batch rows still
   * pending); the others are left out, and answered `skipped`. Items refused while admitting
   * get their error.
   */
  async storeBulk(tx: Queryable, prepared: PreparedBulk, signed: Record<string, unknown>[] | null, keep: (index: number) => boolean):
    Promise<({view: CredentialView} | {error: unknown} | {skipped: true})[]> {
    const {admitted, built} = prepared;
    const index = new Map(admitted.jobs.map((job, i) => [job, i]));
    const kept = built.map((b, i) => ({b, i})).filter(({b}) => keep(index.get(b.a.job)!));
    const toStore = signed
      ? kept.map(({b, i}) => this.rowOf(admitted, b.a, signed[i]))
      : await this.signHere(admitted, kept.map(({b}) => b.a));
    await this.store(tx, admitted, toStore);
    return admitted.jobs.map((job, i) => {
      if(!keep(i)) return {skipped: true as const};
      const outcome = admitted.outcomes.get(job)!;
      return 'error' in outcome ? {error: outcome.error} : {view: outcome.result.body};
    });
  }

  /**
   * Admission, in the transaction: the issuers' keys and the achievements, each job checked
   * (achievement, validity, idempotency key), and status slots for the accepted ones. Jobs
   * refused here already have their outcome.
   */
  private async admit(tx: Queryable, jobs: IssueJob[]): Promise<Admitted> {
    const outcomes = new Map<IssueJob, Outcome>();
    const now = this.ctx.now();
    const signers = new Map<string, ActiveSigner>();
    const achievementIds = [...new Set(jobs.map(j => j.input.achievementId))];
    let rows: AchievementRow[];
    if(!this.ctx.db.exclusive && jobs.length && jobs.every(j => j.org.id === jobs[0].org.id)) {
      // One organization (the usual group commit) on PostgreSQL: its key and the achievements in one round trip.
      const read = await readForIssuing(tx, jobs[0].org.id, achievementIds);
      signers.set(jobs[0].org.id, await this.orgs.activeSigner(tx, jobs[0].org, read.key));
      rows = read.achievements;
    } else {
      for(const job of jobs) {
        if(!signers.has(job.org.id)) signers.set(job.org.id, await this.orgs.activeSigner(tx, job.org));
      }
      rows = await this.achievements.rowsForIssuing(tx, achievementIds);
    }
    // Achievements are read inside the transaction: an archive that committed first wins.
    const achievementRows = new Map(rows.map(a => [`${a.organization_id}/${a.id}`, a]));
    const accepted: Accepted[] = [];
    for(const job of jobs) {
      try {
        const achievement = achievementRows.get(`${job.org.id}/${job.input.achievementId}`);
        if(!achievement) throw notFound('ACHIEVEMENT_NOT_FOUND', `Achievement ${job.input.achievementId}`);
        if(achievement.status !== 'active') {
          throw new DomainError('ACHIEVEMENT_ARCHIVED', 422, `Achievement ${achievement.id} is archived; restore it before issuing.`);
        }
        const dates = validityWindow(job.input, achievement, now);
        if(job.key !== undefined) {
          const claim = await claimIdempotencyKey(tx, job.org.id, job.key, job.hash);
          if(!claim.claimed) {
            outcomes.set(job, replayOrRefuse(claim, job.hash));
            continue;
          }
        }
        accepted.push({job, achievement, dates, id: randomId()});
      } catch(error) {
        outcomes.set(job, {error});
      }
    }
    // Status slots: one allocation per organization, at random among free indexes.
    const slots = new Map<string, StatusSlot>();
    for(const [orgId, signer] of signers) {
      const mine = accepted.filter(a => a.job.org.id === orgId);
      if(mine.length === 0) continue;
      const claimed = await this.status.allocate(tx, mine[0].job.org, signer.did, mine.map(a => ({credentialId: a.id})));
      mine.forEach((a, i) => slots.set(a.id, claimed[i]));
    }
    return {jobs, outcomes, accepted, signers, slots, now};
  }

  /** The unsigned document and signing task of every accepted job (CPU only). */
  private buildAll(admitted: Admitted): Built[] {
    const {signers, slots, now} = admitted;
    return admitted.accepted.map(a => {
      const active = signers.get(a.job.org.id)!;
      const {unsigned, cryptosuite} = this.build(a.job, a.id, slots.get(a.id)!, a.achievement, active, a.dates);
      return {a, task: {unsigned, vmId: active.vmId, key: active.privateKey, created: now.toISOString(), cryptosuite}};
    });
  }

  /** The row of one signed credential. */
  private rowOf(admitted: Admitted, a: Accepted, signed: Record<string, unknown>): ToStore {
    return {job: a.job, ...this.toRow(a.job, a.id, admitted.slots.get(a.id)!, a.achievement, a.dates, admitted.now, signed as AchievementCredential)};
  }

  /** Signs accepted jobs in this thread, one by one; a job that cannot be signed gets its error. */
  private async signHere(admitted: Admitted, accepted: Accepted[]): Promise<ToStore[]> {
    const toStore: ToStore[] = [];
    for(const a of accepted) {
      try {
        toStore.push({job: a.job, ...await this.sign(a.job, a.id, admitted.slots.get(a.id)!, a.achievement, admitted.signers.get(a.job.org.id)!,
          a.dates, admitted.now)});
      } catch(error) {
        admitted.outcomes.set(a.job, {error});
      }
    }
    return toStore;
  }

  /** Stores signed credentials: their answers (and idempotency records), then the audit entries with the rows. */
  private async store(tx: Queryable, admitted: Admitted, toStore: ToStore[]): Promise<void> {
    for(const {job, row, credential} of toStore) {
      const result: StoredResponse<CredentialView> = {statusCode: 201, body: this.view(row, credential), replayed: false};
      if(job.key !== undefined) await completeIdempotencyKey(tx, job.org.id, job.key, 201, JSON.stringify(result.body));
      admitted.outcomes.set(job, {result});
    }
    // Last: the audit head's row lock is held only until the commit that follows. The
    // credentials' INSERT runs inside the append's statement (one round trip fewer).
    await this.audit.append(tx, toStore.map(({job, row}): AuditInput => ({
      organizationId: job.org.id, actor: job.actor, action: job.renewFrom ? 'credential.renewed' : 'credential.issued',
      subjectType: 'credential', subjectId: row.id, before: null,
      after: {status: 'active', achievementId: row.achievement_id, recipientName: row.recipient_name, validFrom: row.valid_from.toISOString(),
        validUntil: row.valid_until?.toISOString() ?? null, ...(job.renewFrom ? {renewedFrom: job.renewFrom} : {})},
    })), toStore.length ? credentialsInsert(toStore.map(s => s.row)) : undefined);
  }

  /** Builds and signs one credential row (CPU only). */
  /** The unsigned credential of one issuance, and the suite it is signed with. */
  private build(job: IssueJob, id: string, slot: StatusSlot, achievement: AchievementRow, active: ActiveSigner,
    dates: {validFrom: Date; validUntil: Date | null; validFromText: string; validUntilText?: string}):
    {unsigned: AchievementCredential; cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022'} {
    const {org, input} = job;
    const unsigned = buildAchievementCredential({
      id: `${this.orgs.baseUrl(org)}/c/${id}`,
      issuer: this.orgs.profile(org, active.did),
      achievement: this.achievements.toOpenBadge(org, achievement),
      recipient: input.recipient,
      salt: input.recipient.email !== undefined ? randomBytes(16).toString('hex') : undefined,
      validFrom: dates.validFromText,
      validUntil: dates.validUntilText,
      evidence: input.evidence,
      results: input.results?.map(r => ({type: ['Result'], ...r})),
      credentialStatus: this.status.entries(org, slot),
    });
    return {unsigned, cryptosuite: input.options?.cryptosuite ?? (achievement.data as {cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022'}).cryptosuite};
  }

  /** The row stored for a signed credential. */
  private toRow(job: IssueJob, id: string, slot: StatusSlot, achievement: AchievementRow,
    dates: {validFrom: Date; validUntil: Date | null}, now: Date, credential: AchievementCredential): {row: CredentialRow; credential: AchievementCredential} {
    const {org, input} = job;
    return {credential, row: {
      id, organization_id: org.id, achievement_id: achievement.id, recipient_name: input.recipient.name,
      recipient_email: input.recipient.email ?? null, recipient_did: input.recipient.did ?? null, status: 'active',
      valid_from: dates.validFrom, valid_until: dates.validUntil, issued_at: now, document: JSON.stringify(credential),
      status_list_id: slot.listId, status_index: slot.idx, status_reason: null, status_reason_public: false, status_changed_at: null,
      suspended_until: null, renewed_from: job.renewFrom ?? null, renewed_by: null,
      fields: input.fields && Object.keys(input.fields).length ? input.fields : null,
    }};
  }

  /** Builds and signs one credential row in this thread. */
  private async sign(job: IssueJob, id: string, slot: StatusSlot, achievement: AchievementRow, active: ActiveSigner,
    dates: {validFrom: Date; validUntil: Date | null; validFromText: string; validUntilText?: string}, now: Date):
    Promise<{row: CredentialRow; credential: AchievementCredential}> {
    const {unsigned, cryptosuite} = this.build(job, id, slot, achievement, active, dates);
    const credential = await signCredential(unsigned, active.signer, now.toISOString(), this.ctx.canonicalizer, {cryptosuite});
    return this.toRow(job, id, slot, achievement, dates, now, credential);
  }

  /** One credential of this organization, or 404. */
  async get(org: OrganizationRow, id: string): Promise<CredentialView> {
    const row = await findCredential(this.ctx.db, id, org.id);
    if(!row) throw notFound('CREDENTIAL_NOT_FOUND', `Credential ${id}`);
    return this.view(row);
  }

  /** A page of this organization's credentials. */
  async list(org: OrganizationRow, f: {achievementId?: string; status?: CredentialStatus; expiring?: number; q?: string; cursor?: string; limit: number}):
    Promise<{items: CredentialView[]; nextCursor: string | null}> {
    const after = f.cursor ? decodeCursor(f.cursor) : undefined;
    const rows = await listCredentials(this.ctx.db, org.id, {...f, after, now: this.ctx.now(), limit: f.limit + 1});
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {items: page.map(r => this.view(r)), nextCursor: rows.length > f.limit && last ? encodeCursor(last.issued_at, last.id) : null};
  }

  /** A credential for the public page; restricted to one organization on its own domain. */
  async findPublic(id: string, org?: OrganizationRow | null): Promise<CredentialRow | null> {
    return findCredential(this.ctx.db, id, org?.id);
  }
}

/** VC-API `POST /credentials/issue`: sign a caller-supplied credential as the caller's organization. */
export class CallerCredentialSigner {
  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService, private readonly status: StatusListService) {}

  /** Signs `credential` with the organization's active key after checking the issuer is the organization. */
  async sign(org: OrganizationRow, credential: Record<string, unknown>,
    options: {cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022'} = {}): Promise<Record<string, unknown>> {
    // VC-API signs VC 2.0 and, as the W3C Data Integrity suites send them, VC 1.1 credentials:
    // the parser checks the envelope, then Laurel's own rules.
    const parsed = parseCredential(credential);
    const problems = parsed.ok ? [] : parsed.problems.map(p => ({path: p.path, message: p.message}));
    if(parsed.ok) {
      for(const c of credential['@context'] as unknown[]) {
        if(typeof c !== 'string' || !isAllowedContext(c)) problems.push({path: '@context', message: `context ${typeof c === 'string' ? c : '(inline)'} is not on the allow-list`});
      }
    }
    if(credential.proof !== undefined) problems.push({path: 'proof', message: 'the credential already has a proof'});
    if(problems.length || !parsed.ok) {
      throw new DomainError('CREDENTIAL_INVALID', 422, `The credential cannot be signed: ${problems.map(p => `${p.path}: ${p.message}`).join('; ')}.`,
        {errors: problems});
    }
    const issuerId = parsed.credential.issuerId;
    const dids = await this.orgs.allDids(org);
    if(!dids.includes(issuerId)) {
      throw new DomainError('ISSUER_NOT_OWNED', 403, `The issuer ${issuerId} is not a DID of your organization (${dids[dids.length - 1]}).`);
    }
    // The VC 1.1 context does not define Data Integrity terms: add the Data Integrity
    // context, as the reference implementation does (VC-DI §2.1 "add the context").
    const contexts = credential['@context'] as string[];
    const document = parsed.credential.version === '1.1' && !contexts.includes(DATA_INTEGRITY_V2_CONTEXT)
      ? {...credential, '@context': [...contexts, DATA_INTEGRITY_V2_CONTEXT]} : credential;
    let listId: string | undefined;
    const signed = await this.ctx.db.transaction(async tx => {
      const {signer, did} = await this.orgs.activeSigner(tx, org);
      if(did !== issuerId) {
        throw new DomainError('ISSUER_NOT_OWNED', 403, `The issuer ${issuerId} is a retired key of your organization; issue as ${did}.`);
      }
      // A revocation and a suspension entry, as for Laurel's own credentials: VC 2.0 only (the
      // VC 1.1 context does not define BitstringStatusListEntry), and never over the caller's own.
      let withStatus: Record<string, unknown> = document;
      if(parsed.credential.version === '2.0' && document.credentialStatus === undefined) {
        const [slot] = await this.status.allocate(tx, org, did, [{externalId: typeof credential.id === 'string' ? credential.id : undefined}]);
        listId = slot.listId;
        withStatus = {...document, credentialStatus: this.status.entries(org, slot)};
      }
      try {
        return await signCredential(withStatus, signer, this.ctx.now().toISOString(), this.ctx.canonicalizer, {cryptosuite: options.cryptosuite});
      } catch(error) {
        throw new DomainError('CREDENTIAL_INVALID', 422, `The credential is not valid JSON-LD: ${(error as Error).message}`);
      }
    });
    return signed;
  }
}
