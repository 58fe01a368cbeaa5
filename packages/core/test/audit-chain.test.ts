// The audit chain's pure verifier: one negative case per problem code (STYLE habit 10),
// on a chain built here with node:crypto Ed25519.
import {createPublicKey, generateKeyPairSync, sign} from 'node:crypto';
import {describe, expect, it} from 'vitest';
import {AUDIT_GENESIS_HASH, type AuditEntry, type AuditHead, auditHeadMessage, hashAuditEntry, verifyChain} from '../src/audit-chain.js';

const ORG = '0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const {privateKey} = generateKeyPairSync('ed25519');
const publicKey = new Uint8Array(createPublicKey(privateKey).export({format: 'der', type: 'spki'}).subarray(12));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function chain(n: number): {entries: AuditEntry[]; head: AuditHead} {
  const entries: AuditEntry[] = [];
  let prev = AUDIT_GENESIS_HASH;
  for(let seq = 1; seq <= n; seq++) {
    const content = {organizationId: ORG, seq, at: `2026-03-01T12:00:0${seq % 10}.00${seq % 10}Z`, actor: {type: 'admin'},
      action: 'achievement.updated', subjectType: 'achievement', subjectId: `a${seq}`, before: seq === 1 ? null : {n: seq - 1}, after: {n: seq}};
    const hash = hex(hashAuditEntry(Buffer.from(prev, 'hex'), content));
    entries.push({...content, prevHash: prev, hash});
    prev = hash;
  }
  return {entries, head: signHead(n, prev)};
}

function signHead(seq: number, hash: string): AuditHead {
  return {organizationId: ORG, seq, hash, signature: sign(null, auditHeadMessage(ORG, seq, hash), privateKey).toString('base64url')};
}

const codes = async (entries: AuditEntry[], head: AuditHead | null, key: Uint8Array | null = publicKey) =>
  (await verifyChain(entries, head, key)).problems.map(p => `${p.code}@${p.seq}`);

describe('verifyChain', () => {
  it('accepts an intact chain, and an empty log with no head', async () => {
    const {entries, head} = chain(5);
    expect(await verifyChain(entries, head, publicKey)).toEqual({ok: true, entries: 5, problems: [], omittedProblems: 0});
    expect((await verifyChain([], null, null)).ok).toBe(true);
  });

  it('hashes JCS, so key order in before/after does not matter but values do', async () => {
    const {entries, head} = chain(3);
    entries[1] = {...entries[1], after: {n: 2}, before: {n: 1}, actor: {type: 'admin'}};
    expect(await codes(entries, head)).toEqual([]);
    entries[1] = {...entries[1], after: {n: 2.5}};
    expect(await codes(entries, head)).toEqual(['AUDIT_HASH_MISMATCH@2']);
  });

  it('AUDIT_SEQ_GAP: a removed entry', async () => {
    const {entries, head} = chain(5);
    expect(await codes(entries.filter(e => e.seq !== 3), head)).toEqual(['AUDIT_SEQ_GAP@4']);
    expect(await codes(entries.filter(e => e.seq !== 1), head)).toEqual(['AUDIT_SEQ_GAP@2']);
  });

  it('AUDIT_ORDER: reordered or repeated entries', async () => {
    const {entries, head} = chain(5);
    const swapped = [entries[0], entries[2], entries[1], entries[3], entries[4]];
    expect(await codes(swapped, head)).toEqual(['AUDIT_SEQ_GAP@3', 'AUDIT_ORDER@2', 'AUDIT_SEQ_GAP@4']);
    expect(await codes([...entries.slice(0, 3), entries[2], ...entries.slice(3)], head)).toEqual(['AUDIT_ORDER@3']);
  });

  it('AUDIT_CHAIN_BROKEN: a prevHash that is not the previous hash (re-hashed so the entry itself is consistent)', async () => {
    const {entries, head} = chain(4);
    const content = {...entries[2], prevHash: 'ab'.repeat(32)};
    entries[2] = {...content, hash: hex(hashAuditEntry(Buffer.from(content.prevHash, 'hex'), content))};
    expect(await codes(entries, head)).toEqual(['AUDIT_CHAIN_BROKEN@3', 'AUDIT_CHAIN_BROKEN@4']);
  });

  it('AUDIT_TRUNCATED and AUDIT_HEAD_MISMATCH: the tail against the signed head', async () => {
    const {entries, head} = chain(5);
    expect(await codes(entries.slice(0, 3), head)).toEqual(['AUDIT_TRUNCATED@null']);
    expect(await codes([], head)).toEqual(['AUDIT_TRUNCATED@null']);
    const short = chain(3).head;
    expect(await codes(entries, short)).toEqual(['AUDIT_HEAD_MISMATCH@3']);
    expect(await codes(entries, signHead(5, 'cd'.repeat(32)))).toEqual(['AUDIT_HEAD_MISMATCH@5']);
  });

  it('AUDIT_HEAD_MISSING, AUDIT_HEAD_SIGNATURE_INVALID, AUDIT_WRONG_ORGANIZATION, AUDIT_MALFORMED', async () => {
    const {entries, head} = chain(3);
    expect(await codes(entries, null)).toEqual(['AUDIT_HEAD_MISSING@null']);
    expect(await codes(entries, head, null)).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID@null']);
    expect(await codes(entries, {...head, signature: signHead(2, head.hash).signature})).toEqual(['AUDIT_HEAD_SIGNATURE_INVALID@null']);
    expect(await codes(entries, {...head, organizationId: 'other'})).toEqual(['AUDIT_WRONG_ORGANIZATION@null', 'AUDIT_HEAD_SIGNATURE_INVALID@null']);
    expect((await verifyChain(entries, head, publicKey, {organizationId: 'other'})).problems.map(p => p.code))
      .toEqual(['AUDIT_WRONG_ORGANIZATION', 'AUDIT_WRONG_ORGANIZATION', 'AUDIT_WRONG_ORGANIZATION', 'AUDIT_WRONG_ORGANIZATION']);
    const bad = [entries[0], {...entries[1], at: '2026-03-01T12:00:02.002001Z'}, entries[2]];
    expect(await codes(bad, head)).toEqual(['AUDIT_MALFORMED@2']);
    expect(await codes([entries[0], {...entries[1], hash: 'XYZ'}, entries[2]], head)).toEqual(['AUDIT_MALFORMED@2', 'AUDIT_CHAIN_BROKEN@3']);
    expect(await codes(entries, {...head, signature: '!!'})).toEqual(['AUDIT_MALFORMED@null']);
  });

  it('caps the list of problems and counts the rest', async () => {
    const {entries, head} = chain(20);
    const edited = entries.map(e => ({...e, action: 'x'}));
    const result = await verifyChain(edited, head, publicKey, {maxProblems: 5});
    expect(result).toMatchObject({ok: false, entries: 20, omittedProblems: 15});
    expect(result.problems).toHaveLength(5);
  });
});
