/**
 * Server-side verification: the core's verifyCredential with ports that read
 * this instance's own DIDs from the database and fetch other issuers' did:web
 * documents only under safe-fetch's rules.
 */
import {type ControllerResolver, didKeyDocument, didWebDocumentUrl, parseJsonStrict, verifyCredential,
  type VerificationResult} from '@laurel/core';
import type {ServiceContext} from './context.js';
import type {OrganizationService} from './organizations.js';
import {fetchPublicJson} from './safe-fetch.js';

/** Verification use cases. */
export class VerificationService {
  readonly resolveController: ControllerResolver;

  constructor(private readonly ctx: ServiceContext, private readonly orgs: OrganizationService,
    fetchJson: (url: URL) => Promise<string> = fetchPublicJson) {
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

  /** Verifies a credential. Never throws for an invalid credential. */
  verify(credential: unknown): Promise<VerificationResult> {
    return verifyCredential(credential, {
      canonicalizer: this.ctx.canonicalizer,
      resolveController: this.resolveController,
      now: this.ctx.now,
    });
  }
}
