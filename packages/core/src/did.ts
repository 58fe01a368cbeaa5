/**
 * DID documents for Laurel issuers (DID Core 1.0, Controlled Identifiers 1.0 Multikey).
 * did:key is derived from the key alone; did:web is resolved by the caller's port.
 */
import {DATA_INTEGRITY_V2_CONTEXT, DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT} from './contexts/index.js';
import {decodeEd25519PublicKey, decodeP256PublicKey, encodeEd25519PublicKey} from './multikey.js';

/**
 * A Multikey verification method. `validFrom`/`validUntil` are Laurel's key
 * validity window (sigstore's `validFor`): a rotated key keeps verifying proofs
 * created inside its window. `revoked` (CID 1.0) ends it for good.
 */
export interface VerificationMethod {
  id: string;
  type: 'Multikey' | string;
  controller: string;
  publicKeyMultibase?: string;
  validFrom?: string;
  validUntil?: string;
  revoked?: string;
  expires?: string;
  [k: string]: unknown;
}

/** A DID document or other controller document. */
export interface ControllerDocument {
  '@context'?: unknown;
  id: string;
  verificationMethod?: VerificationMethod[];
  assertionMethod?: (string | VerificationMethod)[];
  authentication?: (string | VerificationMethod)[];
  [k: string]: unknown;
}

/** Result of resolving a controller (a DID or URL). */
export type Resolution = {ok: true; document: ControllerDocument} | {ok: false; message: string};

/** Port: resolves a DID or controller URL to its document. */
export type ControllerResolver = (id: string) => Promise<Resolution>;

/** The did:key DID of a raw Ed25519 public key. */
export function didKeyFromPublicKey(publicKey: Uint8Array): string {
  return `did:key:${encodeEd25519PublicKey(publicKey)}`;
}

/**
 * The did:key document (did:key spec §3.1.2, Multikey form), or null if the DID
 * is not an Ed25519 (`z6Mk…`) or P-256 (`zDn…`) did:key.
 */
export function didKeyDocument(did: string): ControllerDocument | null {
  const m = /^did:key:(z6Mk[1-9A-HJ-NP-Za-km-z]+|zDn[1-9A-HJ-NP-Za-km-z]+)$/.exec(did);
  if(!m || !(m[1].startsWith('z6Mk') ? decodeEd25519PublicKey(m[1]) : decodeP256PublicKey(m[1]))) return null;
  const vm: VerificationMethod = {id: `${did}#${m[1]}`, type: 'Multikey', controller: did, publicKeyMultibase: m[1]};
  return {
    '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
    id: did,
    verificationMethod: [vm],
    assertionMethod: [vm.id],
    authentication: [vm.id],
    capabilityInvocation: [vm.id],
    capabilityDelegation: [vm.id],
  };
}

/**
 * The did:web DID for a host and optional path (did:web §3.2): the port's colon
 * is percent-encoded, path segments are joined with ':'.
 */
export function didWebFor(host: string, path: string[] = []): string {
  const encodedHost = host.toLowerCase().replace(':', '%3A');
  return ['did:web', encodedHost, ...path.map(encodeURIComponent)].join(':');
}

/** The https URL of a did:web document, or null when the DID is not a valid did:web. */
export function didWebDocumentUrl(did: string, scheme: 'https' | 'http' = 'https'): URL | null {
  if(typeof did !== 'string' || !did.startsWith('did:web:')) return null;
  const parts = did.slice('did:web:'.length).split(':');
  if(parts.some(p => p.length === 0)) return null;
  try {
    const host = decodeURIComponent(parts[0]);
    if(!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(host)) return null;
    const path = parts.slice(1).map(p => decodeURIComponent(p));
    if(path.some(p => p === '.' || p === '..' || p.includes('/'))) return null;
    const url = new URL(`${scheme}://${host}/`);
    url.pathname = path.length ? `/${path.map(encodeURIComponent).join('/')}/did.json` : '/.well-known/did.json';
    return url;
  } catch {
    return null;
  }
}

/** A key to publish in an issuer's DID document. */
export interface PublishedKey {
  /** Fragment, e.g. `key-1`. */
  fragment: string;
  publicKey: Uint8Array;
  validFrom: string;
  validUntil?: string;
}

/** Builds an issuer's DID document with every key it ever used, each with its window. */
export function buildDidDocument(did: string, keys: PublishedKey[], extra: Record<string, unknown> = {}): ControllerDocument {
  const methods: VerificationMethod[] = keys.map(k => ({
    id: `${did}#${k.fragment}`,
    type: 'Multikey',
    controller: did,
    publicKeyMultibase: encodeEd25519PublicKey(k.publicKey),
    validFrom: k.validFrom,
    ...(k.validUntil ? {validUntil: k.validUntil} : {}),
  }));
  const ids = methods.map(m => m.id);
  return {
    '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT, DATA_INTEGRITY_V2_CONTEXT],
    id: did,
    ...extra,
    verificationMethod: methods,
    assertionMethod: ids,
    authentication: ids,
  };
}

/** A resolver for did:key only (pure); wrap it to add did:web or local documents. */
export const resolveDidKey: ControllerResolver = async id => {
  const document = didKeyDocument(id);
  return document ? {ok: true, document} : {ok: false, message: `${id} is not an Ed25519 or P-256 did:key`};
};

/** Finds a verification method in a controller document by absolute or relative id. */
export function findVerificationMethod(document: ControllerDocument, id: string): VerificationMethod | null {
  const matches = (candidate: string) => candidate === id || (candidate.startsWith('#') && document.id + candidate === id);
  for(const vm of document.verificationMethod ?? []) {
    if(vm && typeof vm === 'object' && typeof vm.id === 'string' && matches(vm.id)) return {...vm, id};
  }
  // Embedded methods may also sit directly in assertionMethod.
  for(const vm of document.assertionMethod ?? []) {
    if(vm && typeof vm === 'object' && typeof vm.id === 'string' && matches(vm.id)) return {...vm, id};
  }
  return null;
}

/** Whether a verification method is listed for a proof purpose (by reference or embedded). */
export function isAuthorizedFor(document: ControllerDocument, vmId: string, purpose: string): boolean {
  const list = document[purpose];
  if(!Array.isArray(list)) return false;
  return list.some(entry => {
    const id = typeof entry === 'string' ? entry : (entry && typeof entry === 'object' ? (entry as {id?: unknown}).id : undefined);
    return typeof id === 'string' && (id === vmId || (id.startsWith('#') && document.id + id === vmId));
  });
}
