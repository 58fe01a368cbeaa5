/**
 * Email throughput (issue 5), part of `npm run bench` via `runEmailBench()`:
 *
 *   (m1) Laurel, throttle off (MAIL_RATE=0): BENCH_EMAIL_COUNT (default 1,000) credential emails
 *        enqueued in one transaction, timed until the SMTP server has them all. Each message is a
 *        committed `sending` claim, a render of the branded template, an SMTP conversation over
 *        Laurel's pool (4 connections) and a committed `sent`, on PGlite in memory.
 *   (m2) reference: a raw nodemailer loop to the same server with the same pool and the same number
 *        in flight (4), sending an equivalent pre-rendered message (no database, no rendering).
 *   (m3) reference: the same raw loop with one message in flight.
 *   (m4) Laurel with the throttle on (BENCH_EMAIL_RATE, default 50/s): measured rate / configured rate.
 *
 * The SMTP server is smtp-server in this process (it only counts), so the numbers are Laurel's and
 * nodemailer's cost, not a network's. Rounds (BENCH_EMAIL_ROUNDS, default 3) alternate m1 and m2/m3;
 * medians are reported. The ratio m1 / MAIL_RATE's default (10/s) is the headroom over the throttle.
 */
import {randomBytes} from 'node:crypto';
import {setTimeout as sleep} from 'node:timers/promises';
import nodemailer, {type SendMailOptions} from 'nodemailer';
import {SMTPServer} from 'smtp-server';
import {openDatabase} from '../packages/server/src/db/open.js';
import {createLaurel, type Services} from '../packages/server/src/laurel.js';
import {SYSTEM} from '../packages/server/src/services/actor.js';
import {fmtRate, median, table} from './measure.js';

const COUNT = Number(process.env.BENCH_EMAIL_COUNT ?? 1000);
const ROUNDS = Number(process.env.BENCH_EMAIL_ROUNDS ?? 3);
const THROTTLE = Number(process.env.BENCH_EMAIL_RATE ?? 50);
/** MAIL_RATE's default. */
const DEFAULT_RATE = 10;

/** Results, messages per second. */
export interface EmailBenchResult {
  laurel: number;
  reference: number;
  referenceSequential: number;
  throttle: {configured: number; measured: number};
}

/** An SMTP server that accepts and counts. */
async function startSink(): Promise<{url: string; count: () => number; stop: () => Promise<void>}> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false, size: 0,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        received++;
        callback(null);
      });
    },
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as {port: number}).port;
  return {url: `smtp://127.0.0.1:${port}`, count: () => received, stop: () => new Promise(resolve => server.close(() => resolve()))};
}

/** Waits until `count()` reaches `target` (polling memory only, so the database is not disturbed). */
async function until(count: () => number, target: number, what: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  while(count() < target) {
    if(Date.now() > deadline) throw new Error(`email bench: timed out waiting for ${what} (${count()} of ${target})`);
    await sleep(2);
  }
}

/** A Laurel instance with an organization and `n` credentials to email. */
async function setUp(smtpUrl: string, rate: number, n: number) {
  const db = await openDatabase({dataDir: null});
  const {app, services} = await createLaurel({db, masterKey: randomBytes(32), publicUrl: 'https://laurel.bench',
    jobs: {pollingIntervalSeconds: 0.5}, mail: {smtpUrl, rate}});
  const {organization} = await services.organizations.create({name: 'Bench Academy', slug: 'bench', email: 'office@bench.example',
    logo: 'https://bench.example/logo.png'}, SYSTEM);
  const org = (await services.organizations.find('id', organization.id))!;
  const achievement = await services.achievements.create(org, {name: 'Bench Skills', description: 'Sends email quickly.',
    criteria: {narrative: 'Ran the bench.'}}, SYSTEM);
  const ids: string[] = [];
  // Issued as the API does (group commit); the emails are enqueued below, timed.
  for(let i = 0; i < n; i += 500) {
    const part = await Promise.all(Array.from({length: Math.min(500, n - i)}, (_, k) =>
      services.credentials.issue(org, {achievementId: achievement.id, recipient: {name: `Recipient ${i + k}`}}, SYSTEM)));
    ids.push(...part.map(r => r.body.id));
  }
  return {app, db, services, org, ids, async close() {
    await app.close();
    await db.close();
  }};
}

/** Enqueues emails for `ids` in one transaction and waits until the server has them all; messages/s. */
async function laurelRun(services: Services, orgId: string, ids: string[], sink: {count: () => number}): Promise<number> {
  const start = sink.count();
  const t0 = performance.now();
  await services.ctx.db.transaction(tx => services.email.enqueue(tx, ids.map((credentialId, i) => ({organizationId: orgId, credentialId,
    recipient: `r${i}@bench.example`, kind: 'credential_issued' as const}))));
  services.email.notify();
  await until(sink.count, start + ids.length, 'Laurel\'s messages');
  return ids.length / ((performance.now() - t0) / 1000);
}

