/**
 * Laurel signing benchmark (`npm run bench`).
 *
 *   (a)  raw Ed25519 signatures/s, node:crypto sign() over 64 bytes: the limit
 *   (b)  credentials/s, Digital Bazaar reference stack (vc.issue + DataIntegrityProof
 *        + eddsa-rdfc-2022-cryptosuite + ed25519-multikey)
 *   (c)  credentials/s, Laurel core signCredential (node:crypto signer, one Canonicalizer)
 *   (c') the same with 8 signings in flight
 *   (d)  end-to-end HTTP results from bench/e2e.ts (optional module)
 *   (d2) 10,000 credentials verified by one `laurel verify` process (bench/cli-verify.ts)
 *   (p)  /c/<id> page throughput with autocannon, server on one core (bench/page.ts)
 *   (s1–s3) status slot allocation, list re-publishing, the status check's cost (bench/lifecycle.ts;
 *        BENCH_LIFECYCLE=0 skips, BENCH_ALLOC_COUNT, BENCH_DATABASE_URL for PostgreSQL)
 *   (b1) 100,000 CSV rows issued end to end, then once more with emails on (bench/batch.ts; BENCH_BATCH=0 skips,
 *        BENCH_BATCH_ROWS, BENCH_BATCH_EMAIL=0 skips the emails run)
 *   (m1) email throughput against an in-process SMTP server (bench/email.ts; BENCH_EMAIL=0 skips)
 *   (r0–r8) PDF/SVG/PNG/OG render times vs a minimal pdfkit document (bench/render.ts; BENCH_RENDER=0 skips)
 *   (v4–v7) verify-only formats (bench/formats.ts; BENCH_FORMATS=0 skips)
 *
 * Sequential (one in flight) for a–c, every iteration signs a distinct credential.
 * Each bench is warmed up, then the rounds are interleaved (a b c c', a b c c', ...)
 * so a slow period of a shared machine hits every bench alike; the median round is
 * reported, and the c/b ratio is also given per round and per CPU second.
 * Environment: BENCH_SECONDS (measured seconds per bench, default 3), BENCH_ROUNDS
 * (default 3), BENCH_WARMUP (seconds, default 1), BENCH_SPLIT_SECONDS (default 1),
 * BENCH_TIMEOUT_SECONDS (watchdog, default 600),
 * BENCH_VERIFY=0 (skip d2 and p), BENCH_CLI_COUNT (d2, default 10000), BENCH_PAGE_SECONDS (p, default 10).
 */
import {nodeCryptoPorts} from '@laurel/core/node';
import {existsSync, readFileSync} from 'node:fs';
import os from 'node:os';
import {randomBytes, sign as edSign} from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {ALL_SUITES, Canonicalizer, createDocumentLoader, resolveDidKey, signCredential, signVcJwt, verifyCredential,
  verifyVcJwt} from '@laurel/core';
import {benchKey, CREATED, dbDocumentLoader, nextCredential, nodeSigner, VERIFY_NOW} from './fixtures.js';
import {type BenchConfig, type BenchSpec, configFromEnv, type E2EResult, fmtRate, measureInterleaved, median, STATS_HEADER,
  type Stats, statsRow, table} from './measure.js';
import {sanityChecks} from './sanity.js';
import {printSplit} from './split.js';

const started = performance.now();
const timeoutSeconds = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600);
setTimeout(() => {
  console.error(`\nbench: still running after ${timeoutSeconds} s (BENCH_TIMEOUT_SECONDS), aborting`);
  process.exit(2);
}, timeoutSeconds * 1000).unref();

function version(pkg: string): string {
  try {
    const url = new URL(`../node_modules/${pkg}/package.json`, import.meta.url);
    return JSON.parse(readFileSync(url, 'utf8')).version;
  } catch {
    return '?';
  }
}

async function loadE2E(): Promise<(() => Promise<E2EResult[]>) | null> {
  const url = new URL('./e2e.ts', import.meta.url);
  if(!existsSync(url)) return null;
  const mod = await import(url.href) as {runE2E?: () => Promise<E2EResult[]>};
  if(typeof mod.runE2E !== 'function') {
    console.log('e2e: bench/e2e.ts does not export runE2E(), skipped');
    return null;
  }
  return mod.runE2E;
}

