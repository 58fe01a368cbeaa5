/**
 * packages/server/bin/run.mjs, the launcher `npm start`, `npm run worker` and `laurel worker`
 * go through: TypeScript bundled to plain JavaScript, npm packages from node_modules, each
 * module keeping its own import.meta.url, lazy imports kept lazy, builds reused until an
 * input changes, and Node's heap flag applied. Real child processes, no loader in them; and
 * `laurel worker` (the CLI) going through it, against a real PostgreSQL when TEST_DATABASE_URL is set.
 */
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {toBase58btc} from '@laurel/core';
import pg from 'pg';
import {afterAll, describe, expect, it} from 'vitest';
import {buildEntry, launchArgs, NODE_FLAGS} from '../bin/run.mjs';
import {childEnv, removeTempDirs, REPO_ROOT, runToEnd, tempDir} from './process-helpers.js';

const CLI = 'packages/cli/bin/laurel.js';
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

const FIXTURE = fileURLToPath(new URL('./fixtures/launcher/entry.ts', import.meta.url));
const LAUNCHER = fileURLToPath(new URL('../bin/run.mjs', import.meta.url));
const temps: string[] = [];

afterAll(() => {
  for(const dir of temps) rmSync(dir, {recursive: true, force: true});
  removeTempDirs();
});

/** A throwaway entry (relative imports only) in its own temporary directory; its builds are removed afterwards. */
function tempEntry(): {dir: string; entry: string} {
  const dir = mkdtempSync(join(tmpdir(), 'laurel-launcher-'));
  temps.push(dir);
  writeFileSync(join(dir, 'entry.ts'), "import {word} from './word.js';\nconst n: number = 1;\nprocess.stdout.write(`${word()} ${n}\\n`);\n");
  writeFileSync(join(dir, 'word.ts'), "export const word = (): string => 'first';\n");
  return {dir, entry: join(dir, 'entry.ts')};
}

/** Remembers an entry's build directory for removal (…/<entry>/<build>/main.mjs). */
function forget(main: string): void {
  temps.push(dirname(dirname(main)));
}

