/** Issuing and reading credentials (DESIGN.md §3, data flow of one issuance). */
import {randomBytes} from 'node:crypto';
import {type AchievementCredential, buildAchievementCredential, isAllowedContext, isDateTimeStamp, issuerIdOf, signCredential,
  VC_V2_CONTEXT} from '@laurel/core';
import {randomId} from '../crypto/tokens.js';
import {findCredential, insertCredential, listCredentials} from '../db/credentials-repo.js';
import type {CredentialRow, OrganizationRow} from '../db/rows.js';
import {DomainError, notFound} from '../errors.js';
import type {AchievementService} from './achievements.js';
import type {ServiceContext} from './context.js';
import {requestHash, type StoredResponse, withIdempotency} from './idempotency.js';
import type {OrganizationService} from './organizations.js';
import {decodeCursor, encodeCursor} from './pagination.js';

/** A request to issue one credential (validated at the edge). */
export interface IssueCredentialInput {
  achievementId: string;
  recipient: {name: string; email?: string; did?: string};
  validFrom?: string;
  validUntil?: string;
  evidence?: Record<string, unknown>[];
  results?: Record<string, unknown>[];
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
  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService,
    private readonly achievements: AchievementService) {}

  /** API view of a row. */
  view(row: CredentialRow): CredentialView {
    const credential = JSON.parse(row.document) as AchievementCredential;
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
   * Issues one credential: validate, then in one transaction claim the
   * idempotency key, sign with the active key and store. Nothing is written
   * unless everything succeeds.
   */
  async issue(org: OrganizationRow, input: IssueCredentialInput, idempotencyKey?: string): Promise<StoredResponse<CredentialView>> {
    const achievementRow = await this.achievements.getRow(org, input.achievementId);
    const hash = requestHash('POST /api/v1/credentials', input);
    return withIdempotency(this.ctx.db, org.id, idempotencyKey, hash, 201, async tx => {
      if(achievementRow.status !== 'active') {
        throw new DomainError('ACHIEVEMENT_ARCHIVED', 422, `Achievement ${achievementRow.id} is archived; restore it before issuing.`);
      }
      const now = this.ctx.now();
      const validFrom = input.validFrom ? new Date(input.validFrom) : now;
      const validUntil = input.validUntil ? new Date(input.validUntil)
        : achievementRow.validity_months ? addMonths(validFrom, achievementRow.validity_months) : null;
      if(validUntil && validUntil.getTime() <= validFrom.getTime()) {
        throw new DomainError('VALIDATION_FAILED', 422, 'validUntil must be after validFrom.',
          {errors: [{path: 'validUntil', message: 'must be after validFrom'}]});
      }
      const {signer, did} = await this.orgs.activeSigner(tx, org);
      const id = randomId();
      const unsigned = buildAchievementCredential({
        id: `${this.orgs.baseUrl(org)}/c/${id}`,
        issuer: this.orgs.profile(org, did),
        achievement: this.achievements.toOpenBadge(org, achievementRow),
        recipient: input.recipient,
        salt: input.recipient.email !== undefined ? randomBytes(16).toString('hex') : undefined,
        validFrom: input.validFrom ?? now.toISOString(),
        validUntil: input.validUntil ?? validUntil?.toISOString(),
        evidence: input.evidence,
        results: input.results?.map(r => ({type: ['Result'], ...r})),
      });
      const credential = await signCredential(unsigned, signer, now.toISOString(), this.ctx.canonicalizer);
      const row: CredentialRow = {
        id, organization_id: org.id, achievement_id: achievementRow.id, recipient_name: input.recipient.name,
        recipient_email: input.recipient.email ?? null, recipient_did: input.recipient.did ?? null, status: 'active',
        valid_from: validFrom, valid_until: validUntil, issued_at: now, document: JSON.stringify(credential),
      };
      await insertCredential(tx, row);
      return this.view(row);
    });
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
  async sign(org: OrganizationRow, credential: Record<string, unknown>): Promise<Record<string, unknown>> {
    const issuerId = issuerIdOf(credential);
    const problems: string[] = [];
    const context = credential['@context'];
    if(!Array.isArray(context) || context[0] !== VC_V2_CONTEXT) problems.push(`@context must be an array starting with ${VC_V2_CONTEXT}`);
    else for(const c of context) if(typeof c !== 'string' || !isAllowedContext(c)) problems.push(`context ${typeof c === 'string' ? c : '(inline)'} is not on the allow-list`);
    const types = credential.type;
    if(!Array.isArray(types) || !types.includes('VerifiableCredential')) problems.push('type must be an array including VerifiableCredential');
    if(!issuerId) problems.push('issuer must be a DID or an object with an id');
    if(credential.credentialSubject === undefined) problems.push('credentialSubject is required');
    if(credential.proof !== undefined) problems.push('the credential already has a proof');
    for(const field of ['validFrom', 'validUntil']) {
      if(credential[field] !== undefined && !isDateTimeStamp(credential[field])) problems.push(`${field} must be a dateTime with a time zone`);
    }
    if(problems.length) {
      throw new DomainError('CREDENTIAL_INVALID', 422, `The credential cannot be signed: ${problems.join('; ')}.`,
        {errors: problems.map(message => ({path: 'credential', message}))});
    }
    const dids = await this.orgs.allDids(org);
    if(!dids.includes(issuerId!)) {
      throw new DomainError('ISSUER_NOT_OWNED', 403, `The issuer ${issuerId} is not a DID of your organization (${dids[dids.length - 1]}).`);
    }
    return this.ctx.db.transaction(async tx => {
      const {signer, did} = await this.orgs.activeSigner(tx, org);
      if(did !== issuerId) {
        throw new DomainError('ISSUER_NOT_OWNED', 403, `The issuer ${issuerId} is a retired key of your organization; issue as ${did}.`);
      }
      try {
        return await signCredential(credential, signer, this.ctx.now().toISOString(), this.ctx.canonicalizer);
      } catch(error) {
        throw new DomainError('CREDENTIAL_INVALID', 422, `The credential is not valid JSON-LD: ${(error as Error).message}`);
      }
    });
  }
}
