// Interop with Digital Bazaar's Bitstring Status List implementation (@digitalbazaar/vc-bitstring-status-list
// 2.0.1, on @digitalbazaar/bitstring 3.1.0 and pako): lists encoded by either side decode on the other with the
// same bits, DB's checkStatus accepts a credential and list credentials signed by Laurel, and Laurel's check
// reads a list credential made and signed by DB. Both sides load only Laurel's bundled contexts plus the
// documents served here; nothing is fetched.
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader, DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {resolveDidKey} from '../src/did.js';
import {signCredential} from '../src/sign.js';
import {Bitstring, buildStatusListCredential, createBitstringStatusCheck, decodeStatusList, encodeStatusList, STATUS_LIST_MIN_BITS,
  statusListEntry} from '../src/status-list.js';
import {verifyCredential} from '../src/verify.js';
import {randomDidKey, sampleCredentialInput, type TestDidKey} from './helpers.js';

/** What this test uses of @digitalbazaar/vc-bitstring-status-list 2.0.1 (untyped JavaScript). */
interface DbStatusList {
  length: number;
  setStatus(index: number, status: boolean): void;
  getStatus(index: number): boolean;
  encode(): Promise<string>;
}
interface DbStatusListModule {
  createList(options: {length: number}): Promise<DbStatusList>;
  decodeList(options: {encodedList: string}): Promise<DbStatusList>;
  createCredential(options: {id: string; list: DbStatusList; statusPurpose: string}): Promise<Record<string, unknown>>;
  checkStatus(options: {credential: unknown; documentLoader: unknown; suite: unknown; verifyBitstringStatusListCredential?: boolean;
    verifyMatchingIssuers?: boolean}): Promise<{verified: boolean; error?: Error; results?: {verified: boolean; status: boolean;
    credentialStatus: {statusPurpose: string}}[]}>;
}
// Imported by a specifier TypeScript does not resolve: the package ships no declarations (types/digitalbazaar.d.ts
// would be their place), and this way the test compiles whether or not someone adds them.
const DB_STATUS_LIST = '@digitalbazaar/vc-bitstring-status-list';
const db = await import(DB_STATUS_LIST) as DbStatusListModule;

const NOW = new Date('2026-01-01T00:00:00Z');
const CREATED = '2025-01-01T00:00:00Z';
const canonicalizer = new Canonicalizer(createDocumentLoader());
const REV = 'https://laurel.test/status/l1/revocation';
const SUS = 'https://laurel.test/status/l1/suspension';

const indexes = fc.uniqueArray(fc.nat(STATUS_LIST_MIN_BITS - 1), {maxLength: 40});
const probes = (set: number[]) => [...set, 0, 1, 7, 8, 42, 65_535, STATUS_LIST_MIN_BITS - 1, ...set.map(i => i ^ 1)];

describe('encodedList interop with @digitalbazaar/vc-bitstring-status-list', () => {
  it('a list Laurel encodes decodes with DB\'s decodeList, with the same bits', async () => {
    await fc.assert(fc.asyncProperty(indexes, async set => {
      const bits = new Bitstring();
      for(const i of set) bits.set(i, true);
      const theirs = await db.decodeList({encodedList: await encodeStatusList(bits.bytes)});
      expect(theirs.length).toBe(STATUS_LIST_MIN_BITS);
      for(const i of probes(set)) expect(theirs.getStatus(i)).toBe(bits.get(i));
    }), {numRuns: 25});
  });

  it('a list DB creates and encodes decodes with Laurel\'s decodeStatusList, with the same bits', async () => {
    await fc.assert(fc.asyncProperty(indexes, fc.constantFrom(STATUS_LIST_MIN_BITS, 2 * STATUS_LIST_MIN_BITS), async (set, length) => {
      const theirs = await db.createList({length});
      for(const i of set) theirs.setStatus(i, true);
      const ours = new Bitstring(await decodeStatusList(await theirs.encode()));
      expect(ours.length).toBe(length);
      for(const i of probes(set)) expect(ours.get(i)).toBe(theirs.getStatus(i));
    }), {numRuns: 25});
  });
});