async function main(): Promise<void> {
  const config: BenchConfig = configFromEnv();
  const cpus = os.cpus();
  console.log('Laurel signing benchmark');
  console.log(`  date     ${new Date().toISOString()}`);
  console.log(`  machine  ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${os.platform()} ${os.release()} ${os.arch()}`);
  const load = os.loadavg().map(l => l.toFixed(2)).join(' / ');
  console.log(`  load     ${load} (1 / 5 / 15 min) before start`);
  console.log(`  runtime  Node ${process.version}, OpenSSL ${process.versions.openssl}`);
  console.log(`  libs     jsonld ${version('jsonld')}, rdf-canonize ${version('rdf-canonize')}, @digitalbazaar/vc ${version('@digitalbazaar/vc')}, ` +
    `data-integrity ${version('@digitalbazaar/data-integrity')}, eddsa-rdfc-2022-cryptosuite ${version('@digitalbazaar/eddsa-rdfc-2022-cryptosuite')}, ` +
    `ed25519-multikey ${version('@digitalbazaar/ed25519-multikey')}`);
  console.log(`  method   warm-up ${config.warmup} s, then ${config.rounds} rounds × ${(config.seconds / config.rounds).toFixed(2)} s per bench; ` +
    'median of rounds reported; a–c one in flight; distinct credential per iteration');
  console.log(`           cpu = this process's CPU time / wall time while measuring (well under 100% on a sequential bench`);
  console.log('           means other processes took the CPU); per cpu-s = ops / CPU seconds used, less sensitive to that');

  // --- setup: one key for both stacks
  const key = benchKey();
  const signer = nodeSigner(key);
  // Configured as the server configures it: node:crypto SHA-256 (packages/server/src/laurel.ts).
  const canonicalizer = new Canonicalizer(createDocumentLoader(), nodeCryptoPorts());
  const dbLoader = dbDocumentLoader(key);
  const dbKeyPair = await Ed25519Multikey.generate({seed: key.seed, controller: key.did});
  if(dbKeyPair.id !== key.verificationMethod) throw new Error(`key mismatch: DB ${dbKeyPair.id} vs Laurel ${key.verificationMethod}`);
  const dbSuite = new DataIntegrityProof({signer: dbKeyPair.signer(), date: CREATED, cryptosuite});
  console.log(`  key      ${key.verificationMethod}`);

  // --- sanity: abort unless each stack accepts the other's output
  console.log('\nSanity checks:');
  const failures = await sanityChecks({key, signer, canonicalizer, dbSuite, dbLoader});
  if(failures.length) {
    console.error('\nbench aborted: sanity checks failed\n' + failures.map(f => `- ${f}`).join('\n'));
    process.exit(1);
  }

  const message = randomBytes(64);
  const IN_FLIGHT = 8;
  const specs: BenchSpec[] = [
    // (a) the limit: raw Ed25519 over a 64-byte message (the size of eddsa-rdfc-2022 hashData)
    {label: '(a) node:crypto Ed25519 sign, 64 B', unit: 'sigs/s', batch: () => {
      for(let i = 0; i < 64; i++) edSign(null, message, key.privateKey);
      return 64;
    }},
    // (b) Digital Bazaar reference stack, one in flight
    {label: '(b) Digital Bazaar vc.issue', unit: 'creds/s', batch: async () => {
      await vc.issue({credential: nextCredential(key.did), suite: dbSuite, documentLoader: dbLoader});
      return 1;
    }},
    // (c) Laurel core, one in flight
    {label: '(c) Laurel signCredential', unit: 'creds/s', batch: async () => {
      await signCredential(nextCredential(key.did), signer, CREATED, canonicalizer);
      return 1;
    }},
    // (c') Laurel core, 8 in flight
    {label: `(c') Laurel signCredential, ${IN_FLIGHT} in flight`, unit: 'creds/s', batch: async () => {
      await Promise.all(Array.from({length: IN_FLIGHT},
        () => signCredential(nextCredential(key.did), signer, CREATED, canonicalizer)));
      return IN_FLIGHT;
    }},
  ];

  // Verification, per format: a pool of distinct signed credentials, cycled.
  const POOL = 64;
  const pool = async <T>(make: () => Promise<T>) => Promise.all(Array.from({length: POOL}, make));
  const rdfcPool = await pool(() => signCredential(nextCredential(key.did), signer, CREATED, canonicalizer));
  const jcsPool = await pool(() => signCredential(nextCredential(key.did), signer, CREATED, canonicalizer, {cryptosuite: 'eddsa-jcs-2022'}));
  const jwtPool = await pool(() => signVcJwt(nextCredential(key.did), {kid: key.verificationMethod, alg: 'EdDSA', sign: signer.sign}, new Date(CREATED)));
  const verifyPorts = {canonicalizer, resolveController: resolveDidKey, now: () => VERIFY_NOW, suites: ALL_SUITES};
  let vi = 0;
  const next = <T>(xs: T[]) => xs[vi++ % xs.length];
  const mustVerify = (r: {verified: boolean}) => {
    if(!r.verified) throw new Error('bench credential did not verify');
  };
  specs.push(
    {label: '(vb) Digital Bazaar vc.verifyCredential, rdfc', unit: 'verifs/s', batch: async () => {
      const r = await vc.verifyCredential({credential: next(rdfcPool), suite: new DataIntegrityProof({cryptosuite}), documentLoader: dbLoader, now: VERIFY_NOW});
      if(!r.verified) throw new Error('DB did not verify');
      return 1;
    }},
    {label: '(v1) Laurel verifyCredential, eddsa-rdfc-2022', unit: 'verifs/s', batch: async () => {
      mustVerify(await verifyCredential(next(rdfcPool), verifyPorts));
      return 1;
    }},
    {label: '(v2) Laurel verifyCredential, eddsa-jcs-2022', unit: 'verifs/s', batch: async () => {
      mustVerify(await verifyCredential(next(jcsPool), verifyPorts));
      return 1;
    }},
    {label: '(v3) Laurel verifyVcJwt, EdDSA', unit: 'verifs/s', batch: async () => {
      mustVerify(await verifyVcJwt(next(jwtPool), verifyPorts));
      return 1;
    }},
  );
  console.log('\nBenchmarks (rounds interleaved a, b, c, c\', a, b, ...):');
  const results = await measureInterleaved(specs, config, m => console.log(`  ${m}`));
  const [a, b, c, c8, vb, v1, v2, v3] = results;

  // time split of one Laurel signing
  await printSplit({issuerDid: key.did, signer, canonicalizer, loader: createDocumentLoader(),
    ms: Number(process.env.BENCH_SPLIT_SECONDS ?? 1) * 1000});

  // (d) end-to-end (optional module)
  let e2e: E2EResult[] = [];
  const runE2E = await loadE2E();
  if(runE2E) {
    console.log('');
    e2e = await runE2E();
  }

  // --- report
  console.log('\nResults (median of rounds; mean = total ops / total time; spread = half the min–max range):');
  const rows = results.map(statsRow);
  for(const r of e2e) rows.push([`(${r.kind === 'issue' ? 'd' : 'dv'}) ${r.label}`, fmtRate(r.perSecond), '-', '-', '-', '-', '-', '-', '-']);
  console.log(table(STATS_HEADER, rows));

  const ratio = (x: number, y: number) => y > 0 ? `${(x / y).toFixed(2)}×` : 'n/a';
  // Rounds are interleaved, so a per-round ratio compares runs made under the same machine load.
  const perRound = (x: Stats, y: Stats) => {
    const rs = x.rounds.map((v, i) => v / y.rounds[i]);
    return `${ratio(median(rs), 1)} (rounds: ${rs.map(r => r.toFixed(2)).join(', ')})`;
  };
  const ratioRows: string[][] = [
    ['c/b   Laurel vs Digital Bazaar', ratio(c.median, b.median), perRound(c, b)],
    ["c'/b  Laurel (8 in flight) vs Digital Bazaar", ratio(c8.median, b.median), perRound(c8, b)],
    ['c/b   (per cpu-s)', ratio(c.perCpuSecond, b.perCpuSecond), 'ops per CPU second of each'],
    ['c/a   Laurel vs raw Ed25519 limit', `${(c.median / a.median).toFixed(4)}×`,
      `${((c.median / a.median) * 100).toFixed(2)}% of the limit`],
    ['b/a   Digital Bazaar vs raw Ed25519 limit', `${(b.median / a.median).toFixed(4)}×`,
      `${((b.median / a.median) * 100).toFixed(2)}% of the limit`],
  ];
  ratioRows.push(
    ['v1/vb Laurel rdfc verify vs Digital Bazaar verify', ratio(v1.median, vb.median), perRound(v1, vb)],
    ['v2/vb Laurel jcs verify vs Digital Bazaar rdfc verify', ratio(v2.median, vb.median), perRound(v2, vb)],
    ['v3/vb Laurel vc+jwt verify vs Digital Bazaar rdfc verify', ratio(v3.median, vb.median), perRound(v3, vb)],
    ['v1/c  Laurel verify vs Laurel sign (rdfc), in process', ratio(v1.median, c.median),
      'the signature check alone: an Ed25519 verify costs ~2.3× a sign'],
    ['v1/a  Laurel rdfc verify vs raw Ed25519 sign', `${(v1.median / a.median).toFixed(4)}×`, ''],
  );
  for(const r of e2e.filter(x => x.kind === 'issue')) ratioRows.push([`d/b   ${r.label} vs Digital Bazaar`, ratio(r.perSecond, b.median), 'goal ≥ 3']);
  for(const r of e2e.filter(x => x.kind === 'verify')) {
    const issued = e2e.find(x => x.kind === 'issue' && x.database === r.database);
    ratioRows.push([`dv/vb ${r.label} vs Digital Bazaar verify`, ratio(r.perSecond, vb.median), '']);
    if(issued) {
      ratioRows.push([`dv/d  verification vs issuance, both through the API, ${r.database}`, ratio(r.perSecond, issued.perSecond),
        'verification should cost no more than issuance: ≥ 1']);
    }
  }
  if(!e2e.length) ratioRows.push(['d/b   (no e2e results)', '-', '']);
  console.log('\nRatios:');
  console.log(table(['ratio', 'of medians', 'median of per-round ratios / note'], ratioRows));
  // --- (v4–v7) the formats Laurel only verifies: ECDSA P-256, Ed25519Signature2020, vc+jwt ES256 (bench/formats.ts)
  if(process.env.BENCH_VERIFY !== '0' && process.env.BENCH_FORMATS !== '0') {
    const {runFormatBenches} = await import('./formats.js');
    await runFormatBenches(config);
  }
  // --- issue 3: verification at scale (d2) and page throughput (p); separate modules, their own report
  if(process.env.BENCH_VERIFY !== '0') await runVerificationBenches(v1.median);
  // --- issue 4: status slots, list re-publishing, the status check's cost (bench/lifecycle.ts)
  if(process.env.BENCH_LIFECYCLE !== '0') {
    const {runLifecycleBenches} = await import('./lifecycle.js');
    await runLifecycleBenches();
  }
  // --- issue 5: bulk issuance end to end (bench/batch.ts) and email throughput (bench/email.ts)
  if(process.env.BENCH_BATCH !== '0') {
    const {runBatchBench} = await import('./batch.js');
    await runBatchBench();
  }
  if(process.env.BENCH_EMAIL !== '0') {
    const {runEmailBench} = await import('./email.js');
    await runEmailBench();
  }
  // --- issue 6: certificate, badge and OG rendering (bench/render.ts; BENCH_RENDER=0 skips)
  if(process.env.BENCH_RENDER !== '0') {
    const {runRenderBench} = await import('./render.js');
    await runRenderBench();
  }

  console.log(`\nTotal bench time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** (d2) bench/cli-verify.ts and (p) bench/page.ts, each reported in its own table after the signing results. */
async function runVerificationBenches(laurelInProcess: number): Promise<void> {
  const {runCliVerify} = await import('./cli-verify.js');
  const {runPage} = await import('./page.js');
  console.log('\nVerification (issue 3):');
  const d2 = await runCliVerify();
  const page = await runPage();
  const pct = (x: number, y: number) => `${((x / y) * 100).toFixed(2)}% of the limit`;
  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  console.log(`\n(d2) laurel verify --json on ${d2.count.toLocaleString('en-US')} credentials, one process: ` +
    `${d2.wallSeconds.toFixed(2)} s spawn to exit (start-up alone, 1 credential: ${d2.startupSeconds.toFixed(2)} s)`);
  console.log(table(['measure', 'per second', 'vs (vb\') Digital Bazaar', 'vs (av) Ed25519 verify'], [
    ['(d2)  laurel verify, whole run', fmtRate(d2.perSecond), x(d2.perSecond, d2.dbPerSecond), pct(d2.perSecond, d2.ed25519VerifyPerSecond)],
    ['(d2)  laurel verify, after start-up', fmtRate(d2.steadyPerSecond), x(d2.steadyPerSecond, d2.dbPerSecond), pct(d2.steadyPerSecond, d2.ed25519VerifyPerSecond)],
    ['(v1)  Laurel verifyCredential in process (above)', fmtRate(laurelInProcess), x(laurelInProcess, d2.dbPerSecond), pct(laurelInProcess, d2.ed25519VerifyPerSecond)],
    ["(vb') Digital Bazaar vc.verifyCredential, 300 of them", fmtRate(d2.dbPerSecond), '1.00×', pct(d2.dbPerSecond, d2.ed25519VerifyPerSecond)],
    ['(av)  node:crypto Ed25519 verify, 64 B', fmtRate(d2.ed25519VerifyPerSecond), '', ''],
  ]));
  console.log(`\n(p) ${page.pinned}`);
  console.log(table(['URL', 'requests/s', 'p50', 'p99', 'requests', 'non-2xx', 'errors'], page.results.map(r =>
    [r.label, fmtRate(r.requestsPerSecond), `${r.p50Ms} ms`, `${r.p99Ms} ms`, r.total.toLocaleString('en-US'), String(r.non2xx), String(r.errors)])));
}

main().then(() => process.exit(0), error => {
  console.error('\nbench failed:', error);
  process.exit(1);
});
