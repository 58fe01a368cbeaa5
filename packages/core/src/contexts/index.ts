/**
 * The JSON-LD contexts Laurel bundles. Nothing else is ever loaded: see SOURCES.md
 * for where each file came from and its sha256.
 */
import vcV2 from './vc-v2.json' with {type: 'json'};
import vcV1 from './vc-v1.json' with {type: 'json'};
import ob300 from './ob-3.0.0.json' with {type: 'json'};
import ob301 from './ob-3.0.1.json' with {type: 'json'};
import ob302 from './ob-3.0.2.json' with {type: 'json'};
import ob303 from './ob-3.0.3.json' with {type: 'json'};
import obExtensions from './ob-extensions.json' with {type: 'json'};
import diV2 from './data-integrity-v2.json' with {type: 'json'};
import diV1 from './data-integrity-v1.json' with {type: 'json'};
import multikeyV1 from './multikey-v1.json' with {type: 'json'};
import didV1 from './did-v1.json' with {type: 'json'};
import ed25519Suite2020 from './ed25519-2020-v1.json' with {type: 'json'};

export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
export const VC_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
export const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const OB_EXTENSIONS_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json';
export const DATA_INTEGRITY_V2_CONTEXT = 'https://w3id.org/security/data-integrity/v2';
export const MULTIKEY_V1_CONTEXT = 'https://w3id.org/security/multikey/v1';
export const DID_V1_CONTEXT = 'https://www.w3.org/ns/did/v1';
/** Defines Ed25519Signature2020 and Ed25519VerificationKey2020 (legacy, verify only). */
export const ED25519_2020_CONTEXT = 'https://w3id.org/security/suites/ed25519-2020/v1';

/** URL → context document, frozen so no caller can alter a bundled context. */
export const BUNDLED_CONTEXTS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  [VC_V2_CONTEXT, vcV2],
  [VC_V1_CONTEXT, vcV1],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context.json', ob300],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.0.json', ob300],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json', ob301],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json', ob302],
  [OB_CONTEXT, ob303],
  [OB_EXTENSIONS_CONTEXT, obExtensions],
  [DATA_INTEGRITY_V2_CONTEXT, diV2],
  ['https://w3id.org/security/data-integrity/v1', diV1],
  [MULTIKEY_V1_CONTEXT, multikeyV1],
  [DID_V1_CONTEXT, didV1],
  [ED25519_2020_CONTEXT, ed25519Suite2020],
].map(([url, doc]) => [url as string, deepFreeze(doc)]));

function deepFreeze<T>(value: T): T {
  if(value && typeof value === 'object') {
    for(const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The shape jsonld.js expects from a document loader. */
export interface RemoteDocument {
  contextUrl: null;
  documentUrl: string;
  document: unknown;
}

/** A JSON-LD document loader: resolves a URL or fails. */
export type DocumentLoader = (url: string) => Promise<RemoteDocument>;

/** Error thrown by the strict loader for any URL outside the allow-list. */
export class ContextNotAllowedError extends Error {
  readonly code = 'CONTEXT_NOT_ALLOWED';
  constructor(readonly url: string) {
    super(`${url} not found: only bundled contexts are loaded`);
  }
}

/**
 * The offline, strict document loader. Bundled contexts only; any other URL is
 * refused (digitalbazaar/vc convention: `${url} not found`). Extra documents
 * (e.g. a test's controller document) may be added, never fetched.
 */
export function createDocumentLoader(extra?: ReadonlyMap<string, unknown>): DocumentLoader {
  return async (url: string) => {
    const document = BUNDLED_CONTEXTS.get(url) ?? extra?.get(url);
    if(document === undefined) throw new ContextNotAllowedError(url);
    return {contextUrl: null, documentUrl: url, document};
  };
}

/** Whether a context URL is one Laurel accepts in a credential. */
export function isAllowedContext(url: string): boolean {
  return BUNDLED_CONTEXTS.has(url);
}
