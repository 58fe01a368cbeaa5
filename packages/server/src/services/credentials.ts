/** Issuing and reading credentials (DESIGN.md §3, data flow of one issuance). */
import {randomBytes} from 'node:crypto';
import {type AchievementCredential, buildAchievementCredential, DATA_INTEGRITY_V2_CONTEXT, isAllowedContext, parseCredential,
  signCredential} from '@laurel/core';
import {randomId} from '../crypto/tokens.js';
import type {Queryable} from '../db/database.js';
import {claimIdempotencyKey, completeIdempotencyKey, findCredential, insertCredentials, listCredentials} from '../db/credentials-repo.js';
import type {AchievementRow, CredentialRow, OrganizationRow} from '../db/rows.js';
import {DomainError, notFound} from '../errors.js';
import type {AchievementService} from './achievements.js';
import type {ServiceContext} from './context.js';
import {Batcher} from './batcher.js';
import {requestHash, type StoredResponse} from './idempotency.js';
import type {ActiveSigner, OrganizationService} from './organizations.js';
import {decodeCursor, encodeCursor} from './pagination.js';

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
}

/** The API view of an issued credential: the signed document plus metadata. */
export interface CredentialView {
  id: string;
  url: string;
  status: 'active' | 'expired' | string;
  achievementId: string;
  recipient: {name: string; email: string | null; did: string | null};
  issuedAt: string;
  validFrom: string;
  validUntil: string | null;
  credential: AchievementCredential;
}

/** One queued issuance. */
interface IssueJob {
  org: OrganizationRow;
  input: IssueCredentialInput;
  key?: string;
  hash: string;
  resolve: (result: StoredResponse<CredentialView>) => void;
  reject: (error: unknown) => void;
}

