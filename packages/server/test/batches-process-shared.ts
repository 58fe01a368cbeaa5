// Shared by the bulk-issuance crash tests (batches-process-pglite/-postgres.test.ts): split in two
// files so that the two 10,000-row runs can go on in parallel.
import {spawn} from 'node:child_process';
import {afterAll} from 'vitest';
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

/** A `laurel worker` process (packages/server/src/worker.ts); resolves once it runs. */
export async function startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/worker.ts'], {cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  child.stdout!.on('data', c => { out += c; });
  child.stderr!.on('data', c => { out += c; });
  const exited = new Promise<void>(ok => child.on('exit', () => ok()));
  await until(async () => out.includes('Laurel worker is running') ? true : undefined, 60_000).catch(() => { throw new Error(`worker did not start:\n${out}`); });
  return {kill: () => child.kill('SIGKILL'), exited, output: () => out};
}

