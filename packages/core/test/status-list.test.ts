// W3C Bitstring Status List v1.0 (https://www.w3.org/TR/vc-bitstring-status-list/): the bitstring,
// its encoding, and every outcome of the status check, with lists signed by Laurel's own code.
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {resolveDidKey} from '../src/did.js';
import {validateAchievementCredentialSchema} from '../src/schema.js';
import {signCredential} from '../src/sign.js';
import {Bitstring, type BitstringStatusCheckOptions, buildStatusListCredential, createBitstringStatusCheck, decodeStatusList,
  encodeStatusList, STATUS_LIST_MIN_BITS, StatusListCache, StatusListError, statusListEntry} from '../src/status-list.js';
import {type Check, verifyCredential} from '../src/verify.js';
import {codesOf, randomDidKey, sampleCredentialInput, type TestDidKey} from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const CREATED = '2025-01-01T00:00:00Z';
const canonicalizer = new Canonicalizer(createDocumentLoader());
const issuer = randomDidKey();
const REV = 'https://laurel.test/status/l1/revocation';
const SUS = 'https://laurel.test/status/l1/suspension';
const UNKNOWN_PREFIX = 'Signature valid; revocation status could not be checked';

/** The StatusListError code a promise rejects with (or 'resolved'). */
async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch(error) {
    return error instanceof StatusListError ? error.code : `not a StatusListError: ${String(error)}`;
  }
}

function syncErrorCode(f: () => unknown): string {
  try {
    f();
    return 'returned';
  } catch(error) {
    return error instanceof StatusListError ? error.code : (error as Error).name;
  }
}

const toBase64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

interface ListOptions {
  url?: string;
  purpose?: string;
  set?: number[];
  bytes?: Uint8Array;
  key?: TestDidKey;
  issuer?: string;
  validFrom?: string;
  validUntil?: string;
  ttl?: number;
  encodedList?: string;
}

/** A list credential signed with Laurel's signCredential (eddsa-rdfc-2022). */
async function signedList(o: ListOptions = {}): Promise<Record<string, unknown>> {
  const url = o.url ?? REV;
  let bytes = o.bytes;
  if(!bytes) {
    const bits = new Bitstring();
    for(const i of o.set ?? []) bits.set(i, true);
    bytes = bits.bytes;
  }
  const key = o.key ?? issuer;
  const unsigned = buildStatusListCredential({
    id: url, issuer: o.issuer ?? key.did, statusPurpose: o.purpose ?? (url.endsWith('suspension') ? 'suspension' : 'revocation'),
    encodedList: o.encodedList ?? await encodeStatusList(bytes), validFrom: o.validFrom ?? CREATED,
    ...(o.validUntil ? {validUntil: o.validUntil} : {}), ...(o.ttl !== undefined ? {ttl: o.ttl} : {}),
  });
  return signCredential(unsigned, key.signer, CREATED, canonicalizer);
}

const entries = (index = 42) => [statusListEntry({listCredentialUrl: REV, index, purpose: 'revocation'}),
  statusListEntry({listCredentialUrl: SUS, index, purpose: 'suspension'})];

/** An (unsigned) OB credential of `key` with the given credentialStatus: the check reads only issuer and status. */
const credentialWith = (credentialStatus: unknown, key = issuer): Record<string, unknown> =>
  ({...buildAchievementCredential(sampleCredentialInput(key.did)), credentialStatus});

/** A status check over an in-memory web of lists; records every fetch. */
function checker(lists: Record<string, unknown>, extra: Partial<BitstringStatusCheckOptions> & {clock?: {now: Date}} = {}) {
  const fetches: string[] = [];
  const clock = extra.clock ?? {now: NOW};
  const options: BitstringStatusCheckOptions = {
    fetchStatusList: async url => {
      fetches.push(url);
      if(!(url in lists)) throw new Error('HTTP 404');
      return structuredClone(lists[url]);
    },
    verifyListCredential: vc => verifyCredential(vc, {canonicalizer, resolveController: resolveDidKey, now: () => clock.now}),
    now: () => clock.now,
    ...extra,
  };
  return {check: createBitstringStatusCheck(options), fetches};
}

