/**
 * Server-side verification: the core's verifyCredential with ports that read
 * this instance's own DIDs from the database and fetch other issuers' did:web
 * documents only under safe-fetch's rules.
 */
import {ALL_SUITES, type ControllerResolver, createBitstringStatusCheck, didKeyDocument, didWebDocumentUrl, parseJsonStrict,
  type PresentationOptions, type PresentationResult, StatusListCache, VC_JWT_DATA_URL_PREFIX, verifyCredential, verifyPresentation, verifyVcJwt,
  type VerificationResult, type VerifyPorts} from '@laurel/core';
import type {CredentialRow} from '../db/rows.js';
import type {ServiceContext} from './context.js';
import type {CredentialService} from './credentials.js';
import type {OrganizationService} from './organizations.js';
import {fetchPublicJson} from './safe-fetch.js';
import type {StatusListService} from './status-lists.js';
import {TtlCache} from './ttl-cache.js';

/** A JWT's payload (for VC-JOSE, the credential itself), or null when it is not one; nothing is checked here. */
function jwtPayload(jwt: string): unknown {
  try {
    return JSON.parse(Buffer.from(jwt.trim().split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}

/**
 * Whether an out-of-date DID document of the issuer could explain this result: a failed
 * proof or issuer check (a key it does not list yet), or a status list that could not be
 * checked (a list re-signed with that key). A revoked or expired credential is not retried.
 */
function staleDidCould(result: VerificationResult): boolean {
  return result.errors.some(e => e.check === 'proof' || e.check === 'issuer') || result.warnings.some(w => w.code === 'STATUS_UNKNOWN');
}

/** How long the public page reuses a server-side verification result. */
export const STORED_RESULT_MS = 10_000;

/** Verification use cases. */
export class VerificationService {
  readonly resolveController: ControllerResolver;
  /** Other issuers' status lists, verified and decoded, each for its ttl. */
  readonly statusListCache = new StatusListCache();
  /** This instance's own lists, verified and decoded, by URL and version (and never past their validUntil). */
  private readonly ownListCache = new StatusListCache();
  private readonly ports: VerifyPorts;

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService,
    private readonly credentials: CredentialService, private readonly statusLists: StatusListService,
    private readonly fetchJson: (url: URL, accept?: string) => Promise<string> = fetchPublicJson) {
    this.resolveController = async id => {
      if(id.startsWith('did:key:')) {
        const document = didKeyDocument(id);
        return document ? {ok: true, document} : {ok: false, message: 'not a valid Ed25519 did:key'};
      }
      if(id.startsWith('did:web:')) {
        if(await this.orgs.isLocalDidWeb(id)) {
          const document = await this.orgs.resolveLocalDid(id);
          return document ? {ok: true, document} : {ok: false, message: 'no such issuer on this Laurel instance'};
        }
        const url = didWebDocumentUrl(id);
        if(!url) return {ok: false, message: 'not a valid did:web'};
        try {
          const parsed = parseJsonStrict(await fetchJson(url));
          if(!parsed.ok) return {ok: false, message: parsed.problem.message};
          return {ok: true, document: parsed.value as any};
        } catch(error) {
          return {ok: false, message: `could not fetch ${url.href}: ${(error as Error).message}`};
        }
      }
      return {ok: false, message: 'only did:key and did:web issuers can be resolved'};
    };
    // Every suite Laurel can check: its own (eddsa-rdfc-2022, eddsa-jcs-2022) and other issuers' (ECDSA, Ed25519Signature2020).
    const base = {canonicalizer: this.ctx.canonicalizer, resolveController: this.resolveController, now: this.ctx.now, suites: ALL_SUITES};
    // This instance's own lists: kept verified and decoded per version, which every status change moves in its
    // own transaction, so a revocation is seen at once; each check costs one small read of the version.
    const ownLists = createBitstringStatusCheck({
      fetchStatusList: url => this.fetchStatusList(url), verifyListCredential: vc => verifyCredential(vc, base), now: this.ctx.now,
      cache: {lookup: async (url, now, load) => {
        const local = await this.localStatusList(url);
        const version = local ? await this.statusLists.version(local.listId) : null;
        return version === null ? load() : this.ownListCache.lookup(`${url}#${version}`, now, load);
      }}});
    const foreignLists = createBitstringStatusCheck({
      fetchStatusList: url => this.fetchStatusList(url), verifyListCredential: vc => verifyCredential(vc, base), now: this.ctx.now,
      cache: this.statusListCache});
    this.ports = {...base, checkStatus: async credential =>
      (await this.ownsAllStatusLists(credential) ? ownLists : foreignLists)(credential)};
  }

  /** Whether every status list a credential names is on this instance (then it is read fresh from the database). */
  private async ownsAllStatusLists(credential: Record<string, unknown>): Promise<boolean> {
    const entries = Array.isArray(credential.credentialStatus) ? credential.credentialStatus : [credential.credentialStatus];
    for(const e of entries) {
      const url = (e as {statusListCredential?: unknown})?.statusListCredential;
      if(typeof url !== 'string' || !await this.localStatusList(url)) return false;
    }
    return true;
  }

  /** The list id and purpose when `text` is a status list URL of this instance (its origin or an organization's domain). */
  private async localStatusList(text: string): Promise<{listId: string; purpose: 'revocation' | 'suspension'} | null> {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return null;
    }
    const host = url.host.toLowerCase();
    const own = host === new URL(this.ctx.publicUrl).host.toLowerCase() || (url.protocol === 'https:' && await this.orgs.findByHost(url.hostname.toLowerCase()) !== null);
    const m = /^\/status\/([A-Za-z0-9_-]{1,64})\/(revocation|suspension)$/.exec(url.pathname);
    return own && m ? {listId: m[1], purpose: m[2] as 'revocation' | 'suspension'} : null;
  }

  /**
   * The status list port: this instance's lists from the database (published first if a bit
   * changed, so a revocation is seen at once); other issuers' over https under safe-fetch's rules.
   */
  private async fetchStatusList(text: string): Promise<unknown> {
    const local = await this.localStatusList(text);
    if(local) {
      const list = await this.statusLists.current(local.listId, local.purpose);
      if(!list) throw new Error('no such status list on this Laurel instance');
      return JSON.parse(list.body);
    }
    const url = new URL(text);
    if(url.protocol !== 'https:') throw new Error('only https status lists are fetched');
    const parsed = parseJsonStrict(await this.fetchJson(url, 'application/vc+ld+json, application/ld+json, application/json'));
    if(!parsed.ok) throw new Error(parsed.problem.message);
    return parsed.value;
  }

  /**
   * Verification of a credential stored here: a revocation or suspension reason the issuer
   * made public is shown with the status check.
   */
  private withPublicReason(result: VerificationResult, row: CredentialRow): VerificationResult {
    if(!row.status_reason_public || !row.status_reason) return result;
    const add = (c: VerificationResult['checks'][number]) => c.check === 'status' && (c.code === 'STATUS_REVOKED' || c.code === 'STATUS_SUSPENDED')
      ? {...c, message: `${c.message} Reason given by the issuer: ${row.status_reason}`} : c;
    const checks = result.checks.map(add);
    return {...result, checks, errors: result.errors.map(add), warnings: result.warnings.map(add)};
  }

  /** Verifies a credential of this instance by its id, with the public reason of its status. */
  async verifyLocal(row: CredentialRow): Promise<VerificationResult> {
    return this.withPublicReason(await this.verify(JSON.parse(row.document)), row);
  }

  /**
   * Verifies the credential at a URL. A URL on this instance's origin or on an
   * organization's domain is read from the database, never fetched; any other is
   * fetched over https from a public address only (safe-fetch), with caps.
   */
  async verifyUrl(text: string): Promise<VerificationResult & {input: {kind: 'url'; url: string; error?: string}}> {
    const failed = async (error: string) => ({...await this.verify(undefined), input: {kind: 'url' as const, url: text, error}});
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return failed('This is not a URL.');
    }
    const host = url.host.toLowerCase();
    const own = new URL(this.ctx.publicUrl);
    const local = host === own.host.toLowerCase() ? null : await this.orgs.findByHost(url.hostname.toLowerCase());
    if(host === own.host.toLowerCase() || local) {
      const m = /^\/c\/([A-Za-z0-9_-]{1,64})(?:\.json)?\/?$/.exec(url.pathname);
      const row = m ? await this.credentials.findPublic(m[1], local) : null;
      // A credential its holder hid is not published (it stays verifiable from its file).
      if(!row || row.hidden_at) return failed('No credential of this Laurel instance is published at this URL.');
      return {...await this.verifyLocal(row), input: {kind: 'url', url: text}};
    }
    if(url.protocol !== 'https:') return failed('Only https URLs are fetched.');
    let body: string;
    try {
      body = await this.fetchJson(url, 'application/ld+json, application/json');
    } catch(error) {
      return failed(`The credential could not be fetched: ${(error as Error).message}`);
    }
    const parsed = parseJsonStrict(body);
    if(!parsed.ok) return failed(`The URL did not return a credential: ${parsed.problem.message}`);
    return {...await this.verify(parsed.value), input: {kind: 'url', url: text}};
  }

  /** Verifies a VC-JOSE `application/vc+jwt` token. Never throws for an invalid token. */
  async verifyJwt(jwt: string): Promise<VerificationResult & {input: {kind: 'jwt'}}> {
    const result = await verifyVcJwt(jwt, this.ports);
    const again = staleDidCould(result) && this.forgetIssuerDid(jwtPayload(jwt)) ? await verifyVcJwt(jwt, this.ports) : result;
    return {...again, input: {kind: 'jwt'}};
  }

  /**
   * When a verification went wrong in a way a stale DID document could explain (staleDidCould)
   * and its issuer's document came from this instance's cache, forgets that document (true) so
   * the check runs once more on a fresh one: a key rotated by another process within the
   * cache's few seconds must not fail a credential or its status lists.
   */
  private forgetIssuerDid(credential: unknown): boolean {
    const issuer = (credential as {issuer?: unknown} | null)?.issuer;
    const id = typeof issuer === 'string' ? issuer : (issuer as {id?: unknown} | null)?.id;
    return typeof id === 'string' && this.orgs.forgetCachedDid(id);
  }


  /**
   * The public page's server-side result for a stored credential, cached for
   * STORED_RESULT_MS: the stored document never changes, so the result only moves
   * with the clock. A cached result never outlives a validity boundary
   * (validFrom / validUntil) that falls inside the window.
   */
  async verifyStored(row: CredentialRow, credential: Record<string, unknown>): Promise<VerificationResult> {
    const now = this.ctx.now().getTime();
    const id = row.id;
    const hit = this.storedResults.get(id);
    if(hit && hit.until > now) return hit.result;
    const result = this.withPublicReason(await this.verify(credential), row);
    const bounds = [credential.validFrom, credential.validUntil]
      .map(v => typeof v === 'string' ? Date.parse(v) : NaN).filter(t => t > now);
    this.storedResults.set(id, {result, until: Math.min(now + STORED_RESULT_MS, ...bounds)});
    return result;
  }

  private readonly storedResults = new TtlCache<string, {result: VerificationResult; until: number}>(STORED_RESULT_MS, 10_000);

  /** Forgets cached page results (a change made by this process, e.g. a revocation). */
  forgetStored(id?: string): void {
    if(id === undefined) this.storedResults.clear();
    else this.storedResults.delete(id);
  }

  /** Verifies a credential. Never throws for an invalid credential. */
  async verify(credential: unknown): Promise<VerificationResult> {
    const result = await verifyCredential(credential, this.ports);
    return staleDidCould(result) && this.forgetIssuerDid(credential) ? verifyCredential(credential, this.ports) : result;
  }

  /**
   * Verifies a presentation and every credential in it, with the same ports. Never throws for
   * an invalid one. As for one credential, a stale cached DID document gets one more try.
   */
  async verifyPresentation(presentation: unknown, options: PresentationOptions = {}): Promise<PresentationResult> {
    const result = await verifyPresentation(presentation, options, this.ports);
    const embedded = (presentation as {verifiableCredential?: unknown} | null)?.verifiableCredential;
    const list = Array.isArray(embedded) ? embedded : embedded === undefined ? [] : [embedded];
    let forgot = false;
    result.credentials.forEach((r, i) => {
      if(!staleDidCould(r)) return;
      // An enveloped credential (VC-JOSE) carries the credential as a JWT in its data: URL id.
      const item = list[i] as {id?: unknown} | undefined;
      const body = typeof item?.id === 'string' && item.id.startsWith(VC_JWT_DATA_URL_PREFIX)
        ? jwtPayload(item.id.slice(VC_JWT_DATA_URL_PREFIX.length)) : item;
      if(this.forgetIssuerDid(body)) forgot = true;
    });
    return forgot ? verifyPresentation(presentation, options, this.ports) : result;
  }
}
