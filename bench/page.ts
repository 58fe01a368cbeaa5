/**
 * (p) Public credential page throughput: `GET /c/<id>` (the HTML page, which
 * verifies the credential on every request) and `GET /c/<id>.json` (the stored
 * document), and the stored renders (certificate.pdf, og.png, badge.png), each for BENCH_PAGE_SECONDS (default 10) with autocannon, 10
 * connections, on 127.0.0.1.
 *
 * "From one core": the server (bench/page-server.ts, Laurel on PGlite with one
 * issued credential) runs as a child process pinned to CPU 0 with `taskset -c 0`
 * when taskset exists; autocannon runs in this (unpinned) process, so on a
 * 2-core machine it mostly gets the other core. Bounded: each run stops after
 * its duration, and the server stops when its stdin closes (or on its own timeout).
 */
import {type ChildProcess, execFileSync, spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import autocannon from 'autocannon';
import {firstJsonLine} from './measure.js';

const SECONDS = Number(process.env.BENCH_PAGE_SECONDS ?? 10);
const CONNECTIONS = 10;

/** One autocannon run. */
export interface PageResult {
  label: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

/** What page.ts ran and how. */
export interface PageReport {
  pinned: string;
  results: PageResult[];
}

function hasTaskset(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v taskset'], {stdio: 'ignore'});
    return true;
  } catch {
    return false;
  }
}

async function startServer(pin: boolean): Promise<{child: ChildProcess; address: string; id: string}> {
  const script = fileURLToPath(new URL('./page-server.ts', import.meta.url));
  const node = [process.execPath, '--import', 'tsx', script];
  const child = pin ? spawn('taskset', ['-c', '0', ...node], {stdio: ['pipe', 'pipe', 'inherit']})
    : spawn(node[0], node.slice(1), {stdio: ['pipe', 'pipe', 'inherit']});
  const {address, id} = await firstJsonLine(child, 'page server', 60_000) as {address: string; id: string};
  return {child, address, id};
}

async function cannon(label: string, url: string, accept: string): Promise<PageResult> {
  const result = await autocannon({url, connections: CONNECTIONS, duration: SECONDS, headers: {accept}});
  return {label, requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99,
    non2xx: result.non2xx, errors: result.errors + result.timeouts, total: result.requests.total};
}

/** Runs the page benchmark and returns its results (and prints progress). */
export async function runPage(): Promise<PageReport> {
  const pin = hasTaskset();
  const pinned = pin ? 'server pinned to CPU 0 (taskset -c 0), autocannon unpinned in the bench process'
    : 'taskset not found: server NOT pinned, autocannon in the bench process';
  console.log(`page: ${pinned}; ${CONNECTIONS} connections, ${SECONDS} s per URL`);
  const {child, address, id} = await startServer(pin);
  try {
    const base = new URL(`/c/${encodeURIComponent(id)}`, address).href;
    for(const [url, accept] of [[base, 'text/html'], [`${base}.json`, 'application/ld+json']]) {
      const check = await fetch(url, {headers: {accept}});
      const body = await check.text();
      if(check.status !== 200) throw new Error(`GET ${url}: ${check.status} ${body.slice(0, 200)}`);
      if(accept === 'text/html' && !/VERIFIED|Verified|verified/.test(body)) throw new Error(`GET ${url}: the page does not show a verification result`);
    }
    const results: PageResult[] = [];
    console.log('page: GET /c/<id> (HTML) …');
    results.push(await cannon('GET /c/<id> (HTML; server result cached 10 s)', base, 'text/html'));
    console.log('page: GET /c/<id>.json …');
    results.push(await cannon('GET /c/<id>.json', `${base}.json`, 'application/ld+json'));
    // Stored artifacts (issue 6): rendered once on the first request, then served from the renders table.
    for(const [file, type] of [['certificate.pdf', 'application/pdf'], ['og.png', 'image/png'], ['badge.png', 'image/png']] as const) {
      const first = await fetch(`${base}/${file}`);
      if(first.status !== 200 || !first.headers.get('content-type')?.startsWith(type)) throw new Error(`GET ${base}/${file}: ${first.status}`);
      await first.arrayBuffer();
      console.log(`page: GET /c/<id>/${file} …`);
      results.push(await cannon(`GET /c/<id>/${file} (stored render)`, `${base}/${file}`, type));
    }
    return {pinned, results};
  } finally {
    child.stdin!.end();
    await new Promise<void>(resolve => {
      if(child.exitCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', () => {
        clearTimeout(kill);
        resolve();
      });
    });
  }
}
