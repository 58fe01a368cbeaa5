/**
 * Process-level tests: the real entry point (`npm start`) as a child process,
 * with its own data directory and port. What an operator sees on first start,
 * an independent CLI verifying what the server issued, durability across
 * kill -9 on PGlite and PostgreSQL, refused configurations, and one process per
 * PGlite data directory (DESIGN.md §3).
 */
import {randomBytes} from 'node:crypto';
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import pg from 'pg';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {dumpOutput, freePort, killAll, removeTempDirs, runServerToEnd, runToEnd, type ServerProcess, serverEnv, spawnServer,
  startServer, tempDir, waitUntilRunning} from './process-helpers.js';

const CLI = 'packages/cli/bin/laurel.js';
const API_KEY_LINE = /^\[laurel\] Demo API key \(shown once(?:; [^)]*)?\): (lrl_\S+)$/m;
const SAMPLE_LINE = /^\[laurel\] Sample credential: (http:\/\/\S+\/c\/\S+)$/m;
const ISSUE_COUNT = 25;
const ISSUE_CONCURRENCY = 8;

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

/** fetch with the bearer key, parsed as JSON. */
async function getJson(server: ServerProcess, path: string, apiKey?: string, accept = 'application/json') {
  const res = await fetch(`${server.baseUrl}${path}`, {headers: {accept, ...(apiKey ? {authorization: `Bearer ${apiKey}`} : {})}});
  const text = await res.text();
  return {status: res.status, contentType: res.headers.get('content-type') ?? '', text, body: text ? JSON.parse(text) : undefined};
}

async function postJson(server: ServerProcess, path: string, payload: unknown, apiKey?: string) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: {'content-type': 'application/json', ...(apiKey ? {authorization: `Bearer ${apiKey}`} : {})},
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  return {status: res.status, body: text ? JSON.parse(text) : undefined};
}

/** The id of the demo's "Web Accessibility Foundations" achievement. */
async function demoAchievementId(server: ServerProcess, apiKey: string): Promise<string> {
  const res = await getJson(server, '/api/v1/achievements', apiKey);
  expect(res.status).toBe(200);
  const web = res.body.items.find((a: {name: string}) => a.name === 'Web Accessibility Foundations');
  expect(web, res.text).toBeDefined();
  return web.id;
}

/**
 * Issues ISSUE_COUNT credentials, ISSUE_CONCURRENCY at a time, and SIGKILLs the
 * server in the same tick the last response is read: nothing gets a chance to
 * flush after the last 201. Returns every credential answered with 201.
 */