const CODES = new Set(['STATUS_VALID', 'STATUS_REVOKED', 'STATUS_SUSPENDED', 'STATUS_UNKNOWN', 'STATUS_LIST_LENGTH_ERROR', 'STATUS_RANGE_ERROR']);

function expectUnknown(result: Omit<Check, 'check'>, why: RegExp) {
  expect(result.code).toBe('STATUS_UNKNOWN');
  expect(result.status).toBe('warning');
  expect(result.message.startsWith(UNKNOWN_PREFIX)).toBe(true);
  expect(result.message).toMatch(why);
}

describe('Bitstring', () => {
  it('puts index 0 at the left-most (most significant) bit of byte 0', () => {
    const bits = new Bitstring();
    expect(bits.length).toBe(STATUS_LIST_MIN_BITS);
    expect(bits.bytes.length).toBe(16_384);
    bits.set(0, true);
    expect(bits.bytes[0]).toBe(0x80);
    bits.set(7, true);
    expect(bits.bytes[0]).toBe(0x81);
    bits.set(8, true);
    expect(bits.bytes[1]).toBe(0x80);
    bits.set(bits.length - 1, true);
    expect(bits.bytes[bits.bytes.length - 1]).toBe(0x01);
    expect([0, 1, 7, 8, 9, bits.length - 1].map(i => bits.get(i))).toEqual([true, false, true, true, false, true]);
    bits.set(0, false);
    expect(bits.bytes[0]).toBe(0x01);
    expect(bits.get(0)).toBe(false);
  });

  it('agrees with a model of set indexes (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(STATUS_LIST_MIN_BITS - 1), fc.boolean()), {maxLength: 50}), ops => {
      const bits = new Bitstring();
      const model = new Set<number>();
      for(const [i, v] of ops) {
        bits.set(i, v);
        if(v) model.add(i);
        else model.delete(i);
      }
      for(const [i] of ops) expect(bits.get(i)).toBe(model.has(i));
      expect(bits.bytes.reduce((n, b) => n + b.toString(2).replaceAll('0', '').length, 0)).toBe(model.size);
    }), {numRuns: 200});
  });

  it('wraps existing bytes and refuses lists shorter than 131,072 bits', () => {
    const bytes = new Uint8Array(16_384 * 2);
    const bits = new Bitstring(bytes);
    expect(bits.length).toBe(262_144);
    bits.set(262_143, true);
    expect(bytes[bytes.length - 1]).toBe(1);
    expect(syncErrorCode(() => new Bitstring(65_536))).toBe('STATUS_LIST_LENGTH_ERROR');
    expect(syncErrorCode(() => new Bitstring(new Uint8Array(16_383)))).toBe('STATUS_LIST_LENGTH_ERROR');
    expect(syncErrorCode(() => new Bitstring(131_073))).toBe('TypeError');
  });

  it('refuses indexes outside the list with RANGE_ERROR', () => {
    const bits = new Bitstring();
    for(const i of [-1, bits.length, 1.5, Number.NaN, 2 ** 60]) {
      expect(syncErrorCode(() => bits.get(i))).toBe('RANGE_ERROR');
      expect(syncErrorCode(() => bits.set(i, true))).toBe('RANGE_ERROR');
    }
  });
});

