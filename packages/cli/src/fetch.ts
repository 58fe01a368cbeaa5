/**
 * The CLI's only network access: capped GETs, and the controller resolver that
 * verifyCredential is handed (did:key locally, did:web over https). The core
 * stays free of I/O (STYLE habit 3); every limit is enforced here.
 */
import {type ControllerDocument, type ControllerResolver, didWebDocumentUrl, parseJsonStrict, type Resolution, resolveDidKey} from '@laurel/core';

/** Longest one fetch may take, redirects and body included. */
export const FETCH_TIMEOUT_MS = 10_000;

/** Largest response body accepted (1 MiB); a credential or DID document is a few KiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Redirects followed when fetching a credential by URL. */
export const MAX_CREDENTIAL_REDIRECTS = 5;

/** Why a fetch failed. */
export type FetchProblemCode =
  | 'URL_NOT_ALLOWED' | 'NETWORK_ERROR' | 'TIMEOUT' | 'HTTP_STATUS' | 'TOO_MANY_REDIRECTS' | 'BODY_TOO_LARGE' | 'BODY_NOT_UTF8';

/** A failed fetch, with a stable code. */
export class FetchProblem extends Error {
  override readonly name = 'FetchProblem';
  constructor(readonly code: FetchProblemCode, message: string) {
    super(message);
  }
}

/** Limits for one fetch. */
export interface FetchLimits {
  /** The Accept header. */
  accept: string;
  /** Whether plain http is acceptable, for the first URL and every redirect target. */
  allowHttp: boolean;
  /** Redirects to follow; with 0, any redirect is an error (like fetch's `redirect: 'error'`). */
  maxRedirects: number;
  timeoutMs?: number;
  maxBytes?: number;
  /** Further request headers (an API key for `laurel audit`). */
  headers?: Record<string, string>;
}

/** Whether a URL's scheme may be fetched under the given policy. */
export function isFetchableUrl(url: URL, allowHttp: boolean): boolean {
  return url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
}

/** GETs a URL and returns its body as UTF-8 text, within the time, size, scheme and redirect limits. */
export async function fetchText(url: URL, limits: FetchLimits): Promise<string> {
  const bytes = await fetchBytes(url, limits);
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes);
  } catch {
    throw new FetchProblem('BODY_NOT_UTF8', `the response from ${url} is not UTF-8 text`);
  }
}

/** GETs a URL and returns its raw body (a baked PNG is not text), within the same limits as fetchText. */
export async function fetchBytes(url: URL, limits: FetchLimits): Promise<Uint8Array> {
  const maxBytes = limits.maxBytes ?? MAX_BODY_BYTES;
  const timeoutMs = limits.timeoutMs ?? FETCH_TIMEOUT_MS;
  // One signal for the whole exchange, so a slow body cannot outlive the timeout.
  const signal = AbortSignal.timeout(timeoutMs);
  let bytes: Uint8Array;
  try {
    let current = url;
    for(let hop = 0; ; hop++) {
      if(!isFetchableUrl(current, limits.allowHttp)) {
        throw new FetchProblem('URL_NOT_ALLOWED', `refusing to fetch ${current}: only https${limits.allowHttp ? ' and http' : ''} URLs are allowed`);
      }
      // Redirects are handled by hand so that every hop is checked against the
      // scheme policy (fetch would follow https → http silently), and so that a
      // refused redirect is a coded problem rather than an opaque 'fetch failed'.
      const response = await fetch(current, {headers: {...limits.headers, accept: limits.accept}, redirect: 'manual', signal});
      const location = response.headers.get('location');
      if(response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        if(hop >= limits.maxRedirects) {
          throw new FetchProblem('TOO_MANY_REDIRECTS', limits.maxRedirects === 0
            ? `GET ${current} redirects to ${location}; redirects are not followed here`
            : `GET ${url} redirects more than ${limits.maxRedirects} times`);
        }
        current = new URL(location, current);
        continue;
      }
      if(!response.ok) {
        await response.body?.cancel();
        throw new FetchProblem('HTTP_STATUS', `GET ${current} answered ${response.status} ${response.statusText}`.trim());
      }
      bytes = await readCapped(response, maxBytes, current);
      break;
    }
  } catch(error) {
    throw toFetchProblem(error, url, timeoutMs);
  }
  return bytes;
}

