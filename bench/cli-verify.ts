/**
 * (d2) Verification of many credentials through the real `laurel verify`, in one process.
 *
 * Generates BENCH_CLI_COUNT (default 10,000) distinct signed credentials (did:key
 * issuer, eddsa-rdfc-2022, Laurel core) into a temporary directory, then runs the
 * CLI launcher once on the directory with --json as a child process and times it
 * from spawn to exit (Node and tsx start-up, reading the files, verifying, printing).
 * A run on a directory of one credential gives the fixed start-up cost, so the
 * steady rate is also reported. Every result must be verified.
 *
 * References, in this process: (vb') Digital Bazaar vc.verifyCredential on the
 * first 300 of the same credentials, one at a time, after a 20-credential warm-up;
 * (av) node:crypto Ed25519 verify of 64 bytes (the size of eddsa-rdfc-2022 hashData).
 */
import {nodeCryptoPorts} from '@laurel/core/node';
import {execFile} from 'node:child_process';
import {createPublicKey, randomBytes, sign as edSign, verify as edVerify} from 'node:crypto';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {Canonicalizer, createDocumentLoader, signCredential} from '@laurel/core';
import {benchKey, CREATED, dbDocumentLoader, nextCredential, nodeSigner, VERIFY_NOW} from './fixtures.js';

const COUNT = Number(process.env.BENCH_CLI_COUNT ?? 10_000);
const DB_SAMPLE = 300;
const BIN = fileURLToPath(new URL('../packages/cli/bin/laurel.js', import.meta.url));

/** What cli-verify.ts measured. */
export interface CliVerifyReport {
  count: number;
  /** Wall time of the 10,000-credential CLI run, spawn to exit, seconds. */
  wallSeconds: number;
  /** Wall time of the same CLI on a directory of one credential, seconds (start-up + one verification). */
  startupSeconds: number;
  /** count / wallSeconds. */
  perSecond: number;
  /** (count - 1) / (wallSeconds - startupSeconds): the rate once started. */
  steadyPerSecond: number;
  /** Digital Bazaar vc.verifyCredential, in process, on DB_SAMPLE of the same credentials. */
  dbPerSecond: number;
  /** node:crypto Ed25519 verify of 64 bytes. */
  ed25519VerifyPerSecond: number;
}

function runCli(args: string[], timeoutMs: number): Promise<{seconds: number; stdout: string}> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], {encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024, timeout: timeoutMs},
      (error, stdout, stderr) => {
        const seconds = (performance.now() - t0) / 1000;
        // Exit 1 means some credential did not verify; the caller checks the results.
        if(error && (error as {code?: unknown}).code !== 1) reject(new Error(`laurel verify failed: ${error.message}\n${stderr.slice(0, 2000)}`));
        else resolve({seconds, stdout});
      });
  });
}

/** Runs the d2 benchmark, printing progress, and returns its figures. */
export async function runCliVerify(): Promise<CliVerifyReport> {
  const key = benchKey();
  const signer = nodeSigner(key);
  const canonicalizer = new Canonicalizer(createDocumentLoader(), nodeCryptoPorts());
  const dir = mkdtempSync(join(tmpdir(), 'laurel-bench-cli-'));
  try {
    const many = join(dir, 'many');
    const one = join(dir, 'one');
    mkdirSync(many);
    mkdirSync(one);
    console.log(`cli-verify: signing ${COUNT.toLocaleString('en-US')} distinct credentials into ${many} …`);
    const t0 = performance.now();
    const sample: unknown[] = [];
    const BATCH = 64;
    for(let i = 0; i < COUNT; i += BATCH) {
      const signed = await Promise.all(Array.from({length: Math.min(BATCH, COUNT - i)},
        () => signCredential(nextCredential(key.did), signer, CREATED, canonicalizer)));
      signed.forEach((credential, j) => {
        const name = `${String(i + j).padStart(5, '0')}.json`;
        const text = JSON.stringify(credential);
        writeFileSync(join(many, name), text);
        if(i + j === 0) writeFileSync(join(one, name), text);
        if(sample.length < DB_SAMPLE + 20) sample.push(JSON.parse(text));
      });
    }
    console.log(`cli-verify: signed and written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const now = VERIFY_NOW.toISOString();
    // Start-up cost: the same command on a directory of one credential (run twice; the second, warm-file-cache run counts).
    await runCli(['verify', '--json', '--now', now, one], 60_000);
    const single = await runCli(['verify', '--json', '--now', now, one], 60_000);
    console.log(`cli-verify: laurel verify on 1 credential: ${single.seconds.toFixed(2)} s`);

    console.log(`cli-verify: laurel verify --json on the directory of ${COUNT.toLocaleString('en-US')} …`);
    const run = await runCli(['verify', '--json', '--now', now, many], 600_000);
    const results = JSON.parse(run.stdout) as {source: string; result: {verified: boolean} | null}[];
    const verified = results.filter(r => r.result?.verified).length;
    if(results.length !== COUNT || verified !== COUNT) throw new Error(`laurel verify: ${verified} of ${results.length} verified, expected ${COUNT}`);
    console.log(`cli-verify: ${verified} verified in ${run.seconds.toFixed(2)} s`);

    // (vb') Digital Bazaar, in process, on a sample of the same credentials.
    const dbLoader = dbDocumentLoader(key);
    const dbVerify = async (credential: unknown) => {
      const r = await vc.verifyCredential({credential, suite: new DataIntegrityProof({cryptosuite}), documentLoader: dbLoader, now: VERIFY_NOW});
      if(!r.verified) throw new Error('Digital Bazaar did not verify a bench credential');
    };
    for(const credential of sample.slice(DB_SAMPLE)) await dbVerify(credential);
    const d0 = performance.now();
    for(const credential of sample.slice(0, DB_SAMPLE)) await dbVerify(credential);
    const dbPerSecond = DB_SAMPLE / ((performance.now() - d0) / 1000);
    console.log(`cli-verify: Digital Bazaar vc.verifyCredential ×${DB_SAMPLE}: ${dbPerSecond.toFixed(1)}/s`);

    // (av) raw Ed25519 verify, 64 bytes, for about a second after a short warm-up.
    const message = randomBytes(64);
    const signature = edSign(null, message, key.privateKey);
    const publicKey = createPublicKey(key.privateKey);
    const verifyFor = (ms: number) => {
      let n = 0;
      const a0 = performance.now();
      let t = a0;
      while(t - a0 < ms) {
        for(let i = 0; i < 64; i++) if(!edVerify(null, message, publicKey, signature)) throw new Error('Ed25519 verify failed');
        n += 64;
        t = performance.now();
      }
      return n / ((t - a0) / 1000);
    };
    verifyFor(200);
    const ed25519VerifyPerSecond = verifyFor(1000);

    const steady = run.seconds > single.seconds ? (COUNT - 1) / (run.seconds - single.seconds) : 0;
    return {count: COUNT, wallSeconds: run.seconds, startupSeconds: single.seconds, perSecond: COUNT / run.seconds,
      steadyPerSecond: steady, dbPerSecond, ed25519VerifyPerSecond};
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}
