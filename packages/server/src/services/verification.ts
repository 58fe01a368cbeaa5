/**
 * Server-side verification: the core's verifyCredential with ports that read
 * this instance's own DIDs from the database and fetch other issuers' did:web
 * documents only under safe-fetch's rules.
 */
import {ALL_SUITES, type ControllerResolver, didKeyDocument, didWebDocumentUrl, parseJsonStrict, type PresentationOptions,
  type PresentationResult, verifyCredential, verifyPresentation, verifyVcJwt, type VerificationResult} from '@laurel/core';
import type {ServiceContext} from './context.js';
import type {CredentialService} from './credentials.js';
import type {OrganizationService} from './organizations.js';
import {fetchPublicJson} from './safe-fetch.js';
import {TtlCache} from './ttl-cache.js';

/** How long the public page reuses a server-side verification result. */
export const STORED_RESULT_MS = 10_000;

/** Verification use cases. */
export class VerificationService {
  readonly resolveController: ControllerResolver;

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService,
    private readonly credentials: CredentialService,
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
      if(!row) return failed('No credential of this Laurel instance is published at this URL.');
      return {...await this.verify(JSON.parse(row.document)), input: {kind: 'url', url: text}};
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
    return {...await verifyVcJwt(jwt, this.ports()), input: {kind: 'jwt'}};
  }

  private ports() {
    // Every suite Laurel can check: its own (eddsa-rdfc-2022, eddsa-jcs-2022) and other issuers' (ECDSA, Ed25519Signature2020).
    return {canonicalizer: this.ctx.canonicalizer, resolveController: this.resolveController, now: this.ctx.now, suites: ALL_SUITES};
  }

  /**
   * The public page's server-side result for a stored credential, cached for
   * STORED_RESULT_MS: the stored document never changes, so the result only moves
   * with the clock. A cached result never outlives a validity boundary
   * (validFrom / validUntil) that falls inside the window.
   */
  async verifyStored(id: string, credential: Record<string, unknown>): Promise<VerificationResult> {
    const now = this.ctx.now().getTime();
    const hit = this.storedResults.get(id);
    if(hit && hit.until > now) return hit.result;
    const result = await this.verify(credential);
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
  verify(credential: unknown): Promise<VerificationResult> {
    return verifyCredential(credential, this.ports());
  }

  /** Verifies a presentation and every credential in it, with the same ports. Never throws for an invalid one. */
  verifyPresentation(presentation: unknown, options: PresentationOptions = {}): Promise<PresentationResult> {
    return verifyPresentation(presentation, options, this.ports());
  }
}