describe('encodeStatusList / decodeStatusList', () => {
  it('round-trips, as multibase base64url without padding', async () => {
    const bits = new Bitstring();
    for(const i of [0, 5, 42, 1000, 131_071]) bits.set(i, true);
    const encoded = await encodeStatusList(bits.bytes);
    expect(encoded).toMatch(/^u[A-Za-z0-9_-]+$/);
    // GZIP (RFC 1952) magic number after base64url decoding.
    expect([...Buffer.from(encoded.slice(1), 'base64url').subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const decoded = new Bitstring(await decodeStatusList(encoded));
    expect([0, 1, 5, 42, 1000, 131_070, 131_071].map(i => decoded.get(i))).toEqual([true, false, true, true, true, false, true]);
    expect(decoded.bytes).toEqual(bits.bytes);
  });

  it('round-trips random bytes (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({minLength: 0, maxLength: 4096}), async bytes => {
      expect(await decodeStatusList(await encodeStatusList(bytes))).toEqual(bytes);
    }), {numRuns: 50});
  });

  it('decodes the spec\'s example list (§2.2, Example BitstringStatusListCredential): 16 KiB of zeros', async () => {
    // Test data comes from https://www.w3.org/TR/vc-bitstring-status-list/ (example credential's encodedList).
    const bytes = await decodeStatusList('uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA');
    expect(bytes.length).toBe(16_384);
    expect(bytes.every(b => b === 0)).toBe(true);
  });

  it('refuses a missing multibase prefix and bad base64url', async () => {
    const good = await encodeStatusList(new Bitstring().bytes);
    expect(await errorCode(decodeStatusList(good.slice(1)))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList('z' + good.slice(1)))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList(''))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList(42 as never))).toBe('STATUS_LIST_DECODE_ERROR');
    // Standard base64 letters, padding, whitespace and a stray length are not base64url without padding.
    expect(Buffer.from([0xfb, 0xff]).toString('base64')).toBe('+/8=');
    for(const bad of ['u+/8=', 'u+/8', 'u-_8=']) expect(await errorCode(decodeStatusList(bad))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList(good + '='))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList(good.slice(0, 10) + '+/' + good.slice(10)))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList(good.slice(0, 10) + ' ' + good.slice(10)))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList(good + 'A'))).toBe('STATUS_LIST_DECODE_ERROR');
  });

  it('refuses data that is not GZIP, truncated or followed by junk', async () => {
    const gz = Buffer.from((await encodeStatusList(new Bitstring().bytes)).slice(1), 'base64url');
    expect(await errorCode(decodeStatusList('u' + toBase64url(new TextEncoder().encode('not gzip at all'))))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList('u' + toBase64url(gz.subarray(0, gz.length - 4))))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList('u' + toBase64url(Buffer.concat([gz, Buffer.from([1, 2, 3])]))))).toBe('STATUS_LIST_DECODE_ERROR');
    expect(await errorCode(decodeStatusList('u'))).toBe('STATUS_LIST_DECODE_ERROR');
  });

  it('refuses an encoded list over the text cap before decoding it', async () => {
    expect(await errorCode(decodeStatusList('u' + 'A'.repeat(2 * 1024 * 1024)))).toBe('STATUS_LIST_TOO_LARGE');
    const good = await encodeStatusList(new Bitstring().bytes);
    expect(await errorCode(decodeStatusList(good, {maxEncodedLength: good.length - 1}))).toBe('STATUS_LIST_TOO_LARGE');
    expect(await errorCode(decodeStatusList(good, {maxEncodedLength: good.length}))).toBe('resolved');
  });

  it('stops inflating a zip bomb (64 MiB of zeros) past 16 MiB', async () => {
    const bomb = await encodeStatusList(new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000); // ~65 KB of gzip: well under the 2 MiB text cap
    expect(await errorCode(decodeStatusList(bomb))).toBe('STATUS_LIST_TOO_LARGE');
    // The cap is exact: 16 MiB decodes; 16 MiB + 1 byte does not.
    expect((await decodeStatusList(await encodeStatusList(new Uint8Array(16 * 1024 * 1024)))).length).toBe(16 * 1024 * 1024);
    const justOver = await encodeStatusList(new Uint8Array(32_769));
    expect(await errorCode(decodeStatusList(justOver, {maxDecodedBytes: 32_768}))).toBe('STATUS_LIST_TOO_LARGE');
    expect((await decodeStatusList(justOver, {maxDecodedBytes: 32_769})).length).toBe(32_769);
  });
});

