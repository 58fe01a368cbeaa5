/** `laurel verify`: load a credential from a file or URL, verify it, print the checks. */
import {readFile, stat} from 'node:fs/promises';
import {ALL_SUITES, Canonicalizer, type CheckStatus, createDocumentLoader, parseJsonStrict, type VerificationResult, verifyCredential,
  verifyVcJwt} from '@laurel/core';
import {EXIT, UsageError} from './exit-codes.js';
import {createControllerResolver, fetchText, isFetchableUrl, MAX_BODY_BYTES, MAX_CREDENTIAL_REDIRECTS} from './fetch.js';

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

const CREDENTIAL_ACCEPT = 'application/ld+json, application/json, application/vc+jwt';

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

/** Reads and strictly parses the credential (duplicate keys are refused: STYLE habit 4). */
async function loadCredential(source: string, allowHttp: boolean): Promise<Loaded> {
  let text: string;
  if(looksLikeUrl(source)) {
    const url = parseSourceUrl(source, allowHttp);
    try {
      text = await fetchText(url, {accept: CREDENTIAL_ACCEPT, allowHttp, maxRedirects: MAX_CREDENTIAL_REDIRECTS});
    } catch(error) {
      return {ok: false, message: (error as Error).message};
    }
  } else {
    const read = await readCredentialFile(source);
    if(!read.ok) return read;
    text = read.text;
  }
  if(COMPACT_JWS.test(text.trim())) return {ok: true, jwt: text.trim()};
  const parsed = parseJsonStrict(text);
  if(!parsed.ok) return {ok: false, message: `${parsed.problem.code}: ${parsed.problem.message}`};
  return {ok: true, value: parsed.value};
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
 * content that is too large or not UTF-8 is a credential problem. The size cap is
 * the network one, so a credential verifies the same from a file as from a URL.
 */
async function readCredentialFile(path: string): Promise<{ok: true; text: string} | {ok: false; message: string}> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if(!info.isFile()) throw new UsageError(`${path} is not a file`);
    if(info.size > MAX_BODY_BYTES) return {ok: false, message: `the file is larger than ${MAX_BODY_BYTES} bytes`};
    bytes = await readFile(path);
  } catch(error) {
    if(error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return {ok: true, text: new TextDecoder('utf-8', {fatal: true}).decode(bytes)};
  } catch {
    return {ok: false, message: 'the file is not UTF-8 text'};
  }
}

const SYMBOLS: Record<CheckStatus, string> = {passed: '✓', failed: '✗', warning: '!', skipped: '-'};

/** The human form: a VERIFIED / NOT VERIFIED header, then one line per check. */
export function formatResult(result: VerificationResult, source: string): string {
  const width = Math.max(...result.checks.map(c => c.code.length));
  const lines = [`${result.verified ? 'VERIFIED' : 'NOT VERIFIED'}: ${source}`];
  for(const check of result.checks) lines.push(`  ${SYMBOLS[check.status]} ${check.code.padEnd(width)}  ${check.message}`);
  return `${lines.join('\n')}\n`;
}