describe('bin/run.mjs', () => {
  it('runs a TypeScript entry as a plain Node process, as the sources would run', async () => {
    const out = await runToEnd(launchArgs(FIXTURE, ['one', '--two']));
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const report = JSON.parse(out.stdout);
    // Each module keeps its source file's URL, so files beside the sources are found.
    expect(report.url).toBe(pathToFileURL(FIXTURE).href);
    expect(report.besideMe).toBe('next to entry.ts');
    expect(report.lazyAfter).toBe(pathToFileURL(join(dirname(FIXTURE), 'lazy.ts')).href);
    // The entry sees its own path and its arguments.
    expect(report.argv).toEqual([FIXTURE, 'one', '--two']);
    // Workspace packages are bundled from their sources, relative imports too.
    expect(report.workspace).toBe(toBase58btc(new TextEncoder().encode('laurel')));
    expect(report.helper).toBe('BUNDLED!');
    // A dynamic import stays lazy: its module is evaluated, and the npm packages it imports
    // are loaded, only when it is imported.
    expect(report.lazyBefore).toBe(false);
    expect(report.packageBefore).toBe(false);
    expect(report.packageAfter).toBe(true);
    // The heap flag is applied, and no TypeScript loader is in the process.
    const limit = Number(/--max-old-space-size=(\d+)/.exec(NODE_FLAGS.join(' '))![1]);
    expect(report.heapLimitMb).toBeGreaterThanOrEqual(limit);
    expect(report.heapLimitMb).toBeLessThan(limit + 128);
    expect(report.typescriptLoader).toBe(false);
    expect(report.runningFrom).toContain('/node_modules/.cache/laurel/');
    expect(report.runningFrom).toContain('main.mjs:');
  });

  it('still starts when the build cannot be stored, through tsx, and says so', async () => {
    const out = await runToEnd(launchArgs(FIXTURE, ['x']), {env: {LAUREL_BUILD_CACHE: '/dev/null/laurel-build'}});
    expect(out.code).toBe(0);
    expect(out.stderr).toContain('[laurel] cannot write the build cache in /dev/null/laurel-build');
    expect(out.stderr).toContain('Running the TypeScript sources through tsx instead');
    const report = JSON.parse(out.stdout);
    expect(report.runningFrom).toContain(FIXTURE);
    expect(report.url).toBe(pathToFileURL(FIXTURE).href);
    expect(report.argv).toEqual([FIXTURE, 'x']);
    expect(report.besideMe).toBe('next to entry.ts');
    expect(report.heapLimitMb).toBeLessThan(1200);
  });

  it('reuses a build until one of its inputs changes, and keeps the old build for processes that still use it', async () => {
    const {dir, entry} = tempEntry();
    const first = await buildEntry(entry);
    forget(first);
    expect(await buildEntry(entry)).toBe(first);
    expect((await runToEnd([LAUNCHER, entry])).stdout).toBe('first 1\n');
    // A changed import (not the entry itself) makes a new build.
    writeFileSync(join(dir, 'word.ts'), "export const word = (): string => 'second';\n");
    const second = await buildEntry(entry);
    expect(second).not.toBe(first);
    expect(existsSync(first)).toBe(true);
    expect((await runToEnd([LAUNCHER, entry])).stdout).toBe('second 1\n');
    // Back to the first text: the same output, so the same build directory.
    writeFileSync(join(dir, 'word.ts'), "export const word = (): string => 'first';\n");
    expect(await buildEntry(entry)).toBe(first);
  });

  it('lets processes that start together build the same entry', async () => {
    const {dir, entry} = tempEntry();
    writeFileSync(join(dir, 'word.ts'), "export const word = (): string => 'together';\n");
    const runs = await Promise.all(Array.from({length: 4}, () => runToEnd([LAUNCHER, entry])));
    for(const run of runs) expect({code: run.code, stdout: run.stdout, stderr: run.stderr}).toEqual({code: 0, stdout: 'together 1\n', stderr: ''});
    forget(await buildEntry(entry));
  });

  it('refuses a missing entry and a broken one with a clear message', async () => {
    const usage = await runToEnd([LAUNCHER]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: node packages/server/bin/run.mjs <entry.ts>');
    const missing = await runToEnd([LAUNCHER, join(tmpdir(), 'laurel-no-such-entry.ts')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('laurel-no-such-entry.ts');
    const {dir, entry} = tempEntry();
    writeFileSync(join(dir, 'word.ts'), 'export const word = (: string => ;\n');
    const broken = await runToEnd([LAUNCHER, entry]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('word.ts');
  });

  it('writes source maps, so that NODE_OPTIONS=--enable-source-maps gives TypeScript file names and lines', async () => {
    const {dir, entry} = tempEntry();
    writeFileSync(join(dir, 'word.ts'), "export const word = (): string => {\n  const n: number = 2;\n  throw new Error(`word ${n}`);\n};\n");
    const mapped = await runToEnd([LAUNCHER, entry], {env: {NODE_OPTIONS: '--enable-source-maps'}});
    expect(mapped.code).not.toBe(0);
    expect(mapped.stderr).toContain('Error: word 2');
    expect(mapped.stderr).toContain(`${join(dir, 'word.ts')}:3:9`);
    forget(await buildEntry(entry));
  });

  it('is how package.json starts the server and the worker, with the same Node flags', () => {
    const {scripts} = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>};
    for(const [script, entry] of [['start', 'packages/server/src/main.ts'], ['worker', 'packages/server/src/worker.ts']]) {
      expect(scripts[script]).toBe(`node ${NODE_FLAGS.join(' ')} packages/server/bin/run.mjs ${entry}`);
      expect(existsSync(resolve(REPO_ROOT, entry))).toBe(true);
    }
  });
});

describe('laurel worker (the CLI), started through the launcher', () => {
  it('refuses arguments, and the embedded database, with a clear message', async () => {
    const extra = await runToEnd([CLI, 'worker', 'now']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('laurel worker takes no arguments');
    const embedded = await runToEnd([CLI, 'worker'], {env: {LAUREL_DATA_DIR: tempDir()}});
    expect(embedded.code).toBe(2);
    expect(embedded.stderr).toContain('needs DATABASE_URL');
  });

  it.skipIf(!TEST_DATABASE_URL)('runs the jobs against PostgreSQL and stops cleanly on SIGTERM', async () => {
    const dbName = `laurel_launch_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({connectionString: TEST_DATABASE_URL});
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    try {
      const url = new URL(TEST_DATABASE_URL!);
      url.pathname = `/${dbName}`;
      const child = spawn(process.execPath, [CLI, 'worker'], {cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
        env: childEnv({DATABASE_URL: url.toString(), LAUREL_DATA_DIR: tempDir(), LAUREL_MASTER_KEY: randomBytes(32).toString('hex')})});
      let out = '';
      child.stdout.on('data', c => { out += c; });
      child.stderr.on('data', c => { out += c; });
      const exited = new Promise<number | null>(ok => child.on('exit', code => ok(code)));
      const deadline = Date.now() + 60_000;
      while(!out.includes('Laurel worker is running') && Date.now() < deadline && child.exitCode === null) await new Promise(r => setTimeout(r, 100));
      expect(out).toContain('Laurel worker is running');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('SIGTERM: finishing the jobs in hand');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  });
});
