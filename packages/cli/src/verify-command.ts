/** `laurel verify`: load a credential from a file or URL, verify it, print the checks. */
import {readFile, stat} from 'node:fs/promises';
import {ALL_SUITES, Canonicalizer, type CheckStatus, createDocumentLoader, parseJsonStrict, type VerificationResult, verifyCredential,
  verifyVcJwt} from '@laurel/core';
import {EXIT, UsageError} from './exit-codes.js';
import {createControllerResolver, fetchBytes, isFetchableUrl, MAX_BODY_BYTES, MAX_CREDENTIAL_REDIRECTS} from './fetch.js';
import {isPng, looksLikeSvg, MAX_BAKED_BYTES, unbakePng, unbakeSvg, type Unbaked} from './unbake.js';

/** What `laurel verify` was asked to do, already parsed from the command line. */
export interface VerifyOptions {
  /** A file path, or an http(s) URL. */
  source: string;
  json: boolean;
  allowHttp: boolean;
  /** The clock the validity window is checked against. */
  now: Date;
}

/** Where the command writes. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Content that could not be turned into a value to verify (exit 1, not a usage error). */
type Loaded = {ok: true; value: unknown} | {ok: true; jwt: string} | {ok: false; message: string};

/** A compact JWS (VC-JOSE `application/vc+jwt`): three base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const CREDENTIAL_ACCEPT = 'application/ld+json, application/json, application/vc+jwt, image/png;q=0.8, image/svg+xml;q=0.8';

/** Runs `laurel verify` and returns the exit code. Throws UsageError for a bad source argument. */
export async function runVerify(options: VerifyOptions, output: Output): Promise<number> {
  const loaded = await loadCredential(options.source, options.allowHttp);
  if(!loaded.ok) {
    output.err(`laurel: cannot verify ${options.source}: ${loaded.message}\n`);
    return EXIT.notVerified;
  }
  // Bundled contexts only: the strict loader refuses every other URL, nothing is fetched.
  const ports = {
    canonicalizer: new Canonicalizer(createDocumentLoader()),
    resolveController: createControllerResolver({allowHttp: options.allowHttp}),
    now: () => options.now,
    suites: ALL_SUITES,
  };
  const result = 'jwt' in loaded ? await verifyVcJwt(loaded.jwt, ports) : await verifyCredential(loaded.value, ports);
  output.out(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result, options.source));
  return result.verified ? EXIT.ok : EXIT.notVerified;
}

/** Whether a source argument names a URL rather than a file. */
export function looksLikeUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

/**
 * Reads the credential, by content: a baked PNG or SVG (OB 3.0 §5.3) is unbaked
 * first; the credential text is then a compact JWS, or JSON parsed strictly
 * (duplicate keys are refused: STYLE habit 4).
 */
async function loadCredential(source: string, allowHttp: boolean): Promise<Loaded> {
  let bytes: Uint8Array;
  let what: string;
  if(looksLikeUrl(source)) {
    const url = parseSourceUrl(source, allowHttp);
    what = `the response from ${url}`;
    try {
      // Read up to the baked-image cap; plain credentials are held to MAX_BODY_BYTES below.
      bytes = await fetchBytes(url, {accept: CREDENTIAL_ACCEPT, allowHttp, maxRedirects: MAX_CREDENTIAL_REDIRECTS, maxBytes: MAX_BAKED_BYTES});
    } catch(error) {
      return {ok: false, message: (error as Error).message};
    }
  } else {
    const read = await readCredentialFile(source);
    if(!read.ok) return read;
    bytes = read.bytes;
    what = 'the file';
  }
  const text = extractCredentialText(bytes, what);
  if(!text.ok) return text;
  if(COMPACT_JWS.test(text.text)) return {ok: true, jwt: text.text};
  const parsed = parseJsonStrict(text.text);
  if(!parsed.ok) return {ok: false, message: `${parsed.problem.code}: ${parsed.problem.message}`};
  return {ok: true, value: parsed.value};
}

/** The credential's text: unbaked from a PNG or SVG image, or the content itself. */
function extractCredentialText(bytes: Uint8Array, what: string): {ok: true; text: string} | {ok: false; message: string} {
  const unbaked = (result: Unbaked) => result.ok ? result : {ok: false as const, message: `${result.problem.code}: ${result.problem.message}`};
  if(isPng(bytes)) return unbaked(unbakePng(bytes));
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
  } catch {
    return {ok: false, message: `${what} is not UTF-8 text`};
  }
  if(looksLikeSvg(text)) return unbaked(unbakeSvg(text));
  if(bytes.length > MAX_BODY_BYTES) return {ok: false, message: `${what} is larger than ${MAX_BODY_BYTES} bytes (and is not a baked image)`};
  return {ok: true, text: text.trim()};
}

function parseSourceUrl(source: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new UsageError(`${source} is not a valid URL`);
  }
  if(url.protocol === 'http:' && !allowHttp) {
    throw new UsageError(`refusing plain http URL ${source}: use https, or pass --allow-http for a local instance`);
  }
  if(!isFetchableUrl(url, allowHttp)) throw new UsageError(`unsupported URL scheme ${url.protocol} (use https)`);
  return url;
}

/**
 * Reads a credential file. A path that names no readable file is a usage error;
 * content that is too large is a credential problem. The size caps are the
 * network ones, so a credential verifies the same from a file as from a URL.
 */
async function readCredentialFile(path: string): Promise<{ok: true; bytes: Uint8Array} | {ok: false; message: string}> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if(!info.isFile()) throw new UsageError(`${path} is not a file`);
    if(info.size > MAX_BAKED_BYTES) return {ok: false, message: `the file is larger than ${MAX_BAKED_BYTES} bytes`};
    bytes = await readFile(path);
  } catch(error) {
    if(error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(error as Error).message}`);
  }
  return {ok: true, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)};
}

const SYMBOLS: Record<CheckStatus, string> = {passed: '✓', failed: '✗', warning: '!', skipped: '-'};

/** The human form: a VERIFIED / NOT VERIFIED header, then one line per check. */
export function formatResult(result: VerificationResult, source: string): string {
  const width = Math.max(...result.checks.map(c => c.code.length));
  const lines = [`${result.verified ? 'VERIFIED' : 'NOT VERIFIED'}: ${source}`];
  for(const check of result.checks) lines.push(`  ${SYMBOLS[check.status]} ${check.code.padEnd(width)}  ${check.message}`);
  return `${lines.join('\n')}\n`;
}
