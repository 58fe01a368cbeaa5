/**
 * Fixed-duration throughput measurement: a warm-up, then N rounds of equal
 * length; each round reports ops/s, and the bench reports the median round,
 * the mean over all rounds (total ops / total time) and the min–max spread.
 */
import type {ChildProcess} from 'node:child_process';

/** How long to warm up and measure, from the environment. */
export interface BenchConfig {
  /** Measured seconds per bench, split evenly over the rounds (BENCH_SECONDS, default 3). */
  seconds: number;
  /** Number of rounds (BENCH_ROUNDS, default 3). */
  rounds: number;
  /** Warm-up seconds before the rounds (BENCH_WARMUP, default 1). */
  warmup: number;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if(raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if(!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

export function configFromEnv(): BenchConfig {
  return {
    seconds: positive('BENCH_SECONDS', 3),
    rounds: Math.max(1, Math.round(positive('BENCH_ROUNDS', 3))),
    warmup: positive('BENCH_WARMUP', 1),
  };
}

/** One end-to-end result (bench/e2e.ts `runE2E`): a label and a throughput in operations per second. */
export interface E2EResult {
  /** issue: POST /api/v1/credentials (d); verify: POST /api/v1/verify (dv). */
  kind: 'issue' | 'verify';
  database: 'pglite' | 'postgres';
  label: string;
  perSecond: number;
}

/** Result of one bench. */
export interface Stats {
  label: string;
  /** ops/s of each round. */
  rounds: number[];
  median: number;
  /** Total ops / total measured time. */
  mean: number;
  min: number;
  max: number;
  /** Half the min–max range, as a percentage of the median. */
  spreadPct: number;
  totalOps: number;
  /** CPU time this process used / wall time, while measuring (≈100% for one busy thread). */
  cpuPct: number;
  /** Total ops / CPU seconds this process used: less sensitive to other processes taking the CPU. */
  perCpuSecond: number;
  unit: string;
}

/**
 * One batch of work: performs some operations (in sequence, or a fixed number
 * in flight) and returns how many it completed.
 */
export type Batch = () => number | Promise<number>;

/** A bench to run: a label, its batch and the unit of its rate. */
export interface BenchSpec {
  label: string;
  batch: Batch;
  unit: string;
}

const now = () => performance.now();

async function runFor(ms: number, batch: Batch): Promise<{ops: number; elapsed: number; cpu: number}> {
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  let t = t0;
  while(t - t0 < ms) {
    const r = batch();
    ops += typeof r === 'number' ? r : await r;
    t = now();
  }
  const cpu = process.cpuUsage(cpu0);
  return {ops, elapsed: t - t0, cpu: (cpu.user + cpu.system) / 1000};
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Warms every bench up (config.warmup seconds each), then runs config.rounds
 * rounds; in each round every bench runs for config.seconds / config.rounds.
 * Interleaving the rounds spreads any slow period of a shared machine over all
 * benches, so ratios between benches stay meaningful (compare them per round).
 */
export async function measureInterleaved(specs: BenchSpec[], config: BenchConfig,
  progress: (message: string) => void = () => {}): Promise<Stats[]> {
  for(const spec of specs) {
    progress(`warm-up ${spec.label}`);
    await runFor(config.warmup * 1000, spec.batch);
  }
  const roundMs = (config.seconds * 1000) / config.rounds;
  const acc = specs.map(() => ({rounds: [] as number[], ops: 0, ms: 0, cpu: 0}));
  for(let r = 0; r < config.rounds; r++) {
    progress(`round ${r + 1}/${config.rounds}`);
    for(const [i, spec] of specs.entries()) {
      const {ops, elapsed, cpu} = await runFor(roundMs, spec.batch);
      acc[i].rounds.push(ops / (elapsed / 1000));
      acc[i].ops += ops;
      acc[i].ms += elapsed;
      acc[i].cpu += cpu;
    }
  }
  return specs.map((spec, i) => {
    const {rounds, ops, ms, cpu} = acc[i];
    const med = median(rounds);
    const min = Math.min(...rounds);
    const max = Math.max(...rounds);
    return {label: spec.label, rounds, median: med, mean: ops / (ms / 1000), min, max,
      spreadPct: med > 0 ? ((max - min) / 2 / med) * 100 : 0, totalOps: ops, cpuPct: (cpu / ms) * 100,
      perCpuSecond: cpu > 0 ? ops / (cpu / 1000) : 0, unit: spec.unit};
  });
}

// ---------------------------------------------------------------------------
// Formatting

export function fmtRate(n: number): string {
  if(n >= 100) return Math.round(n).toLocaleString('en-US');
  if(n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function fmtMicros(opsPerSecond: number): string {
  if(opsPerSecond <= 0) return '-';
  const us = 1e6 / opsPerSecond;
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}

/** Renders rows as an aligned text table; numeric-looking columns are right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
  const right = header.map((_, i) => i > 0);
  const line = (cells: string[]) => cells.map((c, i) => right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])).join('  ');
  const sep = widths.map(w => '-'.repeat(w)).join('  ');
  return [line(header), sep, ...rows.map(line)].join('\n');
}

export function statsRow(s: Stats): string[] {
  return [
    s.label,
    fmtRate(s.median),
    fmtRate(s.mean),
    `${fmtRate(s.min)} – ${fmtRate(s.max)}`,
    `±${s.spreadPct.toFixed(1)}%`,
    fmtMicros(s.median),
    s.totalOps.toLocaleString('en-US'),
    `${Math.round(s.cpuPct)}%`,
    fmtRate(s.perCpuSecond),
  ];
}

export const STATS_HEADER = ['bench', 'median/s', 'mean/s', 'min – max (rounds)', 'spread', 'time/op', 'ops', 'cpu', 'per cpu-s'];

/**
 * The first line a child process prints on stdout, parsed as JSON (bench servers announce
 * themselves so). Rejects, after killing the child, when no line comes within `timeoutMs`,
 * and when the child exits first.
 */
export function firstJsonLine(child: ChildProcess, name: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} gave no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stdout!.on('data', chunk => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if(newline < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffered.slice(0, newline)));
      } catch(error) {
        reject(error);
      }
    });
    child.on('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it answered`));
    });
  });
}

