/**
 * Lifecycle benchmarks (issue 4), part of `npm run bench` (BENCH_LIFECYCLE=0 skips them):
 *
 *   (s1) status index allocation for BENCH_ALLOC_COUNT (default 100,000) credentials, 64 per
 *        transaction as group commit issues them, on PGlite and (with BENCH_DATABASE_URL or
 *        TEST_DATABASE_URL) PostgreSQL. Reference: a plain multi-row INSERT of the same number
 *        of rows with consecutive indexes (no random draw, no conflict handling).
 *   (s2) re-publishing one list pair after 10,000 revocations (read the set bits, build both
 *        bitstrings, GZIP, sign two list credentials, store). Reference: the Digital Bazaar
 *        encoder alone (@digitalbazaar/vc-bitstring-status-list createList + setStatus ×10,000 + encode).
 *   (s3) the status check in verification: a credential with two status entries verified with
 *        a StatusListCache (cached) and without (fresh: fetch, verify and decode both lists every
 *        time; the fetch is in memory). Reference: the same credential without credentialStatus.
 */
import {randomBytes} from 'node:crypto';
import {createList} from '@digitalbazaar/vc-bitstring-status-list';
import {ALL_SUITES, createBitstringStatusCheck, signCredential, StatusListCache, verifyCredential, type VerifyPorts} from '@laurel/core';
import {openDatabase} from '../packages/server/src/db/open.js';
import type {Database} from '../packages/server/src/db/database.js';
import {setStatusBits} from '../packages/server/src/db/status-repo.js';
import {createServices} from '../packages/server/src/laurel.js';
import {SYSTEM} from '../packages/server/src/services/actor.js';
import {fmtRate, table} from './measure.js';

const COUNT = Number(process.env.BENCH_ALLOC_COUNT ?? 100_000);
const BATCH = 64;

