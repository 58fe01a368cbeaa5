// A bulk revocation interrupted by kill -9 half way resumes after a restart and ends
// with every credential revoked exactly once: one audit entry each, every bit set.
import {decodeStatusList} from '@laurel/core';
import {afterAll, describe, expect, it} from 'vitest';
import {freePort, killAll, removeTempDirs, type ServerProcess, serverEnv, startServer, tempDir} from './process-helpers.js';

const API_KEY_LINE = /Demo API key[^:]*: (lrl_\S+)/;
const COUNT = 600;
const CHUNK = 2;

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

async function call(server: ServerProcess, method: string, path: string, apiKey: string, payload?: unknown) {
  const res = await fetch(`${server.baseUrl}${path}`, {method, headers: {authorization: `Bearer ${apiKey}`,
    ...(payload === undefined ? {} : {'content-type': 'application/json'})}, body: payload === undefined ? undefined : JSON.stringify(payload)});
  const text = await res.text();
  return {status: res.status, body: text ? JSON.parse(text) : undefined};
}

/** Polls until `probe` returns a value (or fails after `ms`). */
async function until<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for(;;) {
    const value = await probe();
    if(value !== undefined) return value;
    if(Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise(r => setTimeout(r, 10));
  }
}

describe('bulk revocation across kill -9 (PGlite, the server process)', () => {
  it('resumes after a restart: every credential revoked once, one audit entry each, no double entries', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const env = serverEnv(port, dataDir, {LAUREL_BULK_REVOKE_CHUNK: String(CHUNK)});
    let server = await startServer({env, port, dataDir});
    const apiKey = API_KEY_LINE.exec(server.stdout())?.[1] ?? '';
    expect(apiKey).toMatch(/^lrl_/);
    const achievement = await call(server, 'POST', '/api/v1/achievements', apiKey, {name: 'Recalled', description: 'A recalled course.',
      criteria: {narrative: 'Attended.'}, achievementType: 'Course'});
    expect(achievement.status).toBe(201);
    const ids: string[] = [];
    let next = 0;
    await Promise.all(Array.from({length: 8}, async () => {
      while(next < COUNT) {
        const n = next++;
        const res = await call(server, 'POST', '/api/v1/credentials', apiKey, {achievementId: achievement.body.id, recipient: {name: `Learner ${n}`}});
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
    }));
    const started = await call(server, 'POST', '/api/v1/credentials/revocations', apiKey, {filter: {achievementId: achievement.body.id}, reason: 'Recalled'});
    expect(started.status).toBe(202);
    const path = `/api/v1/credentials/revocations/${started.body.id}`;
    // Kill it in the middle: some chunks committed, not all.
    const seen = await until(async () => {
      const view = (await call(server, 'GET', path, apiKey)).body;
      return view.revoked > 0 ? view : undefined;
    }, 60_000);
    server.kill('SIGKILL');
    await server.exited;
    expect(seen.revoked).toBeLessThan(COUNT);

    server = await startServer({env, port, dataDir});
    const done = await until(async () => {
      const view = (await call(server, 'GET', path, apiKey)).body;
      return view.status === 'completed' ? view : undefined;
    }, 60_000);
    expect(done).toMatchObject({matched: COUNT, revoked: COUNT, error: null});

    // Exactly one audit entry per credential.
    const revokedEntries = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page: {items: {subjectId: string}[]; nextCursor: string | null} = (await call(server, 'GET', `/api/v1/audit?action=credential.revoked&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, apiKey)).body;
      for(const e of page.items) revokedEntries.set(e.subjectId, (revokedEntries.get(e.subjectId) ?? 0) + 1);
      cursor = page.nextCursor;
    } while(cursor);
    expect(revokedEntries.size).toBe(COUNT);
    expect([...revokedEntries.values()].every(n => n === 1)).toBe(true);
    expect(new Set(ids)).toEqual(new Set(revokedEntries.keys()));
    expect((await call(server, 'GET', '/api/v1/audit/verify', apiKey)).body.ok).toBe(true);

    // Every bit is set in the published list.
    const any = (await call(server, 'GET', `/api/v1/credentials/${ids[0]}`, apiKey)).body.credential;
    const list = await fetch(any.credentialStatus[0].statusListCredential).then(r => r.json());
    const bits = await decodeStatusList(list.credentialSubject.encodedList);
    let set = 0;
    for(const byte of bits) for(let b = byte; b; b &= b - 1) set++;
    expect(set).toBe(COUNT);
    await server.stop();
  }, 180_000);
});
