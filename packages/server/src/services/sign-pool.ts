/**
 * Signing on every core: a pool of worker threads (sign-worker.ts, bundled by esbuild on
 * first use), one per core beside the calling thread, so a 2-core machine runs one worker.
 * Bulk issuance signs each chunk on the workers alone while the job's thread does the
 * database work of the chunk before (batches.ts); an API group commit is split over the
 * workers and the calling thread, which signs its own share meanwhile (it would otherwise
 * sit idle in the open transaction). Small groups are signed in the calling thread alone:
 * a round trip to a worker costs more than a few signatures.
 *
 * Worker heaps are capped (WORKER_LIMITS): a worker keeps only its canonicalizer's
 * caches between chunks, and an uncapped heap lets garbage grow to hundreds of MB
 * before V8 collects it.
 */
import {createHash} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import {availableParallelism, tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';
import type {SignTask} from './sign-task.js';

/** Heap caps of a signing thread (MB): far above what one chunk needs, far below V8's defaults. */
const WORKER_LIMITS = {maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16};

type Pending = {resolve: (signed: Record<string, unknown>[]) => void; reject: (error: Error) => void; slot: number};

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

/**
 * A pool of signing threads. A thread that dies (out of its capped heap, or killed) fails
 * the work it held, which the caller then signs in its own thread, and is replaced, so the
 * pool never hands work to a dead thread.
 */
export class SignPool {
  private next = 0;
  private seq = 0;
  private closing = false;
  private readonly pending = new Map<number, Pending>();
  private readonly workers: Worker[] = [];
  /** Threads started so far, replacements included (tests, monitoring). */
  started = 0;

  private constructor(private readonly file: string, size: number) {
    for(let slot = 0; slot < size; slot++) this.workers.push(this.spawn(slot));
  }

  /** Starts `size` workers (default: one per core beside the calling thread's, at least one). */
  static async create(size = Math.max(1, availableParallelism() - 1)): Promise<SignPool> {
    return new SignPool(await workerScript(), size);
  }

  private spawn(slot: number): Worker {
    const w = new Worker(this.file, {resourceLimits: WORKER_LIMITS});
    this.started++;
    w.on('message', (m: {id: number; signed?: Record<string, unknown>[]; error?: string}) => {
      const p = this.pending.get(m.id);
      if(!p) return;
      this.pending.delete(m.id);
      if(m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.signed!);
    });
    const fail = (error: Error) => {
      for(const [id, p] of this.pending) {
        if(p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(error);
      }
    };
    // 'error' (e.g. ERR_WORKER_OUT_OF_MEMORY) comes before 'exit'; an exit alone (terminated) fails the rest.
    w.on('error', fail);
    w.on('exit', code => {
      fail(new Error(`a signing thread exited (code ${code})`));
      if(!this.closing && this.workers[slot] === w) this.workers[slot] = this.spawn(slot);
    });
    w.unref();
    return w;
  }

  /** Number of worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Signs the tasks, in order, split over the workers and, when `here` is given, the
   * calling thread (`here` signs the last share while the workers sign theirs).
   */
  async signAll(tasks: SignTask[], here?: (tasks: SignTask[]) => Promise<Record<string, unknown>[]>): Promise<Record<string, unknown>[]> {
    const n = this.workers.length + (here ? 1 : 0);
    const size = Math.ceil(tasks.length / n);
    const parts: Promise<Record<string, unknown>[]>[] = [];
    for(let i = 0; i < tasks.length; i += size) {
      const part = tasks.slice(i, i + size);
      // The workers get theirs first (postMessage returns at once), then this thread signs the last share.
      parts.push(here && i + size >= tasks.length ? Promise.resolve().then(() => here(part)) : this.send(part));
    }
    return (await Promise.all(parts)).flat();
  }

  private send(tasks: SignTask[]): Promise<Record<string, unknown>[]> {
    const id = ++this.seq;
    const slot = this.next++ % this.workers.length;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject, slot});
      this.workers[slot].postMessage({id, tasks});
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map(w => w.terminate()));
  }
}
