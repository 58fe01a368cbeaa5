/**
 * Test harness: a Laurel app on a real database. Every suite runs on PGlite
 * (in memory) and, when TEST_DATABASE_URL is set, on PostgreSQL in a fresh
 * schema of its own, so parallel test files never see each other's rows.
 */
import {randomBytes} from 'node:crypto';
import pg from 'pg';
import {openDatabase} from '../src/db/open.js';
import type {Database} from '../src/db/database.js';
import {createLaurel, type LaurelOptions, type Services} from '../src/laurel.js';
import type {FastifyInstance} from 'fastify';

/** The backends to run against. */
export const BACKENDS: ('pglite' | 'postgres')[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const PUBLIC_URL = 'https://laurel.test';

/** Opens a fresh, migrated database of the given kind. */
export async function freshDatabase(kind: 'pglite' | 'postgres'): Promise<Database> {
  if(kind === 'pglite') return openDatabase({dataDir: null});
  const url = process.env.TEST_DATABASE_URL!;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({connectionString: url});
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const db = await openDatabase({databaseUrl: url, dataDir: null, schema});
  const close = db.close.bind(db);
  // Drop the schema when the suite ends.
  db.close = async () => {
    await close();
    const c = new pg.Client({connectionString: url});
    await c.connect();
    await c.query(`DROP SCHEMA ${schema} CASCADE`);
    // The job queue's own schema (jobs/queue.ts: `<schema>_boss`).
    await c.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
    await c.end();
  };
  return db;
}

/** A running test instance. */
export interface TestLaurel {
  app: FastifyInstance;
  services: Services;
  db: Database;
  clock: {now: Date};
  close(): Promise<void>;
}

/** Starts Laurel (not listening; use app.inject) on a fresh database. */
export async function startLaurel(kind: 'pglite' | 'postgres', options: Partial<LaurelOptions> = {}): Promise<TestLaurel> {
  const db = await freshDatabase(kind);
  const clock = {now: new Date('2026-03-01T12:00:00.000Z')};
  const {app, services} = await createLaurel({
    db, masterKey: randomBytes(32), publicUrl: PUBLIC_URL, adminToken: ADMIN_TOKEN,
    now: () => new Date(clock.now.getTime()), ...options,
  });
  await app.ready();
  return {app, services, db, clock, async close() {
    await app.close();
    await db.close();
  }};
}

/** Creates an organization through the API; returns its API key and body. */
export async function createOrg(app: FastifyInstance, body: Record<string, unknown> = {}): Promise<{apiKey: string; did: string; organization: any}> {
  const res = await app.inject({method: 'POST', url: '/api/v1/organizations', headers: {authorization: `Bearer ${ADMIN_TOKEN}`},
    payload: {name: 'Acme Academy', ...body}});
  if(res.statusCode !== 201) throw new Error(`createOrg failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A minimal valid achievement body. */
export const ACHIEVEMENT = {
  name: 'Teamwork',
  description: 'Works well in a team.',
  criteria: {narrative: 'Nominated by peers.'},
  achievementType: 'Badge',
};

/** Shorthand for an authenticated JSON request. */
export function api(app: FastifyInstance, apiKey: string) {
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({method, url, headers: {authorization: `Bearer ${apiKey}`, ...headers}, ...(payload !== undefined ? {payload: payload as any} : {})});
  return {
    get: (url: string, headers?: Record<string, string>) => call('GET', url, undefined, headers),
    post: (url: string, payload?: unknown, headers?: Record<string, string>) => call('POST', url, payload ?? {}, headers),
    put: (url: string, payload: unknown) => call('PUT', url, payload),
    patch: (url: string, payload: unknown) => call('PATCH', url, payload),
  };
}

/** Polls `probe` until it returns a value (not undefined), or fails after `ms`. Never a timing assertion: a deadline. */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for(;;) {
    const value = await probe();
    if(value !== undefined) return value;
    if(Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise(r => setTimeout(r, 25));
  }
}