async function issueThenKill(server: ServerProcess, apiKey: string, achievementId: string): Promise<Map<string, unknown>> {
  const issued = new Map<string, unknown>();
  const failures: string[] = [];
  let next = 0, remaining = ISSUE_COUNT;
  const worker = async () => {
    while(next < ISSUE_COUNT) {
      const n = next++;
      try {
        const res = await postJson(server, '/api/v1/credentials', {achievementId, recipient: {name: `Learner ${n}`, email: `learner${n}@example.org`}}, apiKey);
        if(res.status === 201) issued.set(res.body.id, res.body.credential);
        else failures.push(`#${n}: ${res.status} ${JSON.stringify(res.body)}`);
      } catch(error) {
        failures.push(`#${n}: ${(error as Error).message}`);
      }
      if(--remaining === 0) server.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({length: ISSUE_CONCURRENCY}, worker));
  const exit = await server.exited;
  expect(exit.signal).toBe('SIGKILL');
  expect(failures).toEqual([]);
  expect(issued.size).toBe(ISSUE_COUNT);
  return issued;
}

/** After a restart: every credential that got a 201 is there, unchanged, and still verifies; the old API key still works. */
async function expectAllSurvived(server: ServerProcess, apiKey: string, issued: Map<string, unknown>): Promise<void> {
  const org = await getJson(server, '/api/v1/organization', apiKey);
  expect(org.status, org.text).toBe(200);
  expect(org.body.name).toBe('Laurel Demo Academy');
  for(const [id, credential] of issued) {
    const got = await getJson(server, `/api/v1/credentials/${id}`, apiKey);
    expect(got.status, `credential ${id}: ${got.text}`).toBe(200);
    expect(got.body.credential).toEqual(credential);
    const verified = await postJson(server, '/credentials/verify', {verifiableCredential: got.body.credential});
    expect(verified.status, `credential ${id}: ${JSON.stringify(verified.body)}`).toBe(200);
    expect(verified.body.verified).toBe(true);
  }
}

/** The restart must find the demo, not create another one. */
function expectDemoNotRecreated(server: ServerProcess): void {
  const lines = server.laurelLines().join('\n');
  expect(lines).toMatch(/^\[laurel\] Demo issuer: http:\/\/127\.0\.0\.1:\d+\/issuers\/demo\/did\.json/m);
  expect(lines).not.toContain('Created the demo issuer');
  expect(lines).not.toContain('Demo API key');
  expect(lines).not.toContain('Sample credential');
}

describe('server process on PGlite', () => {
  let dataDir: string;
  let port: number;
  let server: ServerProcess;
  let apiKey: string;
  let sampleUrl: string;

  beforeAll(async () => {
    dataDir = tempDir();
    port = await freePort();
    server = await startServer({env: serverEnv(port, dataDir), port, dataDir});
    apiKey = API_KEY_LINE.exec(server.stdout())?.[1] ?? '';
    sampleUrl = SAMPLE_LINE.exec(server.stdout())?.[1] ?? '';
  });

  it('first start: prints the demo API key and a sample credential, and serves them', async () => {
    expect(apiKey, dumpOutput(server)).toMatch(/^lrl_[A-Za-z0-9_-]+$/);
    expect(sampleUrl, dumpOutput(server)).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/c/[A-Za-z0-9_-]+$`));
    expect(server.laurelLines().at(-1)).toBe(`[laurel] Laurel is running at http://127.0.0.1:${port}`);
    expect(server.stdout()).toContain(`[laurel] Database: embedded PGlite in ${dataDir}/pgdata.`);
    expect(server.stderr()).toBe('');

    const credential = await getJson(server, new URL(sampleUrl).pathname, undefined, 'application/ld+json');
    expect(credential.status).toBe(200);
    expect(credential.contentType).toMatch(/^application\/ld\+json/);
    expect(credential.body.id).toBe(sampleUrl);
    expect(credential.body.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(credential.body.issuer.id).toBe(`did:web:127.0.0.1%3A${port}:issuers:demo`);
    expect(credential.body.proof).toMatchObject({type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022'});

    const health = await getJson(server, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({status: 'ok', database: 'pglite'});

    const org = await getJson(server, '/api/v1/organization', apiKey);
    expect(org.status, org.text).toBe(200);
    expect(org.body.name).toBe('Laurel Demo Academy');

    const achievements = await getJson(server, '/api/v1/achievements', apiKey);
    expect(achievements.status).toBe(200);
    expect(achievements.body.items.map((a: {name: string}) => a.name).sort()).toEqual(['Certified Data Steward', 'Web Accessibility Foundations']);

    // The development master key: generated once, owner-only, and the log says so.
    const keyPath = join(dataDir, 'master.key');
    expect(existsSync(keyPath)).toBe(true);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyPath, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(server.stdout()).toContain(`[laurel] Generated a development master key in ${keyPath}.`);
    // The API key is also saved, owner-only, as the log line says.
    const savedKey = join(dataDir, 'demo-api-key.txt');
    expect(readFileSync(savedKey, 'utf8').trim()).toBe(apiKey);
    expect(statSync(savedKey).mode & 0o777).toBe(0o600);
  });

  it('independent verification: the CLI verifies the sample credential by URL and from a file', async () => {
    const file = join(tempDir(), 'sample.json');
    const json = await getJson(server, new URL(sampleUrl).pathname, undefined, 'application/ld+json');
    writeFileSync(file, json.text);
    const [byUrl, byFile] = await Promise.all([
      runToEnd([CLI, 'verify', sampleUrl, '--allow-http', '--json']),
      runToEnd([CLI, 'verify', file, '--allow-http', '--json']),
    ]);
    for(const run of [byUrl, byFile]) {
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const result = JSON.parse(run.stdout);
      expect(result.verified).toBe(true);
      expect(result.checks.filter((c: {status: string}) => c.status === 'failed')).toEqual([]);
      expect(result.checks.map((c: {code: string}) => c.code)).toContain('PROOF_VALID');
    }
  });

  it('one process per data directory: a second server on the same PGlite directory exits non-zero, the first keeps serving', async () => {
    const before = await getJson(server, new URL(sampleUrl).pathname, undefined, 'application/ld+json');
    const secondPort = await freePort();
    // Refusing takes a second or two; a second process that wrongly starts would run until this timeout SIGKILLs it.
    const second = await runServerToEnd(serverEnv(secondPort, dataDir), 20_000);
    expect(second.signal, `second process was still running:\n${second.stdout}\n${second.stderr}`).toBeNull();
    expect(second.code, `second process:\n${second.stdout}\n${second.stderr}`).not.toBe(0);
    const said = second.stdout + second.stderr;
    expect(said).toMatch(/data directory/i);
    expect(said).toMatch(/in use/i);
    expect(said).toContain(join(dataDir, 'pgdata'));
    expect(said).not.toMatch(/^\s+at /m);
    expect(said).not.toContain('Laurel is running');

    // The first is unharmed: still serving, same data, and can still write.
    expect(server.child.exitCode).toBeNull();
    const health = await getJson(server, '/healthz');
    expect(health.status).toBe(200);
    const after = await getJson(server, new URL(sampleUrl).pathname, undefined, 'application/ld+json');
    expect(after.text).toBe(before.text);
    const achievementId = await demoAchievementId(server, apiKey);
    const write = await postJson(server, '/api/v1/credentials', {achievementId, recipient: {name: 'After The Intruder'}}, apiKey);
    expect(write.status).toBe(201);
  });

  it('durability: every credential answered 201 survives kill -9; the restart keeps the demo, the keys and the master key', async () => {
    const achievementId = await demoAchievementId(server, apiKey);
    const issued = await issueThenKill(server, apiKey, achievementId);

    server = await startServer({env: serverEnv(port, dataDir), port, dataDir});
    expectDemoNotRecreated(server);
    expect(server.stdout()).toContain(`(API key in ${dataDir}/demo-api-key.txt)`);
    expect(server.stdout()).toContain(`[laurel] Using the development master key in ${join(dataDir, 'master.key')}`);
    expect(server.stdout()).not.toContain('Generated a development master key');
    await expectAllSurvived(server, apiKey, issued);
    // The sample from the first start is still public.
    const sample = await getJson(server, new URL(sampleUrl).pathname, undefined, 'application/ld+json');
    expect(sample.status).toBe(200);
  });

  afterAll(async () => {
    if(server) await server.stop();
  });
});

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

describe('server process on PostgreSQL', () => {
  it.skipIf(!TEST_DATABASE_URL)('durability: every credential answered 201 survives kill -9; the restart keeps the demo and the keys', async () => {
    const dbName = `laurel_proc_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({connectionString: TEST_DATABASE_URL});
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    let server: ServerProcess | undefined;
    try {
      const url = new URL(TEST_DATABASE_URL!);
      url.pathname = `/${dbName}`;
      const dataDir = tempDir();
      const port = await freePort();
      const env = serverEnv(port, dataDir, {DATABASE_URL: url.toString()});

      server = await startServer({env, port, dataDir});
      expect(server.stdout()).toContain('[laurel] Database: PostgreSQL (DATABASE_URL), migrations applied.');
      const apiKey = API_KEY_LINE.exec(server.stdout())?.[1];
      expect(apiKey, dumpOutput(server)).toMatch(/^lrl_/);
      // On PostgreSQL the key is not written to a file, and the log does not claim it is.
      expect(server.stdout()).not.toContain('demo-api-key.txt');
      // With DATABASE_URL the data directory still holds the master key (and only that: no pgdata).
      expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
      expect(existsSync(join(dataDir, 'pgdata'))).toBe(false);
      expect((await getJson(server, '/healthz')).body).toEqual({status: 'ok', database: 'postgres'});

      const issued = await issueThenKill(server, apiKey!, await demoAchievementId(server, apiKey!));

      server = await startServer({env, port, dataDir});
      expectDemoNotRecreated(server);
      expect(server.stdout()).toContain(`[laurel] Using the development master key in ${join(dataDir, 'master.key')}`);
      await expectAllSurvived(server, apiKey!, issued);
    } finally {
      await server?.stop();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe('refused configuration', () => {
  const cases: {name: string; env: Record<string, string>; message: RegExp}[] = [
    {name: 'PORT=abc', env: {PORT: 'abc'}, message: /PORT must be a port number, got "abc"/},
    {name: 'DATABASE_URL=mysql://x', env: {DATABASE_URL: 'mysql://x'}, message: /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//},
    {name: 'LAUREL_PUBLIC_URL=not-a-url', env: {LAUREL_PUBLIC_URL: 'not-a-url'}, message: /LAUREL_PUBLIC_URL must be an absolute URL, got "not-a-url"/},
    {name: 'LAUREL_MASTER_KEY=short', env: {LAUREL_MASTER_KEY: 'short'}, message: /LAUREL_MASTER_KEY must be 32 bytes/},
  ];

  it('exits non-zero with a readable message and no stack trace', async () => {
    // All four at once: each is its own process with its own data directory.
    const runs = await Promise.all(cases.map(async c => {
      const port = await freePort();
      const dataDir = tempDir();
      return {c, dataDir, run: await runServerToEnd({...serverEnv(port, dataDir), ...c.env})};
    }));
    for(const {c, dataDir, run} of runs) {
      const said = `${c.name}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
      expect(run.code, said).toBe(1);
      expect(run.stderr, said).toMatch(new RegExp(`^\\[laurel\\] failed to start: ${c.message.source}`, 'm'));
      expect(run.stderr + run.stdout, said).not.toMatch(/^\s+at /m);
      expect(run.stdout, said).not.toContain('Laurel is running');
      // Refused before anything was written: no database was created.
      expect(existsSync(join(dataDir, 'pgdata')), said).toBe(false);
    }
  });
});
