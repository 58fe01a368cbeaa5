/**
 * Helpers for process-level tests: the real `npm start` entry point run as a
 * child process, with its own data directory and port, the way an operator runs it.
 */
import {type ChildProcess, spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {launchArgs} from '../bin/run.mjs';

/** The monorepo root: child processes run from here, as `npm start` does. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** PGlite takes 5–15 s to start (longer on a first start, which runs initdb). */
export const START_TIMEOUT_MS = 60_000;

// Settings the developer's shell may carry that would leak into a child.
const LAUREL_ENV = ['PORT', 'HOST', 'DATABASE_URL', 'LAUREL_DATA_DIR', 'LAUREL_PUBLIC_URL', 'LAUREL_ADMIN_TOKEN',
  'LAUREL_MASTER_KEY', 'LAUREL_DEMO', 'LAUREL_TRUST_PROXY', 'LOG_LEVEL', 'NODE_OPTIONS', 'LAUREL_TEST_JOBS', 'LAUREL_BULK_REVOKE_CHUNK',
  'LAUREL_BATCH_CHUNK', 'LAUREL_UPLOAD_MAX_ROWS', 'LAUREL_UPLOAD_MAX_BYTES', 'SMTP_URL', 'MAIL_FROM', 'MAIL_RATE',
  'LAUREL_BATCH_SLICE_SECONDS', 'LAUREL_JOB_MAINTENANCE_SECONDS', 'LAUREL_WORKERS', 'LAUREL_PGLITE_SHARED_BUFFERS', 'LAUREL_BUILD_CACHE'];

/** The parent's environment without Laurel's settings, plus `extra`. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env};
  for(const name of LAUREL_ENV) delete env[name];
  return {...env, ...extra};
}

/** A port nobody listens on right now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number};
      server.close(() => ok(port));
    });
  });
}

/** A fresh temporary directory; `removeAll` deletes every one made. */
const tempDirs: string[] = [];
export function tempDir(prefix = 'laurel-proc-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for(const dir of tempDirs.splice(0)) rmSync(dir, {recursive: true, force: true});
}

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned Laurel server. */
export interface ServerProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  dataDir: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** The `[laurel] …` lines of stdout. */
  laurelLines(): string[];
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /** Sends a signal (no-op once exited). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<Exit>;
}

const running = new Set<ServerProcess>();

/** Spawns the server as `npm start` does (bin/run.mjs, packages/server/src/main.ts) with the given environment. Does not wait for it to start. */
export function spawnServer(options: {env: Record<string, string>; port: number; dataDir: string}): ServerProcess {
  const child = spawn(process.execPath, launchArgs('packages/server/src/main.ts'), {
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  let hasExited = false;
  const exited = new Promise<Exit>(ok => child.on('exit', (code, signal) => {
    hasExited = true;
    running.delete(server);
    ok({code, signal});
  }));
  const server: ServerProcess = {
    child,
    port: options.port,
    baseUrl: `http://127.0.0.1:${options.port}`,
    dataDir: options.dataDir,
    stdout: () => out,
    stderr: () => err,
    laurelLines: () => out.split('\n').filter(line => line.startsWith('[laurel]')),
    exited,
    kill(signal) {
      if(!hasExited) child.kill(signal);
    },
    async stop(graceMs = 10_000) {
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
  };
  running.add(server);
  return server;
}

/** Resolves once the server printed "Laurel is running"; rejects (with its output) if it exits or times out first. */
export async function waitUntilRunning(server: ServerProcess, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const started = Date.now();
  while(!server.stdout().includes('Laurel is running at')) {
    const exit = await Promise.race([server.exited, new Promise<null>(ok => setTimeout(() => ok(null), 50))]);
    if(exit) throw new Error(`server exited before it was running (code ${exit.code}, signal ${exit.signal})\n${dumpOutput(server)}`);
    if(Date.now() - started > timeoutMs) {
      server.kill('SIGKILL');
      throw new Error(`server did not start within ${timeoutMs} ms\n${dumpOutput(server)}`);
    }
  }
}

/** Spawns a server and waits for it to run. */
export async function startServer(options: {env: Record<string, string>; port: number; dataDir: string}): Promise<ServerProcess> {
  const server = spawnServer(options);
  await waitUntilRunning(server);
  return server;
}

/** The usual environment for a server on 127.0.0.1:<port> whose public URL is that origin. */
export function serverEnv(port: number, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    LAUREL_DATA_DIR: dataDir,
    LAUREL_PUBLIC_URL: `http://127.0.0.1:${port}`,
    // The per-request access log is noise here; the [laurel] lines are console.log and unaffected.
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** SIGKILLs every server still running (afterAll safety net). */
export async function killAll(): Promise<void> {
  const all = [...running];
  for(const server of all) server.kill('SIGKILL');
  await Promise.all(all.map(s => s.exited));
}

/** Output of a finished process. */
export interface Finished extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (SIGKILL after `timeoutMs`). */
export function runToEnd(args: string[], options: {env?: Record<string, string>; timeoutMs?: number} = {}): Promise<Finished> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, args, {cwd: REPO_ROOT, env: childEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? START_TIMEOUT_MS);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({code, signal, stdout, stderr});
    });
  });
}

/** Runs the server entry point with `env` and waits for it to exit (for configurations that must be refused). */
export function runServerToEnd(env: Record<string, string>, timeoutMs = START_TIMEOUT_MS): Promise<Finished> {
  return runToEnd(launchArgs('packages/server/src/main.ts'), {env, timeoutMs});
}

/** A server's output, for failure messages. */
export function dumpOutput(server: ServerProcess): string {
  return `--- stdout ---\n${server.stdout()}\n--- stderr ---\n${server.stderr()}`;
}
