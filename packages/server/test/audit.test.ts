// The audit log through the HTTP API, on every backend: an entry for each state change
// with its actor, before and after; listing, filters and pagination; the CSV export's
// formula neutralisation; tenant isolation; and tampering made directly in the database,
// one edit at a time, each of which verification must detect.
import {generateKeyPairSync, randomBytes, sign} from 'node:crypto';
import {auditHeadMessage, hashAuditEntry, verifyChain} from '@laurel/core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {csvCell} from '../src/services/csv.js';
import {ACHIEVEMENT, ADMIN_TOKEN, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';

/** A small seeded PRNG (mulberry32): the tamper test is random but repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RFC 4180 parser, enough for the export (quoted cells, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for(let i = 0; i < text.length; i++) {
    const c = text[i];
    if(quoted) {
      if(c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if(c === '"') quoted = false; else cell += c;
    } else if(c === '"') quoted = true;
    else if(c === ',') { row.push(cell); cell = ''; }
    else if(c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  if(cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

const del = (t: TestLaurel, apiKey: string, url: string) => t.app.inject({method: 'DELETE', url, headers: {authorization: `Bearer ${apiKey}`}});

describe.each(BACKENDS)('audit log (%s)', kind => {
  let t: TestLaurel;
  let key: string;
  let orgId: string;
  let defaultKeyId: string;

  /** Every entry of an organization, in chain order. */
  const entries = async (apiKey = key, query = ''): Promise<any[]> => {
    const res = await api(t.app, apiKey).get(`/api/v1/audit?order=asc&limit=1000${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items;
  };
  const last = async (apiKey = key) => (await entries(apiKey)).at(-1);
  const verify = async (apiKey = key) => {
    const res = await api(t.app, apiKey).get('/api/v1/audit/verify');
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await startLaurel(kind);
    const org = await createOrg(t.app, {slug: 'acme'});
    key = org.apiKey;
    orgId = org.organization.id;
    defaultKeyId = (await api(t.app, key).get('/api/v1/api-keys')).json().items[0].id;
  });
  afterAll(() => t.close());

  it('records the creation of an organization by the admin, with its default API key, as the start of its chain', async () => {
    const [created, apiKey] = await entries();
    expect(created).toMatchObject({organizationId: orgId, seq: 1, at: '2026-03-01T12:00:00.000Z', actor: {type: 'admin'},
      action: 'organization.created', subjectType: 'organization', subjectId: orgId, before: null,
      after: {slug: 'acme', name: 'Acme Academy', didMethod: 'web', did: 'did:web:laurel.test:issuers:acme',
        verificationMethod: 'did:web:laurel.test:issuers:acme#key-1', linkedinOrganizationId: null}});
    expect(created.prevHash).toBe('0'.repeat(64));
    expect(apiKey).toMatchObject({seq: 2, action: 'api_key.created', subjectType: 'api_key', subjectId: defaultKeyId,
      after: {name: 'default', prefix: expect.stringMatching(/^lrl_[0-9a-f]{12}$/)}, prevHash: created.hash});
    expect(JSON.stringify(apiKey)).not.toContain(key);
  });

  it('records a key rotation with the API key as actor, the retired key before and the new one after', async () => {
    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    expect((await api(t.app, key).post('/api/v1/organization/keys/rotate')).statusCode).toBe(200);
    const entry = await last();
    expect(entry).toMatchObject({action: 'signing_key.rotated', subjectType: 'signing_key', at: '2026-03-01T12:00:01.000Z',
      actor: {type: 'api_key', id: defaultKeyId, label: expect.stringMatching(/^lrl_[0-9a-f]{12}… default$/)},
      before: {active: {verificationMethod: 'did:web:laurel.test:issuers:acme#key-1', validFrom: '2026-03-01T12:00:00.000Z'}},
      after: {active: {id: entry.subjectId, verificationMethod: 'did:web:laurel.test:issuers:acme#key-2', validFrom: '2026-03-01T12:00:01.000Z'},
        retired: {id: entry.before.active.id, validUntil: '2026-03-01T12:00:01.000Z'}}});
  });

  it('PATCH /api/v1/organization changes settings; the entry holds the changed fields only, and a no-op writes none', async () => {
    const res = await api(t.app, key).patch('/api/v1/organization', {name: 'Acme Academy of Arts', linkedinOrganizationId: '1337', url: null});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({name: 'Acme Academy of Arts', linkedinOrganizationId: '1337', url: null, slug: 'acme'});
    // The auth cache held the old row; this process sees the change at once.
    expect((await api(t.app, key).get('/api/v1/organization')).json().name).toBe('Acme Academy of Arts');
    const updated = await last();
    expect(updated).toMatchObject({action: 'organization.updated', subjectType: 'organization', subjectId: orgId});
    expect(updated.before).toEqual({name: 'Acme Academy', linkedinOrganizationId: null});
    expect(updated.after).toEqual({name: 'Acme Academy of Arts', linkedinOrganizationId: '1337'});
    const count = (await entries()).length;
    expect((await api(t.app, key).patch('/api/v1/organization', {name: 'Acme Academy of Arts'})).statusCode).toBe(200);
    expect((await entries()).length).toBe(count);
    const cleared = await api(t.app, key).patch('/api/v1/organization', {linkedinOrganizationId: null});
    expect(cleared.json().linkedinOrganizationId).toBeNull();
    expect((await last()).before).toEqual({linkedinOrganizationId: '1337'});
    for(const bad of [{linkedinOrganizationId: 'acme'}, {slug: 'other'}, {name: ''}, {email: 'nope'}]) {
      const r = await api(t.app, key).patch('/api/v1/organization', bad);
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      expect(r.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('API keys: the secret is shown once, lists never show it, a revoked key stops at once, the last key cannot go', async () => {
    const created = await api(t.app, key).post('/api/v1/api-keys', {name: 'ci'});
    expect(created.statusCode, created.body).toBe(201);
    const ci = created.json();
    expect(ci).toMatchObject({name: 'ci', prefix: expect.stringMatching(/^lrl_[0-9a-f]{12}$/), revokedAt: null, apiKey: expect.stringMatching(/^lrl_/)});
    expect(ci.apiKey.startsWith(`${ci.prefix}_`)).toBe(true);
    expect(await last()).toMatchObject({action: 'api_key.created', subjectId: ci.id, actor: {id: defaultKeyId}, after: {name: 'ci', prefix: ci.prefix}});

    // The new key works (and is now in the auth cache), and is the actor of what it changes.
    const achievement = await api(t.app, ci.apiKey).post('/api/v1/achievements', ACHIEVEMENT);
    expect(achievement.statusCode).toBe(201);
    expect((await last()).actor).toEqual({type: 'api_key', id: ci.id, label: `${ci.prefix}… ci`});

    const list = await api(t.app, key).get('/api/v1/api-keys');
    expect(list.json().items.map((k: any) => k.name)).toEqual(['default', 'ci']);
    expect(list.body).not.toContain(ci.apiKey);
    expect(list.body).not.toMatch(/secret|hash/i);

    t.clock.now = new Date(t.clock.now.getTime() + 1000);
    const revoked = await del(t, key, `/api/v1/api-keys/${ci.id}`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({id: ci.id, revokedAt: t.clock.now.toISOString()});
    expect((await api(t.app, ci.apiKey).get('/api/v1/organization')).statusCode).toBe(401);
    expect(await last()).toMatchObject({action: 'api_key.revoked', subjectId: ci.id, actor: {id: defaultKeyId},
      before: {name: 'ci', revokedAt: null}, after: {name: 'ci', revokedAt: t.clock.now.toISOString()}});

    // Revoking again changes nothing and records nothing.
    const count = (await entries()).length;
    expect((await del(t, key, `/api/v1/api-keys/${ci.id}`)).json().revokedAt).toBe(revoked.json().revokedAt);
    expect((await entries()).length).toBe(count);

    for(const id of ['00000000-0000-4000-8000-000000000000', 'garbage']) {
      const missing = await del(t, key, `/api/v1/api-keys/${id}`);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('API_KEY_NOT_FOUND');
    }
    const lastKey = await del(t, key, `/api/v1/api-keys/${defaultKeyId}`);
    expect(lastKey.statusCode).toBe(409);
    expect(lastKey.json().code).toBe('LAST_API_KEY');
    expect((await api(t.app, key).get('/api/v1/organization')).statusCode).toBe(200);
  });

  it('records achievement create, PUT, PATCH, archive and unarchive with before and after', async () => {
    const created = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Audited'})).json();
    expect(await last()).toMatchObject({action: 'achievement.created', subjectType: 'achievement', subjectId: created.id, before: null,
      after: {status: 'active', name: 'Audited', description: ACHIEVEMENT.description, criteria: ACHIEVEMENT.criteria}});
    await api(t.app, key).put(`/api/v1/achievements/${created.id}`, {...ACHIEVEMENT, name: 'Audited v2'});
    expect(await last()).toMatchObject({action: 'achievement.updated', before: {name: 'Audited'}, after: {name: 'Audited v2'}});
    await api(t.app, key).patch(`/api/v1/achievements/${created.id}`, {tags: ['x']});
    expect(await last()).toMatchObject({action: 'achievement.updated', before: {name: 'Audited v2'}, after: {name: 'Audited v2', tags: ['x']}});
    expect((await last()).before.tags).toBeUndefined();
    await api(t.app, key).post(`/api/v1/achievements/${created.id}/archive`);
    expect(await last()).toMatchObject({action: 'achievement.archived', before: {status: 'active'}, after: {status: 'archived'}});
    const count = (await entries()).length;
    await api(t.app, key).post(`/api/v1/achievements/${created.id}/archive`);
    expect((await entries()).length).toBe(count);
    await api(t.app, key).post(`/api/v1/achievements/${created.id}/unarchive`);
    expect(await last()).toMatchObject({action: 'achievement.unarchived', before: {status: 'archived'}, after: {status: 'active'}});
    // A failed change records nothing.
    expect((await api(t.app, key).put('/api/v1/achievements/nope', ACHIEVEMENT)).statusCode).toBe(404);
    expect((await entries()).length).toBe(count + 1);
  });

  it('lists newest first with filters and cursor pagination', async () => {
    const all = await entries();
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await api(t.app, key).get(`/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((e: any) => e.seq));
      cursor = res.json().nextCursor;
    } while(cursor);
    expect(seen).toEqual(all.map(e => e.seq).reverse());
    expect(seen).toEqual(Array.from({length: all.length}, (_, i) => all.length - i));

    const archived = (await api(t.app, key).get('/api/v1/audit?action=achievement.archived')).json().items;
    expect(archived.length).toBeGreaterThan(0);
    expect(archived.every((e: any) => e.action === 'achievement.archived')).toBe(true);
    const subject = archived[0].subjectId;
    const history = (await api(t.app, key).get(`/api/v1/audit?subjectId=${subject}&order=asc`)).json().items;
    expect(history.map((e: any) => e.action)).toEqual(['achievement.created', 'achievement.updated', 'achievement.updated', 'achievement.archived', 'achievement.unarchived']);
    const keys = (await api(t.app, key).get('/api/v1/audit?subjectType=api_key')).json().items;
    expect(new Set(keys.map((e: any) => e.subjectType))).toEqual(new Set(['api_key']));

    const later = (await api(t.app, key).get('/api/v1/audit?since=2026-03-01T12:00:01Z')).json().items;
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((e: any) => e.at >= '2026-03-01T12:00:01.000Z')).toBe(true);
    const earlier = (await api(t.app, key).get('/api/v1/audit?until=2026-03-01T12:00:01Z')).json().items;
    expect(earlier.map((e: any) => e.seq).sort()).toEqual([1, 2]);

    const resumed = (await api(t.app, key).get('/api/v1/audit?order=asc&afterSeq=3&limit=2')).json();
    expect(resumed.items.map((e: any) => e.seq)).toEqual([4, 5]);
    expect((await api(t.app, key).get(`/api/v1/audit?order=asc&afterSeq=3&limit=2&cursor=${resumed.nextCursor}`)).json().items.map((e: any) => e.seq)).toEqual([6, 7]);

    for(const bad of ['afterSeq=-1', 'cursor=garbage', 'since=yesterday', 'limit=0', 'limit=1001', 'order=up', 'unknown=1']) {
      const res = await api(t.app, key).get(`/api/v1/audit?${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await t.app.inject({method: 'GET', url: '/api/v1/audit'})).statusCode).toBe(401);
  });

  it('signs the head with the instance key: the chain verifies on the server and with the core alone', async () => {
    const head = (await api(t.app, key).get('/api/v1/audit/head')).json();
    const all = await entries();
    expect(head).toMatchObject({organizationId: orgId, seq: all.length, hash: all.at(-1).hash, entries: all.length,
      signature: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/), publicKeyMultibase: expect.stringMatching(/^z6Mk/)});
    expect(await verify()).toEqual({ok: true, entries: all.length, problems: [], omittedProblems: 0});
    const {decodeEd25519PublicKey} = await import('@laurel/core');
    const publicKey = decodeEd25519PublicKey(head.publicKeyMultibase)!;
    expect((await verifyChain(all, head, publicKey)).ok).toBe(true);
    const {publicKey: other} = generateKeyPairSync('ed25519');
    const wrong = await verifyChain(all, head, new Uint8Array(other.export({format: 'der', type: 'spki'}).subarray(12)));
    expect(wrong.problems.map(p => p.code)).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID']);
    // One instance key, made once.
    expect((await t.db.query<{n: number}>('SELECT count(*)::int AS n FROM instance_keys')).rows[0].n).toBe(1);
  });

  it('keeps tenants apart: another organization sees only its own log', async () => {
    const other = await createOrg(t.app, {slug: 'other', name: 'Other Org'});
    const mine = await entries();
    const theirs = await entries(other.apiKey);
    expect(theirs.map(e => e.action)).toEqual(['organization.created', 'api_key.created']);
    expect(theirs.every(e => e.organizationId === other.organization.id)).toBe(true);
    expect(theirs[0].prevHash).toBe('0'.repeat(64));
    const subject = mine.find(e => e.subjectType === 'achievement')!.subjectId;
    expect((await api(t.app, other.apiKey).get(`/api/v1/audit?subjectId=${subject}`)).json().items).toEqual([]);
    expect((await del(t, other.apiKey, `/api/v1/api-keys/${defaultKeyId}`)).statusCode).toBe(404);
    const csv = (await api(t.app, other.apiKey).get('/api/v1/audit/export.csv')).body;
    expect(csv).not.toContain(orgId);
    expect(csv).not.toContain(subject);
    expect(await verify(other.apiKey)).toMatchObject({ok: true, entries: 2});
    expect((await api(t.app, other.apiKey).get('/api/v1/audit/head')).json()).toMatchObject({seq: 2, entries: 2});
  });

  it('exports CSV in chain order with every formula-like cell neutralised', async () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    for(const v of ['+1', '-1', '@SUM(1)', '\tx', '\rx', '＝1']) expect(csvCell(v)).toBe(`"'${v}"`);
    expect(csvCell('plain, "quoted"\nline')).toBe('"plain, ""quoted""\nline"');

    const hostile = await createOrg(t.app, {slug: 'hostile', name: '=HYPERLINK("http://x")'});
    const h = api(t.app, hostile.apiKey);
    for(const name of ['+1', '-1', '@SUM(1)']) expect((await h.post('/api/v1/achievements', {...ACHIEVEMENT, name})).statusCode).toBe(201);
    expect((await h.post('/api/v1/api-keys', {name: '=cmd|"/c calc"!A1'})).statusCode).toBe(201);
    // Callers choose subjects and actions (credential ids are random base64url and may start with "-"):
    // every column gets a hostile value at its start.
    await t.db.transaction(tx => t.services.audit.append(tx, [{organizationId: hostile.organization.id,
      actor: {type: 'api_key', id: '=1+1', label: '@SUM(1)'}, action: '+cmd', subjectType: '-x', subjectId: '=HYPERLINK("http://x")',
      before: -1, after: '\t=1'}]));

    const res = await h.get('/api/v1/audit/export.csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="audit-hostile.csv"');
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(['seq', 'at', 'actor_type', 'actor_id', 'actor_label', 'action', 'subject_type', 'subject_id',
      'before', 'after', 'prev_hash', 'hash']);
    const items = await entries(hostile.apiKey);
    expect(rows.length).toBe(items.length + 1);
    for(const row of rows) {
      expect(row).toHaveLength(12);
      for(const cell of row) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    expect(rows.slice(1).map(r => Number(r[0]))).toEqual(items.map(e => e.seq));
    expect(rows[1][9]).toContain('"name":"=HYPERLINK(\\"http://x\\")"');
    const forged = rows.at(-1)!;
    expect(forged.slice(2, 10)).toEqual(['api_key', "'=1+1", "'@SUM(1)", "'+cmd", "'-x", `'=HYPERLINK("http://x")`, "'-1", '"\\t=1"']);
    expect(forged[10]).toBe(items.at(-2).hash);
    expect(forged[11]).toBe(items.at(-1).hash);
    expect((await verify(hostile.apiKey)).ok).toBe(true);
  });

  it('chains a group commit for several organizations: one lock and one signature per organization', async () => {
    const a = await createOrg(t.app, {slug: 'group-a'});
    const b = await createOrg(t.app, {slug: 'group-b'});
    await t.db.transaction(tx => t.services.audit.append(tx, Array.from({length: 64}, (_, i) => ({
      organizationId: i % 2 ? a.organization.id : b.organization.id, actor: {type: 'system', job: 'test'} as const,
      action: 'credential.issued', subjectType: 'credential', subjectId: `c${i}`,
      // Stored and hashed as JSON carries them: the Date as its ISO string, the undefined field gone.
      after: {i, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), gone: undefined}}))));
    for(const org of [a, b]) {
      const log = await entries(org.apiKey);
      expect(log.map(e => e.seq)).toEqual(Array.from({length: 34}, (_, i) => i + 1));
      expect(log[2].after).toEqual({i: org === a ? 1 : 0, at: `2026-01-01T00:00:0${org === a ? 1 : 0}.000Z`});
      expect(await verify(org.apiKey)).toMatchObject({ok: true, entries: 34});
    }
    // A rolled-back transaction leaves no entry and the head where it was.
    await expect(t.db.transaction(async tx => {
      await t.services.audit.append(tx, [{organizationId: a.organization.id, actor: {type: 'admin'}, action: 'x.y', subjectType: 'x', subjectId: 'y'}]);
      throw new Error('rollback');
    })).rejects.toThrow('rollback');
    expect(await verify(a.apiKey)).toMatchObject({ok: true, entries: 34});
    // The next appends chain on from the committed head (on PGlite it is remembered in memory, and a
    // rollback must not move it), also when one transaction appends twice (issuance, then a revocation).
    const entry = (subjectId: string) => ({organizationId: a.organization.id, actor: {type: 'admin'} as const, action: 'x.y', subjectType: 'x', subjectId});
    await t.db.transaction(async tx => {
      await t.services.audit.append(tx, [entry('first')]);
      await t.services.audit.append(tx, [entry('second'), entry('third')]);
    });
    await t.db.transaction(tx => t.services.audit.append(tx, [entry('fourth')]));
    const log = await entries(a.apiKey);
    expect(log.slice(34).map(e => [e.seq, e.subjectId])).toEqual([[35, 'first'], [36, 'second'], [37, 'third'], [38, 'fourth']]);
    expect(await verify(a.apiKey)).toMatchObject({ok: true, entries: 38});
  });

  describe('tampering in the database', () => {
    let tamperKey: string;
    let tamperOrg: string;
    const q = (sql: string, params: unknown[] = []) => t.db.query(sql, params);

    beforeAll(async () => {
      const org = await createOrg(t.app, {slug: 'tamper'});
      tamperKey = org.apiKey;
      tamperOrg = org.organization.id;
      const a = api(t.app, tamperKey);
      const second = (await a.post('/api/v1/api-keys', {name: 'second'})).json().apiKey;
      for(let i = 0; i < 70; i++) {
        t.clock.now = new Date(t.clock.now.getTime() + 7);
        const id = (await api(t.app, i % 3 ? tamperKey : second).post('/api/v1/achievements', {...ACHIEVEMENT, name: `A${i}`})).json().id;
        await a.put(`/api/v1/achievements/${id}`, {...ACHIEVEMENT, name: `A${i} v2`, tags: [`t${i}`]});
        if(i < 60) await a.post(`/api/v1/achievements/${id}/archive`);
      }
      await a.patch('/api/v1/organization', {url: 'https://tamper.example', linkedinOrganizationId: '42'});
      await q('CREATE TABLE audit_entries_backup AS SELECT * FROM audit_entries WHERE organization_id = $1', [tamperOrg]);
      await q('CREATE TABLE audit_heads_backup AS SELECT * FROM audit_heads WHERE organization_id = $1', [tamperOrg]);
      await q('CREATE TABLE instance_keys_backup AS SELECT * FROM instance_keys');
    });

    const restore = async () => {
      await q('DELETE FROM audit_entries WHERE organization_id = $1', [tamperOrg]);
      await q('INSERT INTO audit_entries SELECT * FROM audit_entries_backup');
      await q(`UPDATE audit_heads h SET seq = b.seq, hash = b.hash, signature = b.signature, key_id = b.key_id
               FROM audit_heads_backup b WHERE h.organization_id = b.organization_id`);
    };
    const count = async () => (await q('SELECT count(*)::int AS n FROM audit_entries WHERE organization_id = $1', [tamperOrg])).rows[0].n as number;

    it('detects each of 100 random edits, removals, swaps and truncations, one at a time', async () => {
      const n = await count();
      expect(n).toBeGreaterThanOrEqual(200);
      expect(await verify(tamperKey)).toMatchObject({ok: true, entries: n});
      const seed = Number(process.env.AUDIT_TAMPER_SEED ?? 20260301);
      const random = prng(seed);
      const pick = (from: number, to: number) => from + Math.floor(random() * (to - from + 1));
      const where = 'organization_id = $1 AND seq = $2';
      type Edit = {kind: string; seq: number; expectSeqs: number[]; expectCodes?: string[]; run(): Promise<unknown>};
      const edits: Record<string, (seq: number) => Edit> = {
        before: seq => ({kind: 'before', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET before = CASE
          WHEN before IS NULL THEN '{"tampered": true}'::jsonb WHEN $3::boolean THEN NULL ELSE jsonb_set(before, '{name}', '"edited"') END WHERE ${where}`,
          [tamperOrg, seq, random() < 0.3])}),
        after: seq => ({kind: 'after', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET after = CASE
          WHEN after IS NULL THEN '{"tampered": true}'::jsonb WHEN $3::boolean THEN NULL ELSE after || '{"status": "edited"}'::jsonb END WHERE ${where}`,
          [tamperOrg, seq, random() < 0.3])}),
        action: seq => ({kind: 'action', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET action = CASE
          WHEN action = 'achievement.updated' THEN 'achievement.created' ELSE 'achievement.updated' END WHERE ${where}`, [tamperOrg, seq])}),
        actor: seq => ({kind: 'actor', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET actor = CASE
          WHEN actor->>'type' = 'admin' THEN '{"type": "system"}'::jsonb ELSE jsonb_set(actor, '{label}', '"someone else"') END WHERE ${where}`, [tamperOrg, seq])}),
        at: seq => ({kind: 'at', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET at = at - interval '1 day' WHERE ${where}`, [tamperOrg, seq])}),
        // Below the millisecond: a JS Date would not even see it.
        atMicro: seq => ({kind: 'atMicro', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET at = at + interval '1 microsecond' WHERE ${where}`, [tamperOrg, seq])}),
        subject: seq => ({kind: 'subject', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET subject_id = subject_id || 'x' WHERE ${where}`, [tamperOrg, seq])}),
        hash: seq => ({kind: 'hash', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET hash = set_byte(hash, $3, get_byte(hash, $3) # $4) WHERE ${where}`,
          [tamperOrg, seq, pick(0, 31), 1 << pick(0, 7)])}),
        prevHash: seq => ({kind: 'prevHash', seq, expectSeqs: [seq], run: () => q(`UPDATE audit_entries SET prev_hash = set_byte(prev_hash, $3, get_byte(prev_hash, $3) # $4) WHERE ${where}`,
          [tamperOrg, seq, pick(0, 31), 1 << pick(0, 7)])}),
        delete: seq => ({kind: 'delete', seq, expectSeqs: seq === n ? [] : [seq + 1], expectCodes: seq === n ? ['AUDIT_TRUNCATED'] : ['AUDIT_SEQ_GAP'],
          run: () => q(`DELETE FROM audit_entries WHERE ${where}`, [tamperOrg, seq])}),
        swap: seq => {
          const other = seq === n ? seq - 1 : seq + pick(1, Math.min(5, n - seq));
          return {kind: 'swap', seq, expectSeqs: [seq, other], run: async () => {
            await q('UPDATE audit_entries SET seq = -1 WHERE organization_id = $1 AND seq = $2', [tamperOrg, seq]);
            await q('UPDATE audit_entries SET seq = $3 WHERE organization_id = $1 AND seq = $2', [tamperOrg, other, seq]);
            await q('UPDATE audit_entries SET seq = $2 WHERE organization_id = $1 AND seq = -1', [tamperOrg, other]);
          }};
        },
        truncate: () => {
          const k = pick(1, 5);
          return {kind: 'truncate', seq: n - k + 1, expectSeqs: [], expectCodes: ['AUDIT_TRUNCATED'],
            run: () => q('DELETE FROM audit_entries WHERE organization_id = $1 AND seq > $2', [tamperOrg, n - k])};
        },
      };
      const kinds = Object.keys(edits);
      const done: Record<string, number> = {};
      for(let i = 0; i < 100; i++) {
        // Every kind at least once, then at random.
        const kind = i < kinds.length ? kinds[i] : kinds[pick(0, kinds.length - 1)];
        const edit = edits[kind](pick(1, n));
        await edit.run();
        const result = await verify(tamperKey);
        const label = `edit ${i} (${edit.kind} at seq ${edit.seq}, seed ${seed}): ${JSON.stringify(result.problems)}`;
        expect(result.ok, label).toBe(false);
        for(const seq of edit.expectSeqs) expect(result.problems.some((p: any) => p.seq === seq), label).toBe(true);
        for(const code of edit.expectCodes ?? []) expect(result.problems.some((p: any) => p.code === code), label).toBe(true);
        done[kind] = (done[kind] ?? 0) + 1;
        await restore();
        expect((await verify(tamperKey)).ok, `restore after ${label}`).toBe(true);
      }
      expect(Object.keys(done).sort()).toEqual([...kinds].sort());
    });

    it('detects a forged head: a bad signature, a head moved back over a removed tail, a substituted instance key, a re-hashed chain', async () => {
      const codes = async () => (await verify(tamperKey)).problems.map((p: any) => p.code);
      const head = (await q('SELECT * FROM audit_heads WHERE organization_id = $1', [tamperOrg])).rows[0] as any;
      const n = Number(head.seq);

      await q('UPDATE audit_heads SET signature = $2 WHERE organization_id = $1', [tamperOrg, randomBytes(64)]);
      expect(await codes()).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID']);
      await restore();

      // Remove the tail and move the head back onto the new last entry: its old signature no longer fits.
      const entry = (await q('SELECT hash FROM audit_entries WHERE organization_id = $1 AND seq = $2', [tamperOrg, n - 3])).rows[0] as any;
      await q('DELETE FROM audit_entries WHERE organization_id = $1 AND seq > $2', [tamperOrg, n - 3]);
      await q('UPDATE audit_heads SET seq = $2, hash = $3 WHERE organization_id = $1', [tamperOrg, n - 3, entry.hash]);
      expect(await codes()).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID']);
      await restore();

      // An attacker's own key, registered as an instance key (or replacing the real one's public key), signing a moved head.
      const attacker = generateKeyPairSync('ed25519');
      const attackerPublic = attacker.publicKey.export({format: 'der', type: 'spki'}).subarray(12);
      const attackerId = '11111111-1111-4111-8111-111111111111';
      await q('INSERT INTO instance_keys (id, public_key, encrypted_secret) VALUES ($1, $2, $3)', [attackerId, attackerPublic, randomBytes(60)]);
      await q('DELETE FROM audit_entries WHERE organization_id = $1 AND seq > $2', [tamperOrg, n - 3]);
      const forged = sign(null, auditHeadMessage(tamperOrg, n - 3, Buffer.from(entry.hash).toString('hex')), attacker.privateKey);
      await q('UPDATE audit_heads SET seq = $2, hash = $3, signature = $4, key_id = $5 WHERE organization_id = $1', [tamperOrg, n - 3, entry.hash, forged, attackerId]);
      expect(await codes()).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID']);
      await q('UPDATE audit_heads SET key_id = $2 WHERE organization_id = $1', [tamperOrg, head.key_id]);
      await q('UPDATE instance_keys SET public_key = $2 WHERE id = $1', [head.key_id, attackerPublic]);
      expect(await codes()).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID']);
      // The published key is the authentic one, derived from the decrypted secret, not the edited column.
      const published = (await api(t.app, tamperKey).get('/api/v1/audit/head')).json().publicKeyMultibase;
      const {encodeEd25519PublicKey} = await import('@laurel/core');
      expect(published).not.toBe(encodeEd25519PublicKey(attackerPublic));
      await restore();
      await q('DELETE FROM instance_keys WHERE id = $1', [attackerId]);
      await q('UPDATE instance_keys k SET public_key = b.public_key FROM instance_keys_backup b WHERE k.id = b.id');
      expect((await verify(tamperKey)).ok).toBe(true);

      // Edit an entry and recompute every hash after it: the chain is consistent again, the signed head is not.
      const rows = (await t.services.audit.list({id: tamperOrg} as any, {limit: 1000, order: 'asc'})).items;
      const start = 100;
      rows[start - 1].after = {name: 'rewritten'};
      let prev = Buffer.from(rows[start - 2].hash, 'hex');
      for(const row of rows.slice(start - 1)) {
        const hash = Buffer.from(hashAuditEntry(prev, row));
        await q('UPDATE audit_entries SET after = $3::jsonb, prev_hash = $4, hash = $5 WHERE organization_id = $1 AND seq = $2',
          [tamperOrg, row.seq, JSON.stringify(row.after), prev, hash]);
        prev = hash;
      }
      expect(await codes()).toEqual(['AUDIT_HEAD_MISMATCH']);
      await q('UPDATE audit_heads SET hash = $2 WHERE organization_id = $1', [tamperOrg, prev]);
      expect(await codes()).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID']);
      await restore();
      expect((await verify(tamperKey)).ok).toBe(true);
    });
  });

  it('20 concurrent key rotations and settings changes give one gap-free, verifiable chain', async () => {
    const org = await createOrg(t.app, {slug: 'busy'});
    const a = api(t.app, org.apiKey);
    const results = await Promise.all(Array.from({length: 20}, (_, i) => i % 2
      ? a.post('/api/v1/organization/keys/rotate')
      : a.patch('/api/v1/organization', {name: `Busy ${i}`})));
    expect(results.map(r => r.statusCode)).toEqual(Array(20).fill(200));
    const log = await entries(org.apiKey);
    expect(log.map(e => e.seq)).toEqual(Array.from({length: 22}, (_, i) => i + 1));
    expect(log.filter(e => e.action === 'signing_key.rotated')).toHaveLength(10);
    expect(log.filter(e => e.action === 'organization.updated')).toHaveLength(10);
    // Every rotation retired the key the one before it made.
    const rotations = log.filter(e => e.action === 'signing_key.rotated');
    for(let i = 1; i < rotations.length; i++) expect(rotations[i].before.active.id).toBe(rotations[i - 1].after.active.id);
    expect(await verify(org.apiKey)).toMatchObject({ok: true, entries: 22});
  });

  it('answers 401 without a key and never lets the admin token read a log', async () => {
    for(const url of ['/api/v1/audit', '/api/v1/audit/export.csv', '/api/v1/audit/head', '/api/v1/audit/verify']) {
      expect((await t.app.inject({method: 'GET', url})).statusCode).toBe(401);
      expect((await t.app.inject({method: 'GET', url, headers: {authorization: `Bearer ${ADMIN_TOKEN}`}})).statusCode).toBe(401);
    }
  });
});
