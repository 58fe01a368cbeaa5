/**
 * The signing pool (services/sign-pool.ts) with real worker threads: it signs exactly as the
 * calling thread does, and a thread that dies fails the work it held (the caller then signs
 * it itself) and is replaced, so work is never handed to a dead thread and never hangs.
 */
import {generateKeyPairSync} from 'node:crypto';
import {buildAchievementCredential, Canonicalizer, createDocumentLoader, encodeEd25519PublicKey} from '@laurel/core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {SignPool} from '../src/services/sign-pool.js';
import {type SignTask, signTasks} from '../src/services/sign-task.js';

const {privateKey, publicKey} = generateKeyPairSync('ed25519');
const multibase = encodeEd25519PublicKey(new Uint8Array(Buffer.from(publicKey.export({format: 'jwk'}).x!, 'base64url')));
const did = `did:key:${multibase}`;

function tasks(n: number, from = 0): SignTask[] {
  return Array.from({length: n}, (_, k) => {
    const i = from + k;
    return {
      unsigned: buildAchievementCredential({
        id: `https://pool.example/c/${i}`,
        issuer: {id: did, type: ['Profile'], name: 'Pool Academy'},
        achievement: {id: 'https://pool.example/a/1', type: ['Achievement'], name: 'Pooled', description: 'Signed on a thread.',
          criteria: {narrative: 'Was signed.'}},
        recipient: {name: `Learner ${i}`, email: `l${i}@example.org`},
        salt: `salt${i}`,
        validFrom: '2026-01-01T00:00:00Z',
      }) as unknown as Record<string, unknown>,
      vmId: `${did}#${multibase}`, key: privateKey, created: '2026-01-01T00:00:00Z',
    };
  });
}

describe('SignPool', () => {
  let pool: SignPool;
  const canonicalizer = new Canonicalizer(createDocumentLoader());

  beforeAll(async () => {
    pool = await SignPool.create(2);
  });
  afterAll(() => pool.close());

  it('signs on its threads exactly as this thread does, in order, with or without a share here', async () => {
    const work = tasks(40);
    const here = await signTasks(work, canonicalizer);
    expect(await pool.signAll(work)).toEqual(here);
    expect(await pool.signAll(work, share => signTasks(share, canonicalizer))).toEqual(here);
    expect(new Set(here.map(c => (c.proof as {proofValue: string}).proofValue)).size).toBe(40);
  });

  it('fails the work of a thread that dies instead of waiting forever, and replaces the thread', async () => {
    const startedBefore = pool.started;
    const work = tasks(300, 1000);
    const signing = pool.signAll(work);
    // The thread that got the first half dies mid-way (as one out of its capped heap would).
    await (pool as unknown as {workers: {terminate(): Promise<number>}[]}).workers[0].terminate();
    await expect(signing).rejects.toThrow(/a signing thread exited/);
    await expect.poll(() => pool.started, {timeout: 10_000}).toBe(startedBefore + 1);
    expect(pool.size).toBe(2);
    // Work goes on, on the replacement.
    const again = tasks(30, 2000);
    expect(await pool.signAll(again)).toEqual(await signTasks(again, canonicalizer));
  }, 30_000);

  it('does not replace its threads once closed', async () => {
    const own = await SignPool.create(1);
    const started = own.started;
    await own.close();
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(own.started).toBe(started);
  });
});