describe('statusListEntry / buildStatusListCredential', () => {
  it('builds a BitstringStatusListEntry', () => {
    expect(statusListEntry({listCredentialUrl: REV, index: 94_567, purpose: 'revocation'})).toEqual({
      id: `${REV}#94567`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '94567', statusListCredential: REV,
    });
    for(const index of [-1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => statusListEntry({listCredentialUrl: REV, index, purpose: 'revocation'})).toThrow(TypeError);
    }
    expect(() => statusListEntry({listCredentialUrl: 'not a url', index: 1, purpose: 'revocation'})).toThrow(TypeError);
  });

  it('builds an unsigned VC 2.0 BitstringStatusListCredential that signs and verifies', async () => {
    const unsigned = buildStatusListCredential({id: REV, issuer: issuer.did, statusPurpose: 'revocation', encodedList: 'uH4sI',
      validFrom: CREATED, validUntil: '2027-01-01T00:00:00Z', ttl: 60_000});
    expect(unsigned).toEqual({
      '@context': ['https://www.w3.org/ns/credentials/v2'], id: REV, type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: issuer.did, validFrom: CREATED, validUntil: '2027-01-01T00:00:00Z',
      credentialSubject: {id: `${REV}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList: 'uH4sI', ttl: 60_000},
    });
    const list = await signedList({ttl: 60_000, validUntil: '2027-01-01T00:00:00Z'});
    const result = await verifyCredential(list, {canonicalizer, resolveController: resolveDidKey, now: () => NOW});
    expect(result.errors).toEqual([]);
    expect(codesOf(result)).toMatchObject({proof: 'PROOF_VALID', issuer: 'ISSUER_VALID', schema: 'SCHEMA_NOT_APPLICABLE', status: 'STATUS_NONE'});
    expect(() => buildStatusListCredential({id: REV, issuer: issuer.did, statusPurpose: 'revocation', encodedList: 'u', validFrom: 'yesterday'}))
      .toThrow(TypeError);
  });
});

describe('createBitstringStatusCheck', () => {
  it('passes a credential whose revocation and suspension bits are clear, through verifyCredential', async () => {
    const {check, fetches} = checker({[REV]: await signedList({set: [41, 43]}), [SUS]: await signedList({url: SUS, set: [0]})});
    const signed = await signCredential(credentialWith(entries()), issuer.signer, CREATED, canonicalizer);
    const result = await verifyCredential(signed, {canonicalizer, resolveController: resolveDidKey, now: () => NOW, checkStatus: check});
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(codesOf(result)).toMatchObject({schema: 'SCHEMA_VALID', proof: 'PROOF_VALID', status: 'STATUS_VALID'});
    expect(result.checks.find(c => c.check === 'status')).toEqual({check: 'status', code: 'STATUS_VALID', status: 'passed',
      message: 'Not revoked or suspended (checked 2026-01-01T00:00:00Z).'});
    expect(fetches.sort()).toEqual([REV, SUS]);
  });

  it('fails a revoked credential (STATUS_REVOKED), through verifyCredential', async () => {
    const {check} = checker({[REV]: await signedList({set: [42]}), [SUS]: await signedList({url: SUS})});
    const signed = await signCredential(credentialWith(entries()), issuer.signer, CREATED, canonicalizer);
    const result = await verifyCredential(signed, {canonicalizer, resolveController: resolveDidKey, now: () => NOW, checkStatus: check});
    expect(result.verified).toBe(false);
    expect(result.errors).toEqual([{check: 'status', code: 'STATUS_REVOKED', status: 'failed', message: 'The issuer has revoked this credential: it is no longer valid.'}]);
  });

  it('fails a suspended credential (STATUS_SUSPENDED); revoked wins over suspended', async () => {
    const {check} = checker({[REV]: await signedList(), [SUS]: await signedList({url: SUS, set: [42]})});
    expect(await check(credentialWith(entries()))).toMatchObject({code: 'STATUS_SUSPENDED', status: 'failed'});
    const both = checker({[REV]: await signedList({set: [42]}), [SUS]: await signedList({url: SUS, set: [42]})});
    expect(await both.check(credentialWith(entries()))).toMatchObject({code: 'STATUS_REVOKED', status: 'failed'});
    // Revoked also wins over a list that cannot be read.
    const half = checker({[REV]: await signedList({set: [42]})});
    expect(await half.check(credentialWith(entries()))).toMatchObject({code: 'STATUS_REVOKED'});
    const suspendedHalf = checker({[SUS]: await signedList({url: SUS, set: [42]})});
    expect(await suspendedHalf.check(credentialWith(entries()))).toMatchObject({code: 'STATUS_SUSPENDED'});
  });

  it('reads a single entry object as well as an array', async () => {
    const {check} = checker({[REV]: await signedList({set: [7]})});
    const [revocation] = entries(7);
    expect(await check(credentialWith(revocation))).toMatchObject({code: 'STATUS_REVOKED'});
    expect(await check(credentialWith([revocation]))).toMatchObject({code: 'STATUS_REVOKED'});
    expect(await check(credentialWith(entries(8)[0]))).toEqual({code: 'STATUS_VALID', status: 'passed', message: 'Not revoked (checked 2026-01-01T00:00:00Z).'});
  });

  it('warns STATUS_UNKNOWN when a list cannot be fetched', async () => {
    const {check} = checker({[REV]: await signedList()});
    const result = await check(credentialWith(entries()));
    expectUnknown(result, /could not be downloaded from https:\/\/laurel\.test\/status\/l1\/suspension \(HTTP 404\)/);
    expect(result.message).toMatch(/The list that could be checked shows it is not revoked\.$/);
  });

  it('warns STATUS_UNKNOWN when the list\'s proof does not verify', async () => {
    const list = await signedList();
    (list.credentialSubject as Record<string, unknown>).encodedList = await encodeStatusList(new Bitstring().bytes.fill(0xff));
    const {check} = checker({[REV]: list});
    expectUnknown(await check(credentialWith(entries()[0])), /status list is not validly signed by its issuer \(The signature does not match/);
    // Signed by someone else's key while naming the issuer: the issuer check fails.
    const {proof: _proof, ...unsigned} = await signedList({set: [42]});
    const forged = await signCredential(unsigned, randomDidKey().signer, CREATED, canonicalizer);
    expectUnknown(await checker({[REV]: forged}).check(credentialWith(entries()[0])), /not validly signed by its issuer \(The signing key belongs to/);
  });

  it('warns STATUS_UNKNOWN when the list belongs to another issuer', async () => {
    const other = randomDidKey();
    const {check} = checker({[REV]: await signedList({key: other, set: [42]})});
    expectUnknown(await check(credentialWith(entries()[0])), new RegExp(`published by ${other.did}, not by the issuer of this credential`));
  });

  it('warns STATUS_UNKNOWN when the list has expired or is not valid yet', async () => {
    const expired = checker({[REV]: await signedList({validUntil: '2025-06-01T00:00:00Z', set: [42]})});
    expectUnknown(await expired.check(credentialWith(entries()[0])), /status list has expired \(Expired on 2025-06-01T00:00:00Z\.\)/);
    const early = checker({[REV]: await signedList({validFrom: '2026-06-01T00:00:00Z'})});
    expectUnknown(await early.check(credentialWith(entries()[0])), /not valid yet/);
  });

  it('warns STATUS_UNKNOWN when the list is for another purpose', async () => {
    const {check} = checker({[REV]: await signedList({purpose: 'suspension', set: [42]})});
    expectUnknown(await check(credentialWith(entries()[0])), /names for revocation is a list for suspension/);
  });

  it('warns STATUS_UNKNOWN when the list cannot be decoded, or is not what the entry points to', async () => {
    expectUnknown(await checker({[REV]: await signedList({encodedList: 'uAAAA'})}).check(credentialWith(entries()[0])),
      /damaged and cannot be read \(the encoded list is not valid GZIP data/);
    expectUnknown(await checker({[REV]: await signedList({encodedList: 'zAAAA'})}).check(credentialWith(entries()[0])),
      /damaged and cannot be read \(the encoded list does not start with "u"/);
    // Served at REV, but it is the list published at SUS.
    expectUnknown(await checker({[REV]: await signedList({url: SUS, purpose: 'revocation'})}).check(credentialWith(entries()[0])),
      /says it is the status list https:\/\/laurel\.test\/status\/l1\/suspension/);
    // Not a status list at all: a signed badge.
    const badge = await signCredential(buildAchievementCredential(sampleCredentialInput(issuer.did, {id: REV})), issuer.signer, CREATED, canonicalizer);
    expectUnknown(await checker({[REV]: badge}).check(credentialWith(entries()[0])), /is not a status list/);
    expectUnknown(await checker({[REV]: 'garbage'}).check(credentialWith(entries()[0])), /is not a status list/);
  });

  it('warns STATUS_UNKNOWN when list verification itself throws', async () => {
    const {check} = checker({[REV]: await signedList()}, {verifyListCredential: async () => {
      throw new Error('resolver down');
    }});
    expectUnknown(await check(credentialWith(entries()[0])), /could not be verified \(resolver down\)/);
  });

  it('fails a list shorter than 131,072 entries (STATUS_LIST_LENGTH_ERROR)', async () => {
    const {check} = checker({[REV]: await signedList({bytes: new Uint8Array(8192)})});
    expect(await check(credentialWith(entries(1)[0]))).toMatchObject({code: 'STATUS_LIST_LENGTH_ERROR', status: 'failed',
      message: expect.stringMatching(/too short .* \(65536 entries; the standard requires at least 131072\)/)});
  });

  it('fails an index outside the list (STATUS_RANGE_ERROR)', async () => {
    const {check} = checker({[REV]: await signedList()});
    for(const index of ['131072', '99999999999999999999999']) {
      const entry = {...entries()[0], statusListIndex: index};
      expect(await check(credentialWith(entry))).toEqual({code: 'STATUS_RANGE_ERROR', status: 'failed',
        message: `The credential points to entry ${index} of the issuer's status list, which has only 131072 entries.`});
    }
    expect(await check(credentialWith({...entries()[0], statusListIndex: '131071'}))).toMatchObject({code: 'STATUS_VALID'});
    expect(await check(credentialWith({...entries()[0], statusListIndex: '0042'}))).toMatchObject({code: 'STATUS_VALID'});
  });

  it('warns "status method not supported" when no entry is a BitstringStatusListEntry, without fetching', async () => {
    const {check, fetches} = checker({});
    const status2021 = {id: `${REV}#1`, type: 'StatusList2021Entry', statusPurpose: 'revocation', statusListIndex: '1', statusListCredential: REV};
    const result = await check(credentialWith([status2021, 'junk']));
    expectUnknown(result, /the status method is not supported/);
    expect(result.message).toMatch(/Laurel does not check \(StatusList2021Entry, an entry Laurel cannot read\)/);
    expectUnknown(await check(credentialWith({...entries()[0], statusPurpose: 'message', statusSize: 2})), /not supported.*"message" status/);
    expect(fetches).toEqual([]);
  });

  it('checks the BitstringStatusListEntry items and reports the others it ignores', async () => {
    const {check} = checker({[REV]: await signedList()});
    const other = {id: 'https://other.example/status/1', type: 'CredentialStatusList2017'};
    const result = await check(credentialWith([other, entries()[0]]));
    expect(result).toMatchObject({code: 'STATUS_VALID', status: 'passed'});
    expect(result.message).toBe('Not revoked (checked 2026-01-01T00:00:00Z). The credential also lists status information Laurel does not check (CredentialStatusList2017).');
  });

  it('warns STATUS_UNKNOWN for malformed entries', async () => {
    const {check, fetches} = checker({[REV]: await signedList()});
    const [entry] = entries();
    for(const [change, why] of [
      [{statusListIndex: 42}, /statusListIndex must be a whole number/],
      [{statusListIndex: '-1'}, /statusListIndex must be a whole number/],
      [{statusListIndex: '4.2'}, /statusListIndex must be a whole number/],
      [{statusListIndex: ''}, /statusListIndex must be a whole number/],
      [{statusListCredential: 'not a url'}, /statusListCredential must be a URL/],
      [{statusListCredential: undefined}, /statusListCredential must be a URL/],
      [{id: REV}, /its id must not be the status list's URL/],
      [{statusSize: 2}, /statusSize must be 1/],
      [{statusPurpose: 7}, /does not say what it is for/],
    ] as const) {
      expectUnknown(await check(credentialWith({...entry, ...change})), why);
    }
    expect(fetches).toEqual([]);
  });

  it('never throws, whatever credentialStatus holds (property)', async () => {
    const good = await signedList({set: [3]});
    const entryLike = fc.record({
      id: fc.oneof(fc.constant(REV), fc.webUrl(), fc.anything()),
      type: fc.oneof(fc.constant('BitstringStatusListEntry'), fc.string(), fc.anything()),
      statusPurpose: fc.oneof(fc.constantFrom('revocation', 'suspension', 'message'), fc.anything()),
      statusListIndex: fc.oneof(fc.nat().map(String), fc.string(), fc.anything()),
      statusListCredential: fc.oneof(fc.constantFrom(REV, SUS, 'https://nowhere.example/x'), fc.string(), fc.anything()),
      statusSize: fc.oneof(fc.constant(1), fc.anything()),
    }, {requiredKeys: []});
    const status = fc.oneof(fc.anything(), entryLike, fc.array(fc.oneof(entryLike, fc.anything()), {maxLength: 4}));
    const listDoc = fc.oneof(fc.constant(good), fc.anything(), fc.record({type: fc.constant(['VerifiableCredential', 'BitstringStatusListCredential']),
      credentialSubject: fc.anything(), issuer: fc.anything()}));
    await fc.assert(fc.asyncProperty(status, listDoc, fc.boolean(), async (credentialStatus, doc, throws) => {
      const {check} = checker({}, {fetchStatusList: async () => {
        if(throws) throw doc;
        return doc;
      }});
      const result = await check(credentialWith(credentialStatus));
      expect(CODES.has(result.code)).toBe(true);
      expect(['passed', 'failed', 'warning']).toContain(result.status);
      expect(typeof result.message).toBe('string');
    }), {numRuns: 300});
  });
});

describe('StatusListCache', () => {
  it('shares one fetch between concurrent checks, and keeps the list until its ttl', async () => {
    const clock = {now: NOW};
    const cache = new StatusListCache();
    const {check, fetches} = checker({[REV]: await signedList({ttl: 60_000, set: [42]}), [SUS]: await signedList({url: SUS, ttl: 60_000})}, {cache, clock});
    const results = await Promise.all(Array.from({length: 5}, () => check(credentialWith(entries()))));
    expect(results.map(r => r.code)).toEqual(Array(5).fill('STATUS_REVOKED'));
    expect(fetches.sort()).toEqual([REV, SUS]);
    expect(cache.size).toBe(2);
    clock.now = new Date(NOW.getTime() + 59_999);
    await check(credentialWith(entries()));
    expect(fetches).toHaveLength(2);
    clock.now = new Date(NOW.getTime() + 60_000);
    await check(credentialWith(entries()));
    expect(fetches).toHaveLength(4);
  });

  it('defaults the ttl to 5 minutes and caps it at 1 day', async () => {
    const clock = {now: NOW};
    const cache = new StatusListCache();
    const {check, fetches} = checker({[REV]: await signedList(), [SUS]: await signedList({url: SUS, ttl: 10 * 86_400_000})}, {cache, clock});
    await check(credentialWith(entries()));
    clock.now = new Date(NOW.getTime() + 299_999);
    await check(credentialWith(entries()));
    expect(fetches).toHaveLength(2);
    clock.now = new Date(NOW.getTime() + 300_000);
    await check(credentialWith(entries()));
    expect(fetches.filter(u => u === REV)).toHaveLength(2);
    expect(fetches.filter(u => u === SUS)).toHaveLength(1);
    clock.now = new Date(NOW.getTime() + 86_400_000);
    await check(credentialWith(entries()));
    expect(fetches.filter(u => u === SUS)).toHaveLength(2);
  });

  it('reports the time the cached list was fetched, and never keeps a list past its validUntil', async () => {
    const clock = {now: NOW};
    const cache = new StatusListCache();
    const {check, fetches} = checker({[REV]: await signedList({validUntil: '2026-01-01T00:01:00Z'})}, {cache, clock});
    clock.now = new Date('2026-01-01T00:00:30Z');
    expect((await check(credentialWith(entries()[0]))).message).toBe('Not revoked (checked 2026-01-01T00:00:30Z).');
    clock.now = new Date('2026-01-01T00:00:45Z');
    expect((await check(credentialWith(entries()[0]))).message).toBe('Not revoked (checked 2026-01-01T00:00:30Z).');
    expect(fetches).toHaveLength(1);
    clock.now = new Date('2026-01-01T00:01:01Z');
    expectUnknown(await check(credentialWith(entries()[0])), /has expired/);
    expect(fetches).toHaveLength(2);
  });

  it('does not keep failures, and without a cache every check fetches afresh', async () => {
    const lists: Record<string, unknown> = {};
    const cache = new StatusListCache();
    const cached = checker(lists, {cache});
    const fresh = checker(lists);
    expectUnknown(await cached.check(credentialWith(entries()[0])), /HTTP 404/);
    lists[REV] = await signedList();
    expect(await cached.check(credentialWith(entries()[0]))).toMatchObject({code: 'STATUS_VALID'});
    expect(await fresh.check(credentialWith(entries()[0]))).toMatchObject({code: 'STATUS_VALID'});
    // The issuer revokes: the fresh check sees it at once, the cached one after the ttl.
    lists[REV] = await signedList({set: [42]});
    expect(await fresh.check(credentialWith(entries()[0]))).toMatchObject({code: 'STATUS_REVOKED'});
    expect(await cached.check(credentialWith(entries()[0]))).toMatchObject({code: 'STATUS_VALID'});
    cache.delete(REV);
    expect(await cached.check(credentialWith(entries()[0]))).toMatchObject({code: 'STATUS_REVOKED'});
    expect(cached.fetches).toHaveLength(3);
    expect(fresh.fetches).toHaveLength(2);
  });

  it('is bounded in entries and bytes', async () => {
    const lists = {[REV]: await signedList(), [SUS]: await signedList({url: SUS})};
    const byCount = new StatusListCache({maxEntries: 1});
    await checker(lists, {cache: byCount}).check(credentialWith(entries()));
    expect(byCount.size).toBe(1);
    const byBytes = new StatusListCache({maxBytes: 16_384});
    await checker(lists, {cache: byBytes}).check(credentialWith(entries()));
    expect(byBytes.size).toBe(1);
    const tooSmall = new StatusListCache({maxBytes: 16_383});
    await checker(lists, {cache: tooSmall}).check(credentialWith(entries()));
    expect(tooSmall.size).toBe(0);
    byCount.clear();
    expect(byCount.size).toBe(0);
  });
});

describe('OB 3.0 schema: credentialStatus as an array', () => {
  const credential = buildAchievementCredential(sampleCredentialInput(issuer.did));

  it('accepts an array whose every item is a CredentialStatus, and one object as before', () => {
    expect(validateAchievementCredentialSchema({...credential, credentialStatus: entries()})).toEqual([]);
    expect(validateAchievementCredentialSchema({...credential, credentialStatus: entries()[0]})).toEqual([]);
  });

  it('refuses an array with an item that is not a CredentialStatus, naming the item', () => {
    const [revocation, suspension] = entries();
    const {type: _type, ...untyped} = suspension;
    expect(validateAchievementCredentialSchema({...credential, credentialStatus: [revocation, untyped]}))
      .toEqual(['/credentialStatus/1 must have required property \'type\'']);
    const {id: _id, ...noId} = revocation;
    expect(validateAchievementCredentialSchema({...credential, credentialStatus: [noId, suspension]}))
      .toEqual(['/credentialStatus/0 must have required property \'id\'']);
    expect(validateAchievementCredentialSchema({...credential, credentialStatus: [revocation, 'x']}))
      .toEqual(['/credentialStatus/1 must be object']);
    expect(validateAchievementCredentialSchema({...credential, credentialStatus: []})).toEqual(['/credentialStatus must be object']);
  });

  it('still reports problems elsewhere in the document once', () => {
    const {name: _name, ...rest} = credential.credentialSubject.achievement;
    const broken = {...credential, credentialSubject: {...credential.credentialSubject, achievement: rest}, credentialStatus: entries()};
    expect(validateAchievementCredentialSchema(broken)).toEqual(['/credentialSubject/achievement must have required property \'name\'']);
  });
});
