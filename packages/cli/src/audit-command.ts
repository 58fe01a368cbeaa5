/**
 * `laurel audit verify`: reads an organization's audit log and its signed head
 * from a Laurel server and checks them here, with the core's verifier (the same
 * code the server runs), so a rewritten log is caught without trusting the
 * server's own verdict. Pin the instance key with --public-key to trust even
 * less of what the server says.
 */
import {createHash} from 'node:crypto';
import {type AuditEntry, type AuditHead, type AuditVerification, decodeEd25519PublicKey, encodeEd25519PublicKey, parseJsonStrict,
  verifyAuditSource} from '@laurel/core';
import {EXIT} from './exit-codes.js';
import {fetchText} from './fetch.js';
import type {Output} from './verify-command.js';

/** What `laurel audit verify` was asked to do, already parsed from the command line. */
export interface AuditVerifyOptions {
  /** The Laurel server's base URL. */
  url: URL;
  apiKey: string;
  json: boolean;
  allowHttp: boolean;
  /** A pinned instance public key (raw Ed25519); otherwise the one the server publishes is used. */
  publicKey?: Uint8Array;
}

/** Entries per request, and the largest response accepted (entries carry whole before/after documents). */
const PAGE = 200;
const MAX_PAGE_BYTES = 64 * 1024 * 1024;

/** The head as GET /api/v1/audit/head serves it. */
interface HeadResponse {
  organizationId: string;
  seq: number;
  hash: string;
  signature: string | null;
  publicKeyMultibase: string | null;
  entries: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs `laurel audit verify` and returns the exit code: 0 intact, 1 any problem or the log could not be read. */
export async function runAuditVerify(options: AuditVerifyOptions, output: Output): Promise<number> {
  const get = async (path: string): Promise<unknown> => {
    const url = new URL(path, options.url.href.endsWith('/') ? options.url : `${options.url.href}/`);
    const text = await fetchText(url, {accept: 'application/json', allowHttp: options.allowHttp, maxRedirects: 0, maxBytes: MAX_PAGE_BYTES,
      headers: {authorization: `Bearer ${options.apiKey}`}});
    const parsed = parseJsonStrict(text);
    if(!parsed.ok) throw new Error(`GET ${url} did not answer JSON (${parsed.problem.code}): ${parsed.problem.message}`);
    return parsed.value;
  };
  let served: HeadResponse | null = null;
  let result: AuditVerification;
  try {
    result = await verifyAuditSource({
      page: async afterSeq => {
        const body = await get(`api/v1/audit?order=asc&limit=${PAGE}&afterSeq=${afterSeq}`);
        if(!isObject(body) || !Array.isArray(body.items)) throw new Error('the server did not answer a page of audit entries');
        return body.items as AuditEntry[];
      },
      head: async () => {
        const body = await get('api/v1/audit/head');
        if(!isObject(body) || typeof body.organizationId !== 'string') throw new Error('the server did not answer an audit head');
        served = body as unknown as HeadResponse;
        const head: AuditHead | null = served.signature === null ? null
          : {organizationId: served.organizationId, seq: served.seq, hash: served.hash, signature: served.signature};
        const publicKey = options.publicKey
          ?? (typeof served.publicKeyMultibase === 'string' ? decodeEd25519PublicKey(served.publicKeyMultibase) : null);
        return {head, publicKey};
      },
    }, {sha256: data => createHash('sha256').update(data).digest()});
  } catch(error) {
    output.err(`laurel: cannot verify the audit log at ${options.url}: ${(error as Error).message}\n`);
    return EXIT.notVerified;
  }
  const head = served as HeadResponse | null;
  const key = options.publicKey ? encodeEd25519PublicKey(options.publicKey) : head?.publicKeyMultibase ?? null;
  if(options.json) {
    output.out(`${JSON.stringify({url: options.url.href, organizationId: head?.organizationId ?? null,
      head: head ? {seq: head.seq, hash: head.hash} : null, publicKeyMultibase: key, pinned: options.publicKey !== undefined, result}, null, 2)}\n`);
  } else {
    output.out(formatAuditResult(result, head, key, options.url.href));
  }
  return result.ok ? EXIT.ok : EXIT.notVerified;
}

/** The human form: INTACT / NOT INTACT, the head it was checked against, then one line per problem. */
function formatAuditResult(result: AuditVerification, head: HeadResponse | null, key: string | null, url: string): string {
  const of = `audit log of organization ${head?.organizationId ?? '?'} at ${url}`;
  const where = head && head.signature !== null ? `head at entry ${head.seq} (${head.hash.slice(0, 16)}…), instance key ${key ?? 'unknown'}` : 'no signed head';
  const lines = [`${result.ok ? 'INTACT' : 'NOT INTACT'}: ${of}`, `  ${result.entries} entries, ${where}`];
  if(result.problems.length) {
    const width = Math.max(...result.problems.map(p => p.code.length));
    for(const p of result.problems) lines.push(`  ✗ ${p.code.padEnd(width)}  ${p.seq === null ? 'head' : `seq ${p.seq}`}: ${p.message}`);
  }
  if(result.omittedProblems) lines.push(`  … and ${result.omittedProblems} more problems`);
  return `${lines.join('\n')}\n`;
}