async function withDatabase<T>(kind: 'pglite' | 'postgres', fn: (db: Database) => Promise<T>): Promise<T> {
  if(kind === 'pglite') {
    const db = await openDatabase({dataDir: null});
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL!;
  const pg = (await import('pg')).default;
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({connectionString: url});
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = await openDatabase({databaseUrl: url, dataDir: null, schema});
  try {
    return await fn(db);
  } finally {
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

async function setUp(db: Database) {
  const s = createServices({db, masterKey: randomBytes(32), publicUrl: 'https://laurel.bench'});
  await s.audit.init();
  const {organization} = await s.organizations.create({name: "Bench Academy", slug: "bench"}, SYSTEM);
  const org = (await s.organizations.find('id', organization.id))!;
  const did = await s.organizations.currentDid(org);
  return {s, org, did};
}

/** (s1) Allocation of COUNT slots in transactions of BATCH, and the plain-insert reference. */
async function allocation(kind: 'pglite' | 'postgres') {
  return withDatabase(kind, async db => {
    const {s, org, did} = await setUp(db);
    let t0 = performance.now();
    for(let done = 0; done < COUNT; done += BATCH) {
      const n = Math.min(BATCH, COUNT - done);
      await db.transaction(tx => s.statusLists.allocate(tx, org, did, Array.from({length: n}, (_, i) => ({credentialId: `c${done + i}`}))));
    }
    const ours = COUNT / ((performance.now() - t0) / 1000);
    const {rows} = await db.query<{lists: number; entries: number}>(
      'SELECT count(DISTINCT list_id)::int AS lists, count(*)::int AS entries FROM status_entries');
    // Reference: consecutive indexes, one multi-row INSERT per batch, into a list of its own.
    await db.query(`INSERT INTO status_lists (id, organization_id, issuer_did, size) VALUES ('ref', $1, 'did:ref', $2)`, [org.id, COUNT]);
    t0 = performance.now();
    for(let done = 0; done < COUNT; done += BATCH) {
      const n = Math.min(BATCH, COUNT - done);
      await db.transaction(tx => tx.query(
        `INSERT INTO status_entries (list_id, idx, organization_id, credential_id)
         SELECT 'ref', c.idx, $1, 'r' || c.idx FROM unnest($2::int[]) AS c(idx)`, [org.id, Array.from({length: n}, (_, i) => done + i)]));
    }
    const reference = COUNT / ((performance.now() - t0) / 1000);
    return {kind, ours, reference, lists: rows[0].lists, entries: rows[0].entries};
  });
}

/** (s2) One publish after 10,000 revocations, and the reference encoder. */
async function republish() {
  return withDatabase('pglite', async db => {
    const {s, org, did} = await setUp(db);
    const slots = [];
    for(let done = 0; done < 20_000; done += 500) {
      slots.push(...await db.transaction(tx => s.statusLists.allocate(tx, org, did, Array.from({length: 500}, (_, i) => ({credentialId: `c${done + i}`})))));
    }
    const listId = slots[0].listId;
    await s.statusLists.publish(listId);
    const revoked = slots.filter(x => x.listId === listId).slice(0, 10_000);
    await db.transaction(tx => setStatusBits(tx, revoked, {revoked: true}));
    const runs: number[] = [];
    for(let i = 0; i < 5; i++) {
      if(i > 0) await db.transaction(tx => setStatusBits(tx, [revoked[i]], {revoked: true}));
      const t0 = performance.now();
      await s.statusLists.publish(listId);
      runs.push(performance.now() - t0);
    }
    const refRuns: number[] = [];
    for(let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const list = await createList({length: 131_072});
      for(const slot of revoked) list.setStatus(slot.idx, true);
      await list.encode();
      refRuns.push(performance.now() - t0);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const doc = (await s.statusLists.current(listId, 'revocation'))!.body;
    return {ms: med(runs), refMs: med(refRuns), revoked: revoked.length, bytes: doc.length};
  });
}

/** (s3) Verification with the status check, cached and fresh, and without status. */
async function statusCheckCost() {
  return withDatabase('pglite', async db => {
    const {s, org} = await setUp(db);
    const achievement = await s.achievements.create(org, {name: 'Bench', description: 'Bench.', criteria: {narrative: 'Ran.'}, achievementType: "Badge"} as never, SYSTEM);
    const issued = await s.credentials.issue(org, {achievementId: (achievement as {id: string}).id, recipient: {name: 'Ada'}}, SYSTEM);
    const vc = issued.body.credential as Record<string, unknown>;
    // The reference: the same credential signed without credentialStatus.
    const {proof: _proof, credentialStatus: _status, ...unsigned} = vc;
    const signer = await db.transaction(tx => s.organizations.activeSigner(tx, org));
    const noStatus = await signCredential(unsigned, signer.signer, new Date().toISOString(), s.ctx.canonicalizer);
    // The lists as a verifier would download them, served from memory (no network in a bench).
    const lists = new Map<string, unknown>();
    for(const e of vc.credentialStatus as {statusListCredential: string; statusPurpose: 'revocation' | 'suspension'}[]) {
      lists.set(e.statusListCredential, JSON.parse((await s.statusLists.current(new URL(e.statusListCredential).pathname.split('/')[2], e.statusPurpose))!.body));
    }
    const base: VerifyPorts = {canonicalizer: s.ctx.canonicalizer, resolveController: s.verification.resolveController, now: () => new Date(), suites: ALL_SUITES};
    const fetchStatusList = async (url: string) => structuredClone(lists.get(url));
    const make = (cache?: StatusListCache): VerifyPorts => ({...base, checkStatus: createBitstringStatusCheck({
      fetchStatusList, verifyListCredential: x => verifyCredential(x, base), now: base.now, cache})});
    const cached = make(new StatusListCache()), fresh = make();
    const rate = async (ports: VerifyPorts, doc: unknown, ms = 2000) => {
      const r = await verifyCredential(doc, ports);
      if(!r.verified) throw new Error(`bench credential did not verify: ${JSON.stringify(r.errors)}`);
      let n = 0;
      const t0 = performance.now();
      while(performance.now() - t0 < ms) {
        await verifyCredential(doc, ports);
        n++;
      }
      return n / ((performance.now() - t0) / 1000);
    };
    // Warm up, then interleave three rounds of each (a slow period hits all alike); report medians.
    for(const [p, d] of [[base, noStatus], [cached, vc], [fresh, vc]] as const) await rate(p, d, 500);
    const rounds = {none: [] as number[], cached: [] as number[], fresh: [] as number[]};
    for(let i = 0; i < 3; i++) {
      rounds.none.push(await rate(base, noStatus, 1000));
      rounds.cached.push(await rate(cached, vc, 1000));
      rounds.fresh.push(await rate(fresh, vc, 1000));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    return {none: med(rounds.none), cached: med(rounds.cached), fresh: med(rounds.fresh)};
  });
}

/** Runs the lifecycle benches and prints their tables. */
export async function runLifecycleBenches(): Promise<void> {
  console.log(`\nLifecycle benches (issue 4): status slots for ${COUNT.toLocaleString('en')} credentials, ${BATCH} per transaction`);
  const kinds: ('pglite' | 'postgres')[] = ['pglite'];
  if(process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL) kinds.push('postgres');
  else console.log('  (PostgreSQL skipped: set BENCH_DATABASE_URL=postgres://… to include it)');
  const alloc = [];
  for(const kind of kinds) alloc.push(await allocation(kind));
  console.log(table(['(s1) allocation', 'slots/s', `time for ${COUNT.toLocaleString('en')}`, 'reference: plain INSERT', 'ours / reference', 'lists used'],
    alloc.map(a => [a.kind, fmtRate(a.ours), `${(COUNT / a.ours).toFixed(1)} s`, fmtRate(a.reference), `${(a.ours / a.reference).toFixed(2)}×`,
      `${a.lists} (${(COUNT / a.lists / 1310.72).toFixed(0)}% full on average)`])));
  const pub = await republish();
  console.log(table(['(s2) re-publish after 10,000 revocations', 'ms', 'reference: DB encoder only', 'ours / reference (time)', 'list credential bytes'],
    [['read bits + 2 × (encode + sign) + store', pub.ms.toFixed(1), `${pub.refMs.toFixed(1)} ms`, `${(pub.ms / pub.refMs).toFixed(2)}×`, String(pub.bytes)]]));
  const cost = await statusCheckCost();
  console.log(table(['(s3) verification', 'verifs/s', 'vs no status'], [
    ['no credentialStatus (reference)', fmtRate(cost.none), '1.00×'],
    ['status, lists cached (StatusListCache)', fmtRate(cost.cached), `${(cost.cached / cost.none).toFixed(2)}×`],
    ['status, fresh (fetch + verify + decode 2 lists)', fmtRate(cost.fresh), `${(cost.fresh / cost.none).toFixed(2)}×`],
  ]));
}

if(import.meta.url === `file://${process.argv[1]}`) await runLifecycleBenches();
