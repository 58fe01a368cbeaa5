/**
 * Signing on every core: a pool of worker threads (sign-worker.ts, bundled by esbuild on
 * first use) for bulk issuance. A chunk's credentials are split over the workers; the main
 * thread (which on PGlite also runs the database) waits, so signing uses both cores of a
 * 2-core machine. Small groups are signed in the calling thread: a round trip to a worker
 * costs more than a few signatures.
 */
import {createHash} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import {availableParallelism, tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';
import type {SignTask} from './sign-worker.js';

type Pending = {resolve: (signed: Record<string, unknown>[]) => void; reject: (error: Error) => void};

/** The worker script, bundled once per process. */
let bundled: Promise<string> | null = null;
function workerScript(): Promise<string> {
  bundled ??= (async () => {
    const esbuild = await import('esbuild');
    const entry = fileURLToPath(new URL('./sign-worker.ts', import.meta.url));
    const result = await esbuild.build({entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', write: false,
      target: 'node20', logLevel: 'silent',
      // CommonJS dependencies bundled into ESM need a require.
      banner: {js: "import {createRequire as __cr} from 'node:module'; const require = __cr(import.meta.url);"}});
    const code = result.outputFiles[0].text;
    const dir = join(tmpdir(), 'laurel');
    mkdirSync(dir, {recursive: true});
    const file = join(dir, `sign-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
    writeFileSync(file, code);
    return file;
  })();
  return bundled;
}

/** A pool of signing threads. */
export class SignPool {
  private next = 0;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly workers: Worker[]) {
    for(const w of workers) {
      w.on('message', (m: {id: number; signed?: Record<string, unknown>[]; error?: string}) => {
        const p = this.pending.get(m.id);
        if(!p) return;
        this.pending.delete(m.id);
        if(m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.signed!);
      });
      w.on('error', error => {
        for(const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
      w.unref();
    }
  }

  /** Starts `size` workers (default: the number of cores, at least 2). */
  static async create(size = Math.max(2, availableParallelism())): Promise<SignPool> {
    const file = await workerScript();
    return new SignPool(Array.from({length: size}, () => new Worker(file)));
  }

  /** Signs the tasks, in order, split over the workers. */
  async signAll(tasks: SignTask[]): Promise<Record<string, unknown>[]> {
    const n = this.workers.length;
    const size = Math.ceil(tasks.length / n);
    const parts = [];
    for(let i = 0; i < tasks.length; i += size) parts.push(this.send(tasks.slice(i, i + size)));
    return (await Promise.all(parts)).flat();
  }

  private send(tasks: SignTask[]): Promise<Record<string, unknown>[]> {
    const id = ++this.seq;
    const worker = this.workers[this.next++ % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject});
      worker.postMessage({id, tasks});
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(w => w.terminate()));
  }
}
