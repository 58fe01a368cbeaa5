// Credential lifecycle through the HTTP API, on every backend: status entries, the
// published Bitstring Status Lists, revoke / suspend / reinstate / renew, bulk
// revocation, expiry filters, and what verification says about each.
import {randomBytes} from 'node:crypto';
import {gunzipSync} from 'node:zlib';
import pg from 'pg';
import {decodeStatusList, signPresentation, VC_V2_CONTEXT, verifyCredential} from '@laurel/core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {openDatabase} from '../src/db/open.js';
import {createLaurel} from '../src/laurel.js';
import {randomDidKey} from '../../core/test/helpers.js';
import {ACHIEVEMENT, eventually, ADMIN_TOKEN, api, BACKENDS, createOrg, PUBLIC_URL, startLaurel, type TestLaurel} from './harness.js';


describe.each(BACKENDS)('credential lifecycle (%s)', kind => {
  let t: TestLaurel;
  let key: string;
  let otherKey: string;
  let achievementId: string;
  let otherAchievementId: string;

  const issue = async (body: Record<string, unknown> = {}, apiKey = key) => {
    const res = await api(t.app, apiKey).post('/api/v1/credentials', {achievementId, recipient: {name: 'Ada Lovelace', email: 'ada@example.org'}, ...body});
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const statusCheck = async (vc: unknown) => {
    const result = await t.services.verification.verify(vc);
    return {result, status: result.checks.find(c => c.check === 'status')!};
  };
  /** The bits of a credential's published lists, read through the public route. */
  const publishedBits = async (vc: any) => {
    const out: Record<string, boolean> = {};
    for(const entry of vc.credentialStatus) {
      const res = await t.app.inject({method: 'GET', url: new URL(entry.statusListCredential).pathname});
      expect(res.statusCode).toBe(200);
      const list = res.json();
      const bits = await decodeStatusList(list.credentialSubject.encodedList);
      const i = Number(entry.statusListIndex);
      out[entry.statusPurpose] = (bits[i >> 3] & (0x80 >> (i & 7))) !== 0;
    }
    return out;
  };

  beforeAll(async () => {
    t = await startLaurel(kind);
    ({apiKey: key} = await createOrg(t.app, {slug: 'acme'}));
    ({apiKey: otherKey} = await createOrg(t.app, {slug: 'other', name: 'Other Org'}));
    achievementId = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, validityMonths: 12})).json().id;
    otherAchievementId = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Leadership'})).json().id;
  });
  afterAll(() => t.close());

  it('gives every credential a revocation and a suspension entry on one random index, and it verifies STATUS_VALID', async () => {
    const body = await issue();
    const vc = body.credential;
    expect(vc.credentialStatus).toHaveLength(2);
    const [revocation, suspension] = vc.credentialStatus;
    expect(revocation).toMatchObject({type: 'BitstringStatusListEntry', statusPurpose: 'revocation'});
    expect(suspension).toMatchObject({type: 'BitstringStatusListEntry', statusPurpose: 'suspension', statusListIndex: revocation.statusListIndex});
    expect(revocation.statusListCredential).toMatch(/^https:\/\/laurel\.test\/status\/[A-Za-z0-9_-]{22}\/revocation$/);
    expect(revocation.id).toBe(`${revocation.statusListCredential}#${revocation.statusListIndex}`);
    expect(revocation.statusListIndex).toMatch(/^\d+$/);
    expect(body.status).toBe('active');
    const {result, status} = await statusCheck(vc);
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(status).toMatchObject({code: 'STATUS_VALID', status: 'passed'});
  });

  it('serves each list as a signed BitstringStatusListCredential: ttl = max-age, ETag, 304, gzip', async () => {
    const vc = (await issue()).credential;
    const url = new URL(vc.credentialStatus[0].statusListCredential).pathname;
    const res = await t.app.inject({method: 'GET', url});
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
    const list = res.json();
    expect(list.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
    expect(list.credentialSubject).toMatchObject({type: 'BitstringStatusList', statusPurpose: 'revocation'});
    expect(list.credentialSubject.encodedList).toMatch(/^u[A-Za-z0-9_-]+$/);
    expect(res.headers['cache-control']).toBe(`public, max-age=${list.credentialSubject.ttl / 1000}`);
    expect(list.issuer).toBe(vc.issuer.id);
    const verified = await t.services.verification.verify(list);
    expect(verified.errors).toEqual([]);
    expect((await decodeStatusList(list.credentialSubject.encodedList)).length * 8).toBeGreaterThanOrEqual(131_072);
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect((await t.app.inject({method: 'GET', url, headers: {'if-none-match': etag}})).statusCode).toBe(304);
    const gz = await t.app.inject({method: 'GET', url, headers: {'accept-encoding': 'gzip'}});
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString())).toEqual(list);
    // Unknown lists and purposes are 404 problems.
    expect((await t.app.inject({method: 'GET', url: url.replace('/revocation', '/nonsense')})).statusCode).toBe(404);
    expect((await t.app.inject({method: 'GET', url: '/status/AAAAAAAAAAAAAAAAAAAAAA/revocation'})).statusCode).toBe(404);
  });

  it('revokes: verification fails at once with STATUS_REVOKED and the public reason; the published list shows the bit', async () => {
    const {id, credential: vc} = await issue();
    const etagBefore = (await t.app.inject({method: 'GET', url: new URL(vc.credentialStatus[0].statusListCredential).pathname})).headers.etag;
    const res = await api(t.app, key).post(`/api/v1/credentials/${id}/revoke`, {reason: 'Issued in error', reasonPublic: true});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({id, status: 'revoked', statusReason: 'Issued in error', statusReasonPublic: true,
      statusChangedAt: '2026-03-01T12:00:00.000Z'});
    const {result, status} = await statusCheck(vc);
    expect(result.verified).toBe(false);
    expect(status).toMatchObject({code: 'STATUS_REVOKED', status: 'failed'});
    // Verified as a credential of this instance (by its URL), the public reason is shown.
    const byUrl = (await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {url: vc.id}})).json();
    expect(byUrl.verified).toBe(false);
    expect(byUrl.checks.find((c: any) => c.check === 'status').message).toContain('Issued in error');
    expect(await publishedBits(vc)).toEqual({revocation: true, suspension: false});
    const etagAfter = (await t.app.inject({method: 'GET', url: new URL(vc.credentialStatus[0].statusListCredential).pathname})).headers.etag;
    expect(etagAfter).not.toBe(etagBefore);
    // Idempotent: the same answer, nothing changes.
    const again = await api(t.app, key).post(`/api/v1/credentials/${id}/revoke`, {reason: 'Another reason'});
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({status: 'revoked', statusReason: 'Issued in error'});
    expect((await api(t.app, key).get(`/api/v1/credentials/${id}`)).json().status).toBe('revoked');
  });

  it('verification keeps this instance\'s lists by version: an unchanged list is not read again, a change is seen at once', async () => {
    const a = await issue();
    const b = await issue();
    expect(a.credential.credentialStatus[0].statusListCredential).toBe(b.credential.credentialStatus[0].statusListCredential);
    const lists = t.services.statusLists;
    const current = lists.current.bind(lists);
    let reads = 0;
    lists.current = (...args) => { reads++; return current(...args); };
    try {
      const code = async (vc: unknown) => (await statusCheck(vc)).status.code;
      expect(await code(a.credential)).toBe('STATUS_VALID');
      const afterFirst = reads;
      expect(await code(b.credential)).toBe('STATUS_VALID');
      expect(await code(a.credential)).toBe('STATUS_VALID');
      expect(reads).toBe(afterFirst);
      expect((await api(t.app, key).post(`/api/v1/credentials/${a.id}/suspend`, {reason: 'Check'})).statusCode).toBe(200);
      expect(await code(a.credential)).toBe('STATUS_SUSPENDED');
      expect(await code(b.credential)).toBe('STATUS_VALID');
      expect(reads).toBeGreaterThan(afterFirst);
      // A change that rolls back leaves the list as it was, and what is remembered with it.
      const slot = (await t.db.query<{list_id: string; idx: number}>(
        'SELECT status_list_id AS list_id, status_index AS idx FROM credentials WHERE id = $1', [b.id])).rows[0];
      await expect(t.db.transaction(async tx => {
        await lists.setBits(tx, [{listId: slot.list_id, idx: slot.idx}], {revoked: true});
        throw new Error('rollback');
      })).rejects.toThrow('rollback');
      expect(await code(b.credential)).toBe('STATUS_VALID');
      expect((await api(t.app, key).post(`/api/v1/credentials/${a.id}/reinstate`)).statusCode).toBe(200);
      expect(await code(a.credential)).toBe('STATUS_VALID');
      expect((await api(t.app, key).post(`/api/v1/credentials/${b.id}/revoke`, {reason: 'Check'})).statusCode).toBe(200);
      expect(await code(b.credential)).toBe('STATUS_REVOKED');
      expect(await code(a.credential)).toBe('STATUS_VALID');
    } finally {
      lists.current = current;
    }
  });

  it('shows the standing on the credential page: Valid, Revoked with date and public reason, Suspended, Expired, renewed', async () => {
    const page = async (vc: any) => (await t.app.inject({method: 'GET', url: new URL(vc.id).pathname, headers: {accept: 'text/html'}})).body;
    const state = (html: string) => /data-testid="standing" data-state="([a-z-]+)"/.exec(html)?.[1];
    const valid = await issue();
    expect(state(await page(valid.credential))).toBe('valid');
    await api(t.app, key).post(`/api/v1/credentials/${valid.id}/revoke`, {reason: 'Exam <b>voided</b>', reasonPublic: true});
    const revokedPage = await page(valid.credential);
    expect(state(revokedPage)).toBe('revoked');
    expect(revokedPage).toContain('since 1 March 2026');
    expect(revokedPage).toContain('Exam &lt;b&gt;voided&lt;/b&gt;');
    expect(revokedPage).toContain('Not verified');
    const suspended = await issue();
    await api(t.app, key).post(`/api/v1/credentials/${suspended.id}/suspend`, {reason: 'Audit'});
    expect(state(await page(suspended.credential))).toBe('suspended');
    const expired = await issue({validFrom: '2025-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z'});
    const expiredPage = await page(expired.credential);
    expect(state(expiredPage)).toBe('expired');
    expect(expiredPage).toContain('Expired on');
    const old = await issue();
    const fresh = (await api(t.app, key).post(`/api/v1/credentials/${old.id}/renew`, {})).json();
    expect(await page(old.credential)).toContain(`data-testid="renewed-by" href="/c/${fresh.id}"`);
  });

  it('keeps a private revocation reason out of verification', async () => {
    const {id, credential: vc} = await issue();
    await api(t.app, key).post(`/api/v1/credentials/${id}/revoke`, {reason: 'Fraud investigation 4711'});
    const byUrl = (await t.app.inject({method: 'POST', url: '/api/v1/verify', payload: {url: vc.id}})).json();
    expect(byUrl.checks.find((c: any) => c.check === 'status').code).toBe('STATUS_REVOKED');
    expect(JSON.stringify(byUrl)).not.toContain('4711');
    const page = await t.app.inject({method: 'GET', url: new URL(vc.id).pathname});
    expect(page.body).not.toContain('4711');
  });

  it('suspends and reinstates; a revoked credential cannot be suspended or reinstated (409)', async () => {
    const {id, credential: vc} = await issue();
    const s = await api(t.app, key).post(`/api/v1/credentials/${id}/suspend`, {reason: 'Pending review', reasonPublic: true});
    expect(s.statusCode).toBe(200);
    expect(s.json()).toMatchObject({status: 'suspended', statusReason: 'Pending review'});
    expect((await statusCheck(vc)).status).toMatchObject({code: 'STATUS_SUSPENDED', status: 'failed'});
    expect(await publishedBits(vc)).toEqual({revocation: false, suspension: true});
    const r = await api(t.app, key).post(`/api/v1/credentials/${id}/reinstate`);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({status: 'active', statusReason: null});
    expect((await statusCheck(vc)).status.code).toBe('STATUS_VALID');
    expect(await publishedBits(vc)).toEqual({revocation: false, suspension: false});
    // Reinstating an active credential is idempotent.
    expect((await api(t.app, key).post(`/api/v1/credentials/${id}/reinstate`)).json().status).toBe('active');
    await api(t.app, key).post(`/api/v1/credentials/${id}/revoke`, {reason: 'Done'});
    for(const action of ['suspend', 'reinstate']) {
      const res = await api(t.app, key).post(`/api/v1/credentials/${id}/${action}`, {reason: 'x'});
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('CREDENTIAL_REVOKED');
    }
  });

  it('lifts a suspension when its until passes (the sweep)', async () => {
    const {id, credential: vc} = await issue();
    const past = await api(t.app, key).post(`/api/v1/credentials/${id}/suspend`, {reason: 'x', until: '2020-01-01T00:00:00Z'});
    expect(past.statusCode).toBe(422);
    const s = await api(t.app, key).post(`/api/v1/credentials/${id}/suspend`, {reason: 'Cooling off', until: '2026-03-02T12:00:00Z'});
    expect(s.json()).toMatchObject({status: 'suspended', suspendedUntil: '2026-03-02T12:00:00.000Z'});
    await t.services.lifecycle.sweep();
    expect((await api(t.app, key).get(`/api/v1/credentials/${id}`)).json().status).toBe('suspended');
    const saved = t.clock.now;
    t.clock.now = new Date('2026-03-02T12:00:01Z');
    try {
      await t.services.lifecycle.sweep();
      expect((await api(t.app, key).get(`/api/v1/credentials/${id}`)).json()).toMatchObject({status: 'active', suspendedUntil: null});
      expect((await statusCheck(vc)).status.code).toBe('STATUS_VALID');
    } finally {
      t.clock.now = saved;
    }
  });

  it('answers 404 for an unknown credential and for another organization\'s, and 400 for a bad body', async () => {
    const {id} = await issue();
    for(const action of ['revoke', 'suspend', 'reinstate', 'renew']) {
      const foreign = await api(t.app, otherKey).post(`/api/v1/credentials/${id}/${action}`, action === 'renew' ? {} : {reason: 'x'});
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().code).toBe('CREDENTIAL_NOT_FOUND');
      expect((await api(t.app, key).post(`/api/v1/credentials/nope/${action}`, action === 'renew' ? {} : {reason: 'x'})).statusCode).toBe(404);
    }
    const bad = await api(t.app, key).post(`/api/v1/credentials/${id}/revoke`, {reason: ''});
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
    const extra = await api(t.app, key).post(`/api/v1/credentials/${id}/suspend`, {reason: 'x', until: 'tomorrow'});
    expect(extra.statusCode).toBe(400);
    expect((await t.app.inject({method: 'POST', url: `/api/v1/credentials/${id}/revoke`, payload: {reason: 'x'}})).statusCode).toBe(401);
  });

  it('refuses to edit a signed credential: PATCH and PUT are 405 and point to renewal', async () => {
    const {id} = await issue();
    for(const res of [await api(t.app, key).patch(`/api/v1/credentials/${id}`, {validUntil: '2030-01-01T00:00:00Z'}),
      await api(t.app, key).put(`/api/v1/credentials/${id}`, {validUntil: '2030-01-01T00:00:00Z'})]) {
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('GET');
      expect(res.json()).toMatchObject({code: 'CREDENTIAL_IMMUTABLE'});
      expect(res.json().detail).toContain('/renew');
    }
  });

  it('renews: a fresh credential linked both ways, the old one revoked when asked; idempotent', async () => {
    const old = await issue({evidence: [{id: 'https://example.org/work/1', name: 'Portfolio'}]});
    expect(old.validUntil).toBe('2027-03-01T12:00:00.000Z');
    const res = await api(t.app, key).post(`/api/v1/credentials/${old.id}/renew`, {validUntil: '2029-01-01T00:00:00Z', revokeOld: true});
    expect(res.statusCode, res.body).toBe(201);
    const fresh = res.json();
    expect(fresh.id).not.toBe(old.id);
    expect(fresh).toMatchObject({renewedFrom: old.id, validUntil: '2029-01-01T00:00:00.000Z', status: 'active', recipient: old.recipient});
    expect(fresh.credential.evidence).toEqual(old.credential.evidence);
    expect(fresh.credential.credentialStatus[0].statusListIndex).not.toBe(old.credential.credentialStatus[0].statusListIndex);
    const oldNow = (await api(t.app, key).get(`/api/v1/credentials/${old.id}`)).json();
    expect(oldNow).toMatchObject({renewedBy: fresh.id, status: 'revoked', statusReasonPublic: true});
    expect(oldNow.statusReason).toContain(fresh.url);
    expect((await t.services.verification.verify(fresh.credential)).verified).toBe(true);
    const again = await api(t.app, key).post(`/api/v1/credentials/${old.id}/renew`, {});
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(fresh.id);
    // Without a date the achievement's validity period (12 months) runs from now.
    const other = await issue();
    const renewed = (await api(t.app, key).post(`/api/v1/credentials/${other.id}/renew`, {})).json();
    expect(renewed.validUntil).toBe('2027-03-01T12:00:00.000Z');
    expect((await api(t.app, key).get(`/api/v1/credentials/${other.id}`)).json().status).toBe('active');
    // A revoked credential that was never renewed cannot be.
    const revoked = await issue();
    await api(t.app, key).post(`/api/v1/credentials/${revoked.id}/revoke`, {reason: 'x'});
    expect((await api(t.app, key).post(`/api/v1/credentials/${revoked.id}/renew`, {})).statusCode).toBe(409);
  });

  it('filters: ?expiring=N finds credentials that expire within N days; ?status=revoked|suspended', async () => {
    const soon = await issue({validUntil: '2026-03-11T00:00:00Z'});
    const later = await issue({validUntil: '2026-06-11T00:00:00Z'});
    const ids = (await api(t.app, key).get('/api/v1/credentials?expiring=30&limit=200')).json().items.map((c: any) => c.id);
    expect(ids).toContain(soon.id);
    expect(ids).not.toContain(later.id);
    const revoked = (await api(t.app, key).get('/api/v1/credentials?status=revoked&limit=200')).json().items;
    expect(revoked.length).toBeGreaterThan(0);
    expect(revoked.every((c: any) => c.status === 'revoked')).toBe(true);
    expect((await api(t.app, key).get('/api/v1/credentials?expiring=0')).statusCode).toBe(400);
  });

  it('shows an expired credential as expired in the API', async () => {
    const c = await issue({validFrom: '2025-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z'});
    expect(c).toMatchObject({status: 'expired', expired: true});
    expect((await statusCheck(c.credential)).result.errors.map(e => e.code)).toEqual(['EXPIRED']);
  });

  it('allocates indexes at random, never one index twice, under parallel issuance', async () => {
    const issued = await Promise.all(Array.from({length: 120}, (_, i) => issue({recipient: {name: `Parallel ${i}`}})));
    const slots = issued.map(c => `${c.credential.credentialStatus[0].statusListCredential}#${c.credential.credentialStatus[0].statusListIndex}`);
    expect(new Set(slots).size).toBe(slots.length);
    const indexes = issued.map(c => Number(c.credential.credentialStatus[0].statusListIndex));
    // Sequential allocation would give small, consecutive numbers.
    expect(Math.max(...indexes)).toBeGreaterThan(10_000);
    const sorted = [...indexes].sort((a, b) => a - b);
    expect(sorted.filter((v, i) => i > 0 && v === sorted[i - 1] + 1).length).toBeLessThan(10);
  });

  it('revokes in bulk by filter as a background job: one re-sign for the batch, other credentials untouched', async () => {
    const target = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Recalled course'})).json().id;
    const victims = await Promise.all(Array.from({length: 30}, (_, i) => issue({achievementId: target, recipient: {name: `Recalled ${i}`}})));
    const bystander = await issue({achievementId: otherAchievementId});
    await t.services.statusLists.sweep();
    const before = t.services.statusLists.publishCount;
    const res = await api(t.app, key).post('/api/v1/credentials/revocations', {filter: {achievementId: target}, reason: 'Course recalled', reasonPublic: true});
    expect(res.statusCode, res.body).toBe(202);
    const job = res.json();
    expect(job).toMatchObject({status: 'queued', filter: {achievementId: target}});
    expect(res.headers.location).toBe(`/api/v1/credentials/revocations/${job.id}`);
    const done = await eventually(async () => {
      const view = (await api(t.app, key).get(`/api/v1/credentials/revocations/${job.id}`)).json();
      return view.status === 'completed' ? view : undefined;
    });
    expect(done).toMatchObject({matched: 30, revoked: 30, error: null});
    for(const v of victims) expect((await statusCheck(v.credential)).status.code).toBe('STATUS_REVOKED');
    expect((await statusCheck(bystander.credential)).status.code).toBe('STATUS_VALID');
    await t.services.statusLists.sweep();
    // 30 revocations in one transaction: one version of the list, one re-sign.
    expect(t.services.statusLists.publishCount - before).toBe(1);
    expect((await api(t.app, otherKey).get(`/api/v1/credentials/revocations/${job.id}`)).statusCode).toBe(404);
    const empty = await api(t.app, key).post('/api/v1/credentials/revocations', {filter: {}, reason: 'x'});
    expect(empty.statusCode).toBe(400);
  });

  it('adds status entries to credentials signed through POST /credentials/issue, and revokes them by id', async () => {
    const did = (await api(t.app, key).get('/api/v1/organization')).json().did;
    const credential = {
      '@context': ['https://www.w3.org/ns/credentials/v2'], id: 'urn:uuid:6a9a1c3e-1b1e-4f8e-9a53-0a7f6c1e2d3b',
      type: ['VerifiableCredential'], issuer: did, validFrom: '2026-01-01T00:00:00Z', credentialSubject: {id: 'did:example:alice'},
    };
    const res = await api(t.app, key).post('/credentials/issue', {credential});
    expect(res.statusCode, res.body).toBe(201);
    const vc = res.json().verifiableCredential;
    expect(vc.credentialStatus.map((e: any) => e.statusPurpose)).toEqual(['revocation', 'suspension']);
    expect((await statusCheck(vc)).status.code).toBe('STATUS_VALID');
    const revoked = await api(t.app, key).post(`/api/v1/credentials/${encodeURIComponent(credential.id)}/revoke`, {reason: 'x'});
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toEqual({id: credential.id, status: 'revoked'});
    expect((await statusCheck(vc)).status.code).toBe('STATUS_REVOKED');
  });

  it('starts a new list when one fills up', async () => {
    const {apiKey} = await createOrg(t.app, {slug: 'filler', name: 'Filler'});
    const achievement = (await api(t.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const first = (await api(t.app, apiKey).post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'First'}})).json();
    const firstList = first.credential.credentialStatus[0].statusListCredential;
    const listId = new URL(firstList).pathname.split('/')[2];
    // Every other index taken (as if 131,071 more credentials had been issued).
    await t.db.query(`INSERT INTO status_entries (list_id, idx, organization_id)
      SELECT $1, g, organization_id FROM generate_series(0, 131071) g, (SELECT organization_id FROM status_lists WHERE id = $1) o
      ON CONFLICT DO NOTHING`, [listId]);
    const second = (await api(t.app, apiKey).post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'Second'}})).json();
    const secondList = second.credential.credentialStatus[0].statusListCredential;
    expect(secondList).not.toBe(firstList);
    const {rows} = await t.db.query<{full: boolean}>('SELECT full_at IS NOT NULL AS full FROM status_lists WHERE id = $1', [listId]);
    expect(rows[0].full).toBe(true);
    expect((await statusCheck(first.credential)).status.code).toBe('STATUS_VALID');
    expect((await statusCheck(second.credential)).status.code).toBe('STATUS_VALID');
  });

  it('agrees with the reference implementation: @digitalbazaar decodes our published list', async () => {
    const {id, credential: vc} = await issue();
    await api(t.app, key).post(`/api/v1/credentials/${id}/revoke`, {reason: 'x'});
    const {decodeList} = await import('@digitalbazaar/vc-bitstring-status-list');
    const res = await t.app.inject({method: 'GET', url: new URL(vc.credentialStatus[0].statusListCredential).pathname});
    const list = await decodeList({encodedList: res.json().credentialSubject.encodedList});
    expect(list.getStatus(Number(vc.credentialStatus[0].statusListIndex))).toBe(true);
    expect(list.length).toBeGreaterThanOrEqual(131_072);
    expect((await verifyCredential(res.json(), {canonicalizer: t.services.ctx.canonicalizer,
      resolveController: t.services.verification.resolveController, now: t.services.ctx.now})).verified).toBe(true);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('two instances on one PostgreSQL database', () => {
  type Instance = {app: Awaited<ReturnType<typeof createLaurel>>['app']; services: Awaited<ReturnType<typeof createLaurel>>['services'];
    db: Awaited<ReturnType<typeof openDatabase>>};
  /** Runs `body` with two Laurel instances (as two processes would be) on a fresh schema. */
  const withTwins = async (body: (instances: Instance[], admin: pg.Client, schema: string) => Promise<void>) => {
    const url = process.env.TEST_DATABASE_URL!;
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({connectionString: url});
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const masterKey = randomBytes(32);
    const instances: Instance[] = [];
    try {
      for(let i = 0; i < 2; i++) {
        const db = await openDatabase({databaseUrl: url, dataDir: null, schema});
        const {app, services} = await createLaurel({db, masterKey, publicUrl: PUBLIC_URL, adminToken: ADMIN_TOKEN});
        instances.push({app, services, db});
      }
      await body(instances, admin, schema);
    } finally {
      for(const i of instances) {
        await i.app.close();
        await i.db.close();
      }
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
      await admin.end();
    }
  };

  it('never hand out one status index twice', () => withTwins(async (instances, admin, schema) => {
    const {apiKey} = await createOrg(instances[0].app, {slug: 'twin'});
    const achievementId = (await api(instances[0].app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    let n = 0;
    const slots: string[] = [];
    await Promise.all(Array.from({length: 16}, async (_, w) => {
      while(n < 400) {
        const i = n++;
        const res = await api(instances[w % 2].app, apiKey).post('/api/v1/credentials', {achievementId, recipient: {name: `Twin ${i}`}});
        expect(res.statusCode, res.body).toBe(201);
        const entry = res.json().credential.credentialStatus[0];
        slots.push(`${entry.statusListCredential}#${entry.statusListIndex}`);
      }
    }));
    expect(slots).toHaveLength(400);
    expect(new Set(slots).size).toBe(400);
    const {rows} = await admin.query(`SELECT count(*)::int AS n, count(DISTINCT (status_list_id, status_index))::int AS d FROM ${schema}.credentials`);
    expect(rows[0].d).toBe(rows[0].n);
  }), 120_000);

  it('a key rotation and a revocation made by the other instance are seen at once by verification on this one', () => withTwins(async ([a, b]) => {
    const {apiKey} = await createOrg(a.app, {slug: 'twin-verify'});
    const achievementId = (await api(a.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const issue = async (app: Instance['app']) => (await api(app, apiKey).post('/api/v1/credentials', {achievementId, recipient: {name: 'Twin'}})).json();
    const verify = async (credential: unknown) => (await a.app.inject({method: 'POST', url: '/api/v1/verify', payload: {credential}})).json();
    const first = await issue(a.app);
    // Instance a now holds the issuer's DID document and the status list in its caches.
    expect((await verify(first.credential)).verified).toBe(true);
    expect((await api(b.app, apiKey).post('/api/v1/organization/keys/rotate')).statusCode).toBe(200);
    // b revokes: the list is re-signed with the new key, which a's cached DID document does not list yet.
    expect((await api(b.app, apiKey).post(`/api/v1/credentials/${first.id}/revoke`, {reason: 'Twin test'})).statusCode).toBe(200);
    const revoked = await verify(first.credential);
    expect(revoked.verified).toBe(false);
    expect(revoked.checks.find((c: any) => c.check === 'status').code).toBe('STATUS_REVOKED');
    // A credential b signs with the new key verifies on a at once.
    expect((await api(b.app, apiKey).post('/api/v1/organization/keys/rotate')).statusCode).toBe(200);
    const second = await issue(b.app);
    expect(second.credential.proof.verificationMethod).toMatch(/#key-3$/);
    const fresh = await verify(second.credential);
    expect(fresh.verified, JSON.stringify(fresh.errors)).toBe(true);
    expect(fresh.warnings).toEqual([]);
    // The same in a presentation: another rotation on b, then a holder presents b's newest credential to a.
    expect((await api(b.app, apiKey).post('/api/v1/organization/keys/rotate')).statusCode).toBe(200);
    const holder = randomDidKey();
    const third = (await api(b.app, apiKey).post('/api/v1/credentials', {achievementId, recipient: {name: 'Twin', did: holder.did}})).json();
    const vp = await signPresentation({'@context': [VC_V2_CONTEXT], type: ['VerifiablePresentation'], holder: holder.did,
      verifiableCredential: [third.credential]}, holder.signer, {created: new Date().toISOString(), challenge: 'twin'}, a.services.ctx.canonicalizer);
    const presented = await a.app.inject({method: 'POST', url: '/presentations/verify', payload: {verifiablePresentation: vp, options: {challenge: 'twin'}}});
    expect(presented.statusCode, presented.body).toBe(200);
    expect(presented.json().credentials[0].verified).toBe(true);
  }), 120_000);
});
