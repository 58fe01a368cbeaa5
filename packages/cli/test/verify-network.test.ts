import {mkdtempSync, writeFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {didWebIssuer, issueCredential, testKey} from './credentials.js';
import {runCli} from './run-cli.js';

// A local Laurel-like instance on plain http: did:web:127.0.0.1%3A<port> serves its
// DID document at /.well-known/did.json and a credential at /c/x. Nothing leaves the machine.
let server: Server;
let base: string;
const dir = mkdtempSync(join(tmpdir(), 'laurel-cli-net-'));
const files: Record<string, string> = {};
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

const json = (body: unknown, type = 'application/json') => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, {'content-type': type}).end(JSON.stringify(body));
};

const listen = (s: Server) => new Promise<number>(resolve => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

/** A port on which nothing listens: bound once, then released. */
async function deadPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise(resolve => s.close(resolve));
  return port;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const handler = routes.get(req.url ?? '');
    if(handler) handler(req, res);
    else res.writeHead(404).end();
  });
  const port = await listen(server);
  base = `http://127.0.0.1:${port}`;
  const host = `did:web:127.0.0.1%3A${port}`;
  const key = testKey(2);

  const issuer = didWebIssuer(host, key);
  const credential = await issueCredential(issuer, `${base}/c/x`);
  routes.set('/.well-known/did.json', json(issuer.document, 'application/did+json'));
  routes.set('/c/x', (req, res) => {
    // Content negotiation: a Laurel instance serves HTML unless JSON is asked for.
    if(/json/.test(req.headers.accept ?? '')) json(credential, 'application/ld+json')(req, res);
    else res.writeHead(406).end();
  });
  files.web = join(dir, 'web.json');
  writeFileSync(files.web, JSON.stringify(credential));

  // A DID document over 1 MiB, streamed in chunks with no content-length, so only counting can stop it.
  const big = didWebIssuer(`${host}:big`, key);
  routes.set('/big/did.json', (_req, res) => {
    res.writeHead(200, {'content-type': 'application/json'});
    res.write(`{"id": ${JSON.stringify(big.did)}, "padding": "`);
    const chunk = 'x'.repeat(64 * 1024);
    for(let i = 0; i < 24; i++) res.write(chunk);
    res.end(`", "verificationMethod": ${JSON.stringify(big.document.verificationMethod)}, "assertionMethod": ${JSON.stringify(big.document.assertionMethod)}}`);
  });
  files.big = join(dir, 'big.json');
  writeFileSync(files.big, JSON.stringify(await issueCredential(big)));

  // did:web documents must be served at their own URL; a redirect is not followed.
  const moved = didWebIssuer(`${host}:moved`, key);
  routes.set('/moved/did.json', (_req, res) => res.writeHead(302, {location: '/.well-known/did.json'}).end());
  files.moved = join(dir, 'moved.json');
  writeFileSync(files.moved, JSON.stringify(await issueCredential(moved)));

  const unreachable = didWebIssuer(`did:web:127.0.0.1%3A${await deadPort()}`, key);
  files.unreachable = join(dir, 'unreachable.json');
  writeFileSync(files.unreachable, JSON.stringify(await issueCredential(unreachable)));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
});

const issuerCheck = (stdout: string) => (JSON.parse(stdout).checks as {check: string; code: string; message: string}[]).find(c => c.check === 'issuer')!;

describe.concurrent('laurel verify with did:web', () => {
  it('verifies a credential fetched by URL from a local http instance with --allow-http', async () => {
    const run = await runCli(['verify', `${base}/c/x`, '--allow-http']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`VERIFIED: ${base}/c/x`);
    expect(run.stdout).toMatch(/✓ ISSUER_VALID /);
  });

  it('refuses a plain http credential URL without --allow-http: exit 2', async () => {
    const run = await runCli(['verify', `${base}/c/x`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--allow-http');
    expect(run.stdout).toBe('');
  });

  it('resolves did:web over https only without --allow-http: ISSUER_UNRESOLVED, exit 1', async () => {
    const run = await runCli(['verify', files.web, '--json']);
    expect(run.code).toBe(1);
    expect(issuerCheck(run.stdout).code).toBe('ISSUER_UNRESOLVED');
  });

  it('reports an unreachable did:web host as ISSUER_UNRESOLVED, not a crash', async () => {
    const run = await runCli(['verify', files.unreachable, '--allow-http', '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(issuerCheck(run.stdout).code).toBe('ISSUER_UNRESOLVED');
  });

  it('stops reading a DID document larger than 1 MiB: ISSUER_UNRESOLVED', async () => {
    const run = await runCli(['verify', files.big, '--allow-http', '--json']);
    expect(run.code).toBe(1);
    expect(issuerCheck(run.stdout)).toMatchObject({code: 'ISSUER_UNRESOLVED', message: expect.stringContaining('larger than')});
  });

  it('does not follow a redirect for a DID document: ISSUER_UNRESOLVED', async () => {
    const run = await runCli(['verify', files.moved, '--allow-http', '--json']);
    expect(run.code).toBe(1);
    expect(issuerCheck(run.stdout)).toMatchObject({code: 'ISSUER_UNRESOLVED', message: expect.stringContaining('redirect')});
  });
});
