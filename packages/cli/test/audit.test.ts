// `laurel audit verify` as a child process against a real Laurel server listening on
// 127.0.0.1 (in this process, on PGlite): intact, then edited directly in the database.
import type {AddressInfo} from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, createOrg, startLaurel, type TestLaurel} from '../../server/test/harness.js';
import {runCli} from './run-cli.js';

let t: TestLaurel;
let base: string;
let key: string;
let orgId: string;

beforeAll(async () => {
  t = await startLaurel('pglite');
  await t.app.listen({port: 0, host: '127.0.0.1'});
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const org = await createOrg(t.app, {slug: 'acme'});
  key = org.apiKey;
  orgId = org.organization.id;
  for(let i = 0; i < 4; i++) {
    const id = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: `Badge ${i}`})).json().id;
    await api(t.app, key).post(`/api/v1/achievements/${id}/archive`);
  }
  await api(t.app, key).post('/api/v1/organization/keys/rotate');
  // 2 + 8 + 1 = 11 entries.
});

afterAll(() => t.close());

const verify = (...extra: string[]) => runCli(['audit', 'verify', '--url', base, '--api-key', key, '--allow-http', ...extra]);

describe('laurel audit verify', () => {
  it('exits 0 for an intact log, and says what it checked', async () => {
    const run = await verify();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`INTACT: audit log of organization ${orgId} at ${base}/`);
    expect(run.stdout).toMatch(/11 entries, head at entry 11 \([0-9a-f]{16}…\), instance key z6Mk/);
    const json = JSON.parse((await verify('--json')).stdout);
    expect(json).toMatchObject({organizationId: orgId, head: {seq: 11}, pinned: false, result: {ok: true, entries: 11, problems: []}});
  });

  it('exits 1 after an entry is edited in the database, naming its seq', async () => {
    await t.db.query("UPDATE audit_entries SET action = 'achievement.created' WHERE organization_id = $1 AND seq = 4", [orgId]);
    try {
      const run = await verify();
      expect(run.code).toBe(1);
      expect(run.stdout.split('\n')[0]).toMatch(/^NOT INTACT: /);
      expect(run.stdout).toMatch(/✗ AUDIT_HASH_MISMATCH\s+seq 4: Entry 4 does not match its hash/);
      const json = JSON.parse((await verify('--json')).stdout);
      expect(json.result.problems).toEqual([{seq: 4, code: 'AUDIT_HASH_MISMATCH', message: expect.any(String)}]);
    } finally {
      await t.db.query("UPDATE audit_entries SET action = 'achievement.archived' WHERE organization_id = $1 AND seq = 4", [orgId]);
    }
    expect((await verify()).code).toBe(0);
  });

  it('exits 1 when the tail is removed, and when the head is checked with a pinned key it was not signed with', async () => {
    const saved = (await t.db.query('SELECT * FROM audit_entries WHERE organization_id = $1 AND seq > 9', [orgId])).rows;
    await t.db.query('DELETE FROM audit_entries WHERE organization_id = $1 AND seq > 9', [orgId]);
    try {
      const run = await verify();
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/✗ AUDIT_TRUNCATED\s+head: The signed head is at entry 11 but the log ends at entry 9/);
    } finally {
      for(const r of saved as any[]) {
        await t.db.query(`INSERT INTO audit_entries (organization_id, seq, at, actor, action, subject_type, subject_id, before, after, prev_hash, hash)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [r.organization_id, r.seq, r.at, JSON.stringify(r.actor), r.action, r.subject_type, r.subject_id,
          r.before === null ? null : JSON.stringify(r.before), r.after === null ? null : JSON.stringify(r.after), r.prev_hash, r.hash]);
      }
    }
    expect((await verify()).code).toBe(0);
    // Some other Ed25519 key (the 1EdTech vector's issuer key): the served head does not verify with it.
    const run = await verify('--public-key', 'z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ AUDIT_HEAD_SIGNATURE_INVALID\s+head: /);
    const pinned = (await api(t.app, key).get('/api/v1/audit/head')).json().publicKeyMultibase;
    expect((await verify('--public-key', pinned)).code).toBe(0);
  });

  it('exits 1 when the server refuses the key, 2 for usage errors', async () => {
    const refused = await runCli(['audit', 'verify', '--url', base, '--api-key', 'lrl_000000000000_nope', '--allow-http']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot verify the audit log .* 401/);
    const usage = [
      ['audit', 'verify', '--url', base, '--api-key', key],
      ['audit', 'verify', '--url', base, '--allow-http'],
      ['audit', 'verify', '--api-key', key],
      ['audit', 'verify', '--url', 'not a url', '--api-key', key],
      ['audit', 'verify', '--url', base, '--api-key', key, '--allow-http', '--public-key', 'nope'],
      ['audit', 'check'],
      ['audit'],
    ];
    const runs = await Promise.all(usage.map(args => runCli(args)));
    runs.forEach((run, i) => {
      expect(run.code, usage[i].join(' ')).toBe(2);
      expect(run.stderr).toContain("Run 'laurel audit verify --help' for usage.");
    });
    const help = await runCli(['audit', 'verify', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: laurel audit verify/);
  });
});