/** Reads a body, cancelling the stream as soon as it grows past maxBytes. */
async function readCapped(response: Response, maxBytes: number, url: URL): Promise<Uint8Array> {
  const tooLarge = () => new FetchProblem('BODY_TOO_LARGE', `the response from ${url} is larger than ${maxBytes} bytes`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if(declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if(!response.body) return new Uint8Array(0);
  // A content-length header may be absent or wrong (chunked bodies), so count.
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for(;;) {
    const {done, value} = await reader.read();
    if(done) break;
    total += value.byteLength;
    if(total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for(const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function toFetchProblem(error: unknown, url: URL, timeoutMs: number): FetchProblem {
  if(error instanceof FetchProblem) return error;
  const e = error as {name?: string; message?: string; cause?: {message?: string; code?: string}};
  if(e?.name === 'TimeoutError') return new FetchProblem('TIMEOUT', `GET ${url} did not complete within ${timeoutMs / 1000} s`);
  // fetch reports network failures as TypeError('fetch failed') with the reason in `cause`.
  const reason = e?.cause?.message ?? e?.message ?? String(error);
  return new FetchProblem('NETWORK_ERROR', `GET ${url} failed: ${reason}`);
}

const DID_DOCUMENT_ACCEPT = 'application/did+json, application/did+ld+json, application/ld+json;q=0.9, application/json;q=0.8';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolver options. */
export interface ResolverOptions {
  /** Permit plain http for did:web documents when https cannot connect (a local instance). */
  allowHttp: boolean;
}

/**
 * The CLI's controller resolver: did:key from the key itself, did:web over the
 * network. Every failure is a `{ok: false}` resolution, which verifyCredential
 * reports as ISSUER_UNRESOLVED; it never throws.
 */
export function createControllerResolver(options: ResolverOptions): ControllerResolver {
  return async id => {
    if(id.startsWith('did:key:')) return resolveDidKey(id);
    if(id.startsWith('did:web:')) return resolveDidWeb(id, options.allowHttp);
    return {ok: false, message: `${id} uses a method Laurel cannot resolve (did:key and did:web are supported)`};
  };
}

/** Fetches and parses a did:web document (did:web §3.2.1 Read). */
async function resolveDidWeb(did: string, allowHttp: boolean): Promise<Resolution> {
  const httpsUrl = didWebDocumentUrl(did, 'https');
  if(!httpsUrl) return {ok: false, message: `${did} is not a valid did:web`};
  let text: string;
  try {
    text = await fetchDidDocument(did, httpsUrl, allowHttp);
  } catch(error) {
    return {ok: false, message: (error as Error).message};
  }
  const parsed = parseJsonStrict(text);
  if(!parsed.ok) return {ok: false, message: `the DID document is not acceptable JSON (${parsed.problem.code}): ${parsed.problem.message}`};
  if(!isObject(parsed.value) || typeof parsed.value.id !== 'string') {
    return {ok: false, message: 'the DID document is not a JSON object with an id'};
  }
  // Whether the id matches the DID is the verifier's call (KEY_NOT_CONTROLLED_BY_ISSUER).
  return {ok: true, document: parsed.value as ControllerDocument};
}

/**
 * did:web requires https. With --allow-http, https is still tried first and
 * plain http is used only when https cannot connect at all (a local instance
 * without TLS); an https server that answers with an error is not bypassed.
 */
async function fetchDidDocument(did: string, httpsUrl: URL, allowHttp: boolean): Promise<string> {
  const limits = {accept: DID_DOCUMENT_ACCEPT, allowHttp: false, maxRedirects: 0};
  try {
    return await fetchText(httpsUrl, limits);
  } catch(error) {
    if(!allowHttp || !(error instanceof FetchProblem && error.code === 'NETWORK_ERROR')) throw error;
    const httpUrl = didWebDocumentUrl(did, 'http')!;
    try {
      return await fetchText(httpUrl, {...limits, allowHttp: true});
    } catch(second) {
      const code = second instanceof FetchProblem ? second.code : 'NETWORK_ERROR';
      throw new FetchProblem(code, `${error.message}; over http: ${(second as Error).message}`);
    }
  }
}