/** The raw nodemailer loop: `inFlight` sends at a time over a pool like Laurel's; messages/s. */
async function referenceRun(smtpUrl: string, message: SendMailOptions, n: number, inFlight: number): Promise<number> {
  const transport = nodemailer.createTransport({url: smtpUrl, pool: true, maxConnections: 4, maxMessages: 100});
  try {
    await transport.sendMail({...message, to: 'warmup@bench.example'});
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({length: inFlight}, async () => {
      while(next < n) {
        const i = next++;
        await transport.sendMail({...message, to: {name: `Recipient ${i}`, address: `r${i}@bench.example`}});
      }
    }));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    transport.close();
  }
}

/** Runs m1–m4 and prints their table. */
export async function runEmailBench(): Promise<EmailBenchResult> {
  const sink = await startSink();
  console.log(`\nEmail (issue 5): ${COUNT.toLocaleString('en-US')} credential emails per round, ${ROUNDS} rounds, ` +
    'to smtp-server in this process; PGlite in memory');
  try {
    const fast = await setUp(sink.url, 0, COUNT * ROUNDS + 50);
    let laurel: number[] = [], reference: number[] = [], sequential: number[] = [];
    let message: SendMailOptions;
    try {
      // The same content Laurel sends, rendered once: the reference pays no database and no rendering.
      const preview = await fast.services.email.preview(fast.org, 'credential_issued', 'en');
      message = {from: {name: 'Bench Academy', address: 'no-reply@laurel.bench'}, replyTo: 'office@bench.example', subject: preview.subject,
        html: preview.html, text: preview.text, headers: {'List-Unsubscribe': '<https://laurel.bench/email/unsubscribe/x>, <mailto:office@bench.example>',
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click'}};
      // Warm-up: the first job, the pool's connections, the template path.
      await laurelRun(fast.services, fast.org.id, fast.ids.slice(0, 50), sink);
      for(let r = 0; r < ROUNDS; r++) {
        laurel.push(await laurelRun(fast.services, fast.org.id, fast.ids.slice(50 + r * COUNT, 50 + (r + 1) * COUNT), sink));
        reference.push(await referenceRun(sink.url, message, COUNT, 4));
        sequential.push(await referenceRun(sink.url, message, COUNT, 1));
      }
      const {rows} = await fast.db.query<{n: number}>(`SELECT count(*)::int AS n FROM email_deliveries WHERE status = 'sent'`);
      if(rows[0].n !== COUNT * ROUNDS + 50) throw new Error(`email bench: ${rows[0].n} deliveries sent, expected ${COUNT * ROUNDS + 50}`);
    } finally {
      await fast.close();
    }

    const throttledCount = Math.max(20, Math.round(THROTTLE * 3));
    const slow = await setUp(sink.url, THROTTLE, throttledCount);
    let measured: number;
    try {
      measured = await laurelRun(slow.services, slow.org.id, slow.ids, sink);
    } finally {
      await slow.close();
    }

    const result: EmailBenchResult = {laurel: median(laurel), reference: median(reference), referenceSequential: median(sequential),
      throttle: {configured: THROTTLE, measured}};
    const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    console.log(table(['bench', 'messages/s (median)', 'rounds', 'Laurel / this', 'note'], [
      ['(m1) Laurel, throttle off (MAIL_RATE=0)', fmtRate(result.laurel), laurel.map(fmtRate).join(' '), '1.00×',
        `${x(result.laurel, DEFAULT_RATE)} the default MAIL_RATE of ${DEFAULT_RATE}/s`],
      ['(m2) raw nodemailer pool, 4 in flight (reference)', fmtRate(result.reference), reference.map(fmtRate).join(' '),
        x(result.laurel, result.reference), 'same server, pool and concurrency; no database, no rendering'],
      ['(m3) raw nodemailer loop, 1 in flight', fmtRate(result.referenceSequential), sequential.map(fmtRate).join(' '),
        x(result.laurel, result.referenceSequential), ''],
      [`(m4) Laurel, MAIL_RATE=${THROTTLE}`, fmtRate(measured), '1', '',
        `${(measured / THROTTLE).toFixed(2)}× the configured rate (${throttledCount} messages; the first goes at once)`],
    ]));
    return result;
  } finally {
    await sink.stop();
  }
}

// Run alone: `npx tsx bench/email.ts`.
if(import.meta.url === `file://${process.argv[1]}`) {
  runEmailBench().then(() => process.exit(0), error => {
    console.error(error);
    process.exit(1);
  });
}