type Outcome = {result: StoredResponse<CredentialView>} | {error: unknown};

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
export class CredentialService {
  private readonly batcher: Batcher<IssueJob>;

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService,
    private readonly achievements: AchievementService) {
    this.batcher = new Batcher<IssueJob>(jobs => this.runBatch(jobs), 64, ctx.db.kind === 'postgres' ? 2 : 1);
  }

  /** API view of a row (`credential`: the already-parsed document, when the caller has it). */
  view(row: CredentialRow, credential = JSON.parse(row.document) as AchievementCredential): CredentialView {
    const expired = row.status === 'active' && row.valid_until !== null && row.valid_until.getTime() <= this.ctx.now().getTime();
    return {
      id: row.id,
      url: credential.id,
      status: expired ? 'expired' : row.status,
      achievementId: row.achievement_id,
      recipient: {name: row.recipient_name, email: row.recipient_email, did: row.recipient_did},
      issuedAt: row.issued_at.toISOString(),
      validFrom: row.valid_from.toISOString(),
      validUntil: row.valid_until?.toISOString() ?? null,
      credential,
    };
  }

  /**
   * Issues one credential. The request joins the next group commit, where the
   * achievement is checked (404 / 422 before anything is claimed), the
   * idempotency key claimed, the credential signed with the active key and
   * stored, all in one transaction. Nothing is written unless it all succeeds.
   */
  issue(org: OrganizationRow, input: IssueCredentialInput, idempotencyKey?: string): Promise<StoredResponse<CredentialView>> {
    return new Promise((resolve, reject) => {
      // The request hash is only needed to compare retries of an idempotency key.
      const hash = idempotencyKey === undefined ? '' : requestHash('POST /api/v1/credentials', input);
      this.batcher.push({org, input, key: idempotencyKey, hash, resolve, reject});
    });
  }

  /** One group commit. If the transaction fails, each job is retried alone so one bad job cannot sink the others. */
  private async runBatch(jobs: IssueJob[]): Promise<void> {
    let outcomes: Map<IssueJob, Outcome>;
    try {
      outcomes = await this.ctx.db.transaction(tx => this.issueInTransaction(tx, jobs));
    } catch(error) {
      if(jobs.length === 1) return jobs[0].reject(error);
      for(const job of jobs) await this.runBatch([job]);
      return;
    }
    for(const job of jobs) {
      const outcome = outcomes.get(job)!;
      if('error' in outcome) job.reject(outcome.error);
      else job.resolve(outcome.result);
    }
  }

  private async issueInTransaction(tx: Queryable, jobs: IssueJob[]): Promise<Map<IssueJob, Outcome>> {
    const outcomes = new Map<IssueJob, Outcome>();
    const now = this.ctx.now();
    const signers = new Map<string, ActiveSigner>();
    for(const job of jobs) {
      if(!signers.has(job.org.id)) signers.set(job.org.id, await this.orgs.activeSigner(tx, job.org));
    }
    // Re-read achievements inside the transaction: an archive that committed first wins.
    const achievementRows = new Map((await this.achievements.rowsForIssuing(tx, [...new Set(jobs.map(j => j.input.achievementId))]))
      .map(a => [`${a.organization_id}/${a.id}`, a]));
    const toStore: {job: IssueJob; row: CredentialRow; credential: AchievementCredential}[] = [];
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
        toStore.push({job, ...await this.sign(job, achievement, signers.get(job.org.id)!, dates, now)});
      } catch(error) {
        outcomes.set(job, {error});
      }
    }
    await insertCredentials(tx, toStore.map(s => s.row));
    for(const {job, row, credential} of toStore) {
      const result: StoredResponse<CredentialView> = {statusCode: 201, body: this.view(row, credential), replayed: false};
      if(job.key !== undefined) await completeIdempotencyKey(tx, job.org.id, job.key, 201, JSON.stringify(result.body));
      outcomes.set(job, {result});
    }
    return outcomes;
  }

  /** Builds and signs one credential row (CPU only). */
  private async sign(job: IssueJob, achievement: AchievementRow, active: ActiveSigner,
    dates: {validFrom: Date; validUntil: Date | null; validFromText: string; validUntilText?: string}, now: Date):
    Promise<{row: CredentialRow; credential: AchievementCredential}> {
    const {org, input} = job;
    const id = randomId();
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
    });
    const cryptosuite = input.options?.cryptosuite ?? (achievement.data as {cryptosuite?: 'eddsa-rdfc-2022' | 'eddsa-jcs-2022'}).cryptosuite;
    const credential = await signCredential(unsigned, active.signer, now.toISOString(), this.ctx.canonicalizer, {cryptosuite});
    return {credential, row: {
      id, organization_id: org.id, achievement_id: achievement.id, recipient_name: input.recipient.name,
      recipient_email: input.recipient.email ?? null, recipient_did: input.recipient.did ?? null, status: 'active',
      valid_from: dates.validFrom, valid_until: dates.validUntil, issued_at: now, document: JSON.stringify(credential),
    }};
  }

  /** One credential of this organization, or 404. */
  async get(org: OrganizationRow, id: string): Promise<CredentialView> {
    const row = await findCredential(this.ctx.db, id, org.id);
    if(!row) throw notFound('CREDENTIAL_NOT_FOUND', `Credential ${id}`);
    return this.view(row);
  }

  /** A page of this organization's credentials. */
  async list(org: OrganizationRow, f: {achievementId?: string; status?: 'active' | 'expired'; q?: string; cursor?: string; limit: number}):
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
  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService) {}

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
    return this.ctx.db.transaction(async tx => {
      const {signer, did} = await this.orgs.activeSigner(tx, org);
      if(did !== issuerId) {
        throw new DomainError('ISSUER_NOT_OWNED', 403, `The issuer ${issuerId} is a retired key of your organization; issue as ${did}.`);
      }
      try {
        return await signCredential(document, signer, this.ctx.now().toISOString(), this.ctx.canonicalizer, {cryptosuite: options.cryptosuite});
      } catch(error) {
        throw new DomainError('CREDENTIAL_INVALID', 422, `The credential is not valid JSON-LD: ${(error as Error).message}`);
      }
    });
  }
}
