/** `laurel verify`: load a credential from a file or URL, verify it, print the checks. */
import {nodeCryptoPorts} from '@laurel/core/node';
import {readdir, readFile, stat} from 'node:fs/promises';
import {extname, join} from 'node:path';
import {ALL_SUITES, Canonicalizer, type CheckStatus, createBitstringStatusCheck, createDocumentLoader, parseJsonStrict, standingOf,
  StatusListCache, type VerificationResult, verifyCredential, verifyVcJwt} from '@laurel/core';
import {EXIT, UsageError} from './exit-codes.js';
import {createControllerResolver, fetchBytes, fetchText, isFetchableUrl, MAX_BODY_BYTES, MAX_CREDENTIAL_REDIRECTS} from './fetch.js';
import {MAX_BAKED_BYTES, sniffContainer, unbakeFile} from '@laurel/core';

/** What `laurel verify` was asked to do, already parsed from the command line. */
export interface VerifyOptions {
  /** File paths, directories, or http(s) URLs (at least one). */
  sources: string[];
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

/** The outcome for one source: a verification result, or why its content could not be verified at all. */
export type SourceOutcome = {source: string; result: VerificationResult} | {source: string; result: null; error: string};

/** A compact JWS (VC-JOSE `application/vc+jwt`): three base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const CREDENTIAL_ACCEPT = 'application/ld+json, application/json, application/vc+jwt, image/png;q=0.8, image/svg+xml;q=0.8, application/pdf;q=0.8';

/** The files a directory source stands for: these extensions, directly in it (not recursive). */
export const DIRECTORY_EXTENSIONS = ['.json', '.jwt', '.png', '.svg'];

/** Sources verified concurrently: file reads overlap verification; output keeps the command-line order. */
const IN_FLIGHT = 8;

/** What the verifier needs, built once per process so the canonicalizer's shape cache and contexts are shared. */
type Ports = Parameters<typeof verifyCredential>[1];

/**
 * Runs `laurel verify` and returns the exit code. Throws UsageError for a bad
 * source argument (no such file, refused URL, a directory with no credential
 * file), before anything is verified.
 *
 * One source (a file or URL) prints exactly what it always has. Several sources,
 * or a directory, print every result in order and then a summary (human), or one
 * JSON array of {source, result} (--json); exit 0 only if every one verified.
 */
export async function runVerify(options: VerifyOptions, output: Output): Promise<number> {
  const {sources, many} = await expandSources(options.sources, options.allowHttp);
  // Bundled contexts only: the strict loader refuses every other URL, nothing is fetched.
  // node:crypto SHA-256, as the server uses: the CLI runs on Node only.
  const base: Ports = {
    canonicalizer: new Canonicalizer(createDocumentLoader(), nodeCryptoPorts()),
    resolveController: createControllerResolver({allowHttp: options.allowHttp}),
    now: () => options.now,
    suites: ALL_SUITES,
  };
  // Status lists are fetched like DID documents (https unless --allow-http, no redirects), verified
  // with the same ports, and kept for their ttl: a directory of one issuer's credentials fetches each list once.
  const ports: Ports = {...base, checkStatus: createBitstringStatusCheck({
    fetchStatusList: async url => {
      const parsed = parseJsonStrict(await fetchText(new URL(url), {accept: 'application/vc+ld+json, application/ld+json, application/json',
        allowHttp: options.allowHttp, maxRedirects: 0, maxBytes: STATUS_LIST_MAX_BYTES}));
      if(!parsed.ok) throw new Error(parsed.problem.message);
      return parsed.value;
    },
    verifyListCredential: vc => verifyCredential(vc, base),
    now: () => options.now,
    cache: new StatusListCache(),
  })};
  if(!many) {
    const outcome = await verifySource(sources[0], options.allowHttp, ports);
    if(outcome.result === null) {
      output.err(`laurel: cannot verify ${outcome.source}: ${outcome.error}\n`);
      return EXIT.notVerified;
    }
    output.out(options.json ? `${JSON.stringify(outcome.result, null, 2)}\n` : formatResult(outcome.result, outcome.source));
    return outcome.result.verified ? EXIT.ok : EXIT.notVerified;
  }
  let verified = 0;
  let first = true;
  if(options.json) output.out('[\n');
  await forEachInOrder(sources, source => verifySource(source, options.allowHttp, ports), outcome => {
    if(outcome.result?.verified) verified++;
    if(outcome.result === null) output.err(`laurel: cannot verify ${outcome.source}: ${outcome.error}\n`);
    if(options.json) {
      // One element per line, written as it is ready: 10,000 results need not be held in memory.
      output.out(`${first ? '' : ',\n'}${JSON.stringify(outcome)}`);
      first = false;
    } else if(outcome.result !== null) {
      output.out(formatResult(outcome.result, outcome.source));
    }
  });
  const notVerified = sources.length - verified;
  output.out(options.json ? `${first ? '' : '\n'}]\n` : `${verified} verified, ${notVerified} not verified\n`);
  return notVerified === 0 ? EXIT.ok : EXIT.notVerified;
}

/** Verifies one source. Never throws for the credential's content; a UsageError (unreadable file) or a bug still throws. */
async function verifySource(source: string, allowHttp: boolean, ports: Ports): Promise<SourceOutcome> {
  const loaded = await loadCredential(source, allowHttp);
  if(!loaded.ok) return {source, result: null, error: loaded.message};
  const result = 'jwt' in loaded ? await verifyVcJwt(loaded.jwt, ports) : await verifyCredential(loaded.value, ports);
  return {source, result};
}

/**
 * Runs `work` over the items with up to IN_FLIGHT at once and hands each result
 * to `emit` in the items' order. A rejection is rethrown when its turn comes,
 * after the work already started has settled (no unhandled rejections).
 */
async function forEachInOrder<T, R>(items: T[], work: (item: T) => Promise<R>, emit: (result: R) => void): Promise<void> {
  type Settled = {ok: true; value: R} | {ok: false; error: unknown};
  const pending: Promise<Settled>[] = [];
  let next = 0;
  const start = () => {
    if(next < items.length) pending.push(work(items[next++]).then(value => ({ok: true as const, value}), error => ({ok: false as const, error})));
  };
  for(let i = 0; i < IN_FLIGHT; i++) start();
  while(pending.length) {
    const settled = await pending.shift()!;
    if(!settled.ok) {
      await Promise.all(pending);
      throw settled.error;
    }
    start();
    emit(settled.value);
  }
}

/**
 * Checks every source argument before anything is verified, and expands each
 * directory into its *.json, *.jwt, *.png and *.svg files (sorted by name, not
 * recursive). `many` is whether the output is the multi-source form: more than
 * one argument, or any directory (so a script reading a directory always gets
 * an array, whatever the number of files in it).
 */
export async function expandSources(args: string[], allowHttp: boolean): Promise<{sources: string[]; many: boolean}> {
  const sources: string[] = [];
  let many = args.length > 1;
  for(const arg of args) {
    if(looksLikeUrl(arg)) {
      parseSourceUrl(arg, allowHttp);
      sources.push(arg);
      continue;
    }
    let info;
    try {
      info = await stat(arg);
    } catch(error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(code === 'ENOENT' ? `no such file: ${arg}` : `cannot read ${arg}: ${(error as Error).message}`);
    }
    if(!info.isDirectory()) {
      // A file, or something that is not one: readCredentialFile reports the latter when it comes to it.
      sources.push(arg);
      continue;
    }
    many = true;
    let entries;
    try {
      entries = await readdir(arg, {withFileTypes: true});
    } catch(error) {
      throw new UsageError(`cannot read directory ${arg}: ${(error as Error).message}`);
    }
    const names = entries
      .filter(e => (e.isFile() || e.isSymbolicLink()) && DIRECTORY_EXTENSIONS.includes(extname(e.name).toLowerCase()))
      .map(e => e.name)
      .sort();
    if(!names.length) throw new UsageError(`${arg} holds no ${DIRECTORY_EXTENSIONS.map(x => `*${x}`).join(', ')} file`);
    sources.push(...names.map(name => join(arg, name)));
  }
  return {sources, many};
}

/** Whether a source argument names a URL rather than a file. */
export function looksLikeUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

/**
 * Reads the credential, by content: a baked PNG or SVG (OB 3.0 §5.3) is unbaked
 * first, and a PDF gives up its attached credential; the credential text is then
 * a compact JWS, or JSON parsed strictly (duplicate keys are refused: STYLE habit 4).
 */
async function loadCredential(source: string, allowHttp: boolean): Promise<Loaded> {
  let bytes: Uint8Array;
  let what: string;
  if(looksLikeUrl(source)) {
    const url = parseSourceUrl(source, allowHttp);
    what = `the response from ${url}`;
    try {
      // Read up to the baked-image (and PDF) cap; plain credentials are held to MAX_BODY_BYTES below.
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
  const text = await extractCredentialText(bytes, what);
  if(!text.ok) return text;
  if(COMPACT_JWS.test(text.text)) return {ok: true, jwt: text.text};
  const parsed = parseJsonStrict(text.text);
  if(!parsed.ok) return {ok: false, message: `${parsed.problem.code}: ${parsed.problem.message}`};
  return {ok: true, value: parsed.value};
}

/**
 * The credential's text: unbaked from a PNG or SVG image or taken from a PDF's
 * attachments (detected by magic bytes, whatever the file is called), or the content itself.
 */
async function extractCredentialText(bytes: Uint8Array, what: string): Promise<{ok: true; text: string} | {ok: false; message: string}> {
  if(sniffContainer(bytes)) {
    const result = await unbakeFile(bytes);
    return result.ok ? {ok: true, text: result.text} : {ok: false, message: `${result.problem.code}: ${result.problem.message}`};
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
  } catch {
    return {ok: false, message: `${what} is not UTF-8 text`};
  }
  if(bytes.length > MAX_BODY_BYTES) return {ok: false, message: `${what} is larger than ${MAX_BODY_BYTES} bytes (and is not a baked image or a PDF)`};
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
/** A status list's text may exceed a credential's 1 MiB (2 MiB of encodedList is the decoder's cap). */
const STATUS_LIST_MAX_BYTES = 3 * 1024 * 1024;

/** The human form: a VERIFIED / NOT VERIFIED header, the standing (Valid, Revoked, …), then one line per check. */
export function formatResult(result: VerificationResult, source: string): string {
  const width = Math.max(...result.checks.map(c => c.code.length));
  const standing = standingOf(result);
  const lines = [`${result.verified ? 'VERIFIED' : 'NOT VERIFIED'}: ${source}`, `  ${standing.label.toUpperCase()}: ${standing.message}`];
  for(const check of result.checks) lines.push(`  ${SYMBOLS[check.status]} ${check.code.padEnd(width)}  ${check.message}`);
  return `${lines.join('\n')}\n`;
}