/** The did:key documents DB dereferences (the DID document and the verification method), from DB's own key parsing. */
async function dbDidKeyDocuments(did: string): Promise<[string, unknown][]> {
  const publicKeyMultibase = did.slice('did:key:'.length);
  const vmId = `${did}#${publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({id: vmId, controller: did, publicKeyMultibase});
  const vm = await key.export({publicKey: true, includeContext: true});
  const {'@context': _ctx, ...embedded} = vm;
  return [
    [did, {'@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT], id: did, verificationMethod: [embedded], assertionMethod: [vmId], authentication: [vmId]}],
    [vmId, vm],
  ];
}

async function laurelList(key: TestDidKey, url: string, purpose: string, set: number[]) {
  const bits = new Bitstring();
  for(const i of set) bits.set(i, true);
  const unsigned = buildStatusListCredential({id: url, issuer: key.did, statusPurpose: purpose, encodedList: await encodeStatusList(bits.bytes),
    validFrom: CREATED, ttl: 60_000});
  return signCredential(unsigned, key.signer, CREATED, canonicalizer);
}

async function laurelCredential(key: TestDidKey, index: number) {
  const credentialStatus = [statusListEntry({listCredentialUrl: REV, index, purpose: 'revocation'}),
    statusListEntry({listCredentialUrl: SUS, index, purpose: 'suspension'})];
  return signCredential({...buildAchievementCredential(sampleCredentialInput(key.did)), credentialStatus}, key.signer, CREATED, canonicalizer);
}

const laurelCheck = (lists: Record<string, unknown>) => createBitstringStatusCheck({
  fetchStatusList: async url => {
    if(!(url in lists)) throw new Error('HTTP 404');
    return structuredClone(lists[url]);
  },
  verifyListCredential: list => verifyCredential(list, {canonicalizer, resolveController: resolveDidKey, now: () => NOW}),
  now: () => NOW,
});

describe('status checks across implementations', () => {
  it('DB\'s checkStatus accepts a Laurel credential with Laurel-signed lists, and reads the same bits', async () => {
    const issuer = randomDidKey();
    const lists = {[REV]: await laurelList(issuer, REV, 'revocation', [42]), [SUS]: await laurelList(issuer, SUS, 'suspension', [43])};
    const documentLoader = createDocumentLoader(new Map([...Object.entries(lists), ...await dbDidKeyDocuments(issuer.did)]));
    const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
    for(const [index, revoked, suspended, code] of [[41, false, false, 'STATUS_VALID'], [42, true, false, 'STATUS_REVOKED'],
      [43, false, true, 'STATUS_SUSPENDED']] as const) {
      const credential = await laurelCredential(issuer, index);
      const theirs = await db.checkStatus({credential, documentLoader, suite});
      expect(theirs.verified, theirs.error?.message).toBe(true);
      expect(Object.fromEntries(theirs.results!.map(r => [r.credentialStatus.statusPurpose, r.status]))).toEqual({revocation: revoked, suspension: suspended});
      expect((await laurelCheck(lists)(credential)).code).toBe(code);
      // DB's vc.verifyCredential accepts the credential with its two status entries. (DB's `verified` means the
      // status could be checked; whether a bit is set is in results[].status, compared above.)
      const checkStatus = (options: {credential: unknown}) => db.checkStatus({...options, documentLoader, suite});
      const verified = await vc.verifyCredential({credential, suite, documentLoader, now: NOW, checkStatus});
      expect(verified.verified).toBe(true);
    }
  });

  it('both refuse a list signed by another issuer', async () => {
    const issuer = randomDidKey(), other = randomDidKey();
    const lists = {[REV]: await laurelList(other, REV, 'revocation', []), [SUS]: await laurelList(other, SUS, 'suspension', [])};
    const documentLoader = createDocumentLoader(new Map([...Object.entries(lists), ...await dbDidKeyDocuments(other.did)]));
    const credential = await laurelCredential(issuer, 1);
    const theirs = await db.checkStatus({credential, documentLoader, suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022})});
    expect(theirs.verified).toBe(false);
    expect(theirs.error?.message).toMatch(/Issuers of the status list credential and verifiable credential do not match/);
    expect((await laurelCheck(lists)(credential)).code).toBe('STATUS_UNKNOWN');
  });

  it('Laurel\'s check reads a list credential made with DB\'s createList / createCredential and signed by DB', async () => {
    const generated = await Ed25519Multikey.generate();
    const {publicKeyMultibase, secretKeyMultibase} = await generated.export({publicKey: true, secretKey: true, includeContext: false});
    const did = `did:key:${publicKeyMultibase}`;
    const keyPair = await Ed25519Multikey.from({id: `${did}#${publicKeyMultibase}`, controller: did, publicKeyMultibase, secretKeyMultibase});
    const suite = new DataIntegrityProof({signer: keyPair.signer(), date: CREATED, cryptosuite: eddsaRdfc2022});
    const dbList = async (url: string, purpose: string, set: number[]) => {
      const list = await db.createList({length: STATUS_LIST_MIN_BITS});
      for(const i of set) list.setStatus(i, true);
      const unsigned = {...await db.createCredential({id: url, list, statusPurpose: purpose}), issuer: did, validFrom: CREATED};
      return await vc.issue({credential: unsigned, suite, documentLoader: createDocumentLoader(), now: NOW});
    };
    const lists = {[REV]: await dbList(REV, 'revocation', [5]), [SUS]: await dbList(SUS, 'suspension', [6])};
    const check = laurelCheck(lists);
    const entries = (index: number) => [statusListEntry({listCredentialUrl: REV, index, purpose: 'revocation'}),
      statusListEntry({listCredentialUrl: SUS, index, purpose: 'suspension'})];
    const credential = (index: number) => ({...buildAchievementCredential(sampleCredentialInput(did)), credentialStatus: entries(index)});
    expect(await check(credential(4))).toMatchObject({code: 'STATUS_VALID', status: 'passed'});
    expect(await check(credential(5))).toMatchObject({code: 'STATUS_REVOKED', status: 'failed'});
    expect(await check(credential(6))).toMatchObject({code: 'STATUS_SUSPENDED', status: 'failed'});
  });
});
