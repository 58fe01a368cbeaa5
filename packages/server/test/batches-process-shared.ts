// Shared by the bulk-issuance crash tests (batches-process-pglite/-postgres.test.ts): split in two
// files so that the two 10,000-row runs can go on in parallel.
import {spawn} from 'node:child_process';
import {afterAll, expect} from 'vitest';
import {launchArgs} from '../bin/run.mjs';
import {childEnv, killAll, REPO_ROOT, removeTempDirs, type ServerProcess} from './process-helpers.js';

export const API_KEY_LINE = /Demo API key[^:]*: (lrl_\S+)/;
export const ROWS = 10_000;
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/** Kills what a file started and removes its directories, after all its tests. */
export function cleanUpAfterAll(): void {
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });
}

export async function call(server: ServerProcess, method: string, path: string, apiKey: string, body?: BodyInit, type?: string) {
  const res = await fetch(`${server.baseUrl}${path}`, {method, headers: {authorization: `Bearer ${apiKey}`, ...(type ? {'content-type': type} : {})}, body});
  const text = await res.text();
  return {status: res.status, body: text ? JSON.parse(text) : undefined};
}

export async function until<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for(;;) {
    const value = await probe().catch(() => undefined);
    if(value !== undefined) return value;
    if(Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise(r => setTimeout(r, 20));
  }
}

/** Creates an achievement and uploads a ROWS-row CSV batch for it (202); returns the achievement and batch ids and the batch's path. */
export async function uploadBatch(server: ServerProcess, apiKey: string): Promise<{achievementId: string; batchId: string; path: string}> {
  const achievement = await call(server, 'POST', '/api/v1/achievements', apiKey, JSON.stringify({name: 'Conference 2026',
    description: 'Attended.', criteria: {narrative: 'Was there.'}, achievementType: 'Badge'}), 'application/json');
  expect(achievement.status).toBe(201);
  let csv = 'Name,Email\n';
  for(let i = 0; i < ROWS; i++) csv += `Attendee ${i},attendee${i}@example.org\n`;
  const form = new FormData();
  form.set('achievementId', achievement.body.id);
  form.set('mapping', JSON.stringify({name: 'Name', email: 'Email'}));
  form.set('file', new Blob([csv], {type: 'text/csv'}), 'attendees.csv');
  const started = await call(server, 'POST', '/api/v1/batches', apiKey, form);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return {achievementId: achievement.body.id, batchId: started.body.id, path: `/api/v1/batches/${started.body.id}`};
}

/** A `laurel worker` process (packages/server/src/worker.ts); resolves once it runs. */
export async function startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, launchArgs('packages/server/src/worker.ts'), {cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  child.stdout!.on('data', c => { out += c; });
  child.stderr!.on('data', c => { out += c; });
  const exited = new Promise<void>(ok => child.on('exit', () => ok()));
  await until(async () => out.includes('Laurel worker is running') ? true : undefined, 60_000).catch(() => { throw new Error(`worker did not start:\n${out}`); });
  return {kill: () => child.kill('SIGKILL'), exited, output: () => out};
}

