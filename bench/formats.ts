/**
 * (v4–v7) Verification throughput of the formats Laurel verifies but bench/run.ts
 * does not measure (v1–v3 there: eddsa-rdfc-2022, eddsa-jcs-2022, vc+jwt EdDSA):
 *
 *   (v4) ecdsa-rdfc-2019, P-256 Data Integrity      vs (vb4) Digital Bazaar vc.verifyCredential + ecdsa-rdfc-2019-cryptosuite
 *   (v5) ecdsa-jcs-2019, P-256 Data Integrity       vs (vb5) Digital Bazaar vc.verifyCredential + ecdsa-jcs-2019-cryptosuite
 *   (v6) Ed25519Signature2020, a VC 1.1 credential  vs (vb6) Digital Bazaar vc.verifyCredential + ed25519-signature-2020
 *   (v7) VC-JOSE application/vc+jwt, ES256           vs (vb7) jose jwtVerify (there is no Digital Bazaar vc+jwt verifier:
 *        the reference is the JWS signature plus the JWT time claims only, no credential checks)
 *   and the raw limits: (ap) node:crypto ECDSA P-256 / SHA-256 verify of 64 bytes (v4, v5, v7),
 *   (av) node:crypto Ed25519 verify of 64 bytes (v6).
 *
 * Laurel verifies each with verifyCredential / verifyVcJwt, ALL_SUITES, a Canonicalizer
 * with node:crypto ports, did:key resolution and a fixed clock. Every format cycles
 * through a pool of POOL distinct credentials (distinct recipients), one verification at
 * a time. The Data Integrity credentials are signed by the Digital Bazaar suites (Laurel
 * only verifies them); the ES256 tokens by Laurel's signVcJwt. Before timing, every
 * credential of every pool must verify with Laurel and with the reference, and one
 * tampered credential per format must be refused by both; otherwise the bench aborts.
 *
 * Runs alone with `npx tsx bench/formats.ts` (BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP).
 */
import {createECDH, createHash, createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify} from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as ecdsaJcs from '@digitalbazaar/ecdsa-jcs-2019-cryptosuite';
import {cryptosuite as dbEcdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import {importJWK, jwtVerify} from 'jose';
import {ALL_SUITES, Canonicalizer, createDocumentLoader, didKeyDocument, type DocumentLoader, ED25519_2020_CONTEXT,
  MULTIKEY_V1_CONTEXT, resolveDidKey, signVcJwt, toBase58btc, VC_V1_CONTEXT, type VerificationResult, verifyCredential,
  verifyVcJwt} from '@laurel/core';
import {nodeCryptoPorts} from '@laurel/core/node';
import {type BenchKey, benchKey, CREATED, nextCredential, VERIFY_NOW} from './fixtures.js';
import {type BenchConfig, type BenchSpec, configFromEnv, fmtRate, measureInterleaved, median, type Stats, table} from './measure.js';

/** Distinct signed credentials per format, verified in turn. */
const POOL = 200;

type Credential = Record<string, any>;
interface DbVerifyResult {
  verified: boolean;
  error?: unknown;
  results?: unknown[];
}

/** One format's result: Laurel, its reference and the raw signature limit, in verifications per second. */
export interface FormatResult {
  format: string;
  laurel: Stats;
  reference: Stats;
  referenceName: string;
  limit: Stats;
}

// ---------------------------------------------------------------------------
// Keys: the bench's Ed25519 key (fixtures.ts) and a fixed P-256 key, both as did:key.

interface P256Key {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK (x, y), for the jose reference. */
  jwk: {kty: 'EC'; crv: 'P-256'; x: string; y: string};
  publicKeyMultibase: string;
  secretKeyMultibase: string;
  did: string;
  verificationMethod: string;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const prefixed = (prefix: number[], bytes: Uint8Array) => Buffer.concat([Buffer.from(prefix), bytes]);

/** A fixed P-256 key (d = SHA-256 of a label) and its `zDn…` did:key. */
function p256Key(): P256Key {
  const d = createHash('sha256').update('laurel bench p256 key').digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey();
  const compressed = ecdh.getPublicKey(undefined, 'compressed');
  const jwk = {kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65))} as const;
  // Multicodec p256-pub 0x1200 and p256-priv 0x1306, as varints.
  const publicKeyMultibase = toBase58btc(prefixed([0x80, 0x24], compressed));
  const secretKeyMultibase = toBase58btc(prefixed([0x86, 0x26], d));
  const did = `did:key:${publicKeyMultibase}`;
  return {
    privateKey: createPrivateKey({key: {...jwk, d: b64url(d)}, format: 'jwk'}),
    publicKey: createPublicKey({key: jwk, format: 'jwk'}),
    jwk, publicKeyMultibase, secretKeyMultibase, did, verificationMethod: `${did}#${publicKeyMultibase}`,
  };
}

/** The did:key documents Digital Bazaar dereferences: the DID document and the method as its own document. */
function didKeyDocuments(did: string): [string, unknown][] {
  const doc = didKeyDocument(did);
  if(!doc) throw new Error(`not an Ed25519 or P-256 did:key: ${did}`);
  const vm = doc.verificationMethod![0];
  return [[did, doc], [vm.id, {'@context': MULTIKEY_V1_CONTEXT, ...vm}]];
}

/** nextCredential as VC 1.1 (v1 context first, issuanceDate / expirationDate), with the Ed25519Signature2020 context. */
function nextVc11Credential(issuerDid: string): Credential {
  const {validFrom, validUntil, '@context': context, ...rest} = nextCredential(issuerDid) as Credential;
  return {'@context': [VC_V1_CONTEXT, ...(context as string[]).slice(1), ED25519_2020_CONTEXT], ...rest,
    issuanceDate: validFrom, expirationDate: validUntil};
}

const dbMessage = (r: DbVerifyResult): string => {
  const e = r.error as {message?: string; errors?: {message?: string}[]} | undefined;
  const first = (r.results?.[0] as {error?: {message?: string}} | undefined)?.error?.message;
  return e?.errors?.map(x => x.message).join('; ') ?? e?.message ?? first ?? JSON.stringify(r).slice(0, 500);
};
const laurelMessage = (r: VerificationResult) => r.errors.map(e => `${e.check}: ${e.code} ${e.message ?? ''}`).join('; ');

/** A copy of a Data Integrity credential with the achievement renamed (the signature no longer matches). */
function tamperedCredential(signed: Credential): Credential {
  const t = structuredClone(signed);
  t.credentialSubject.achievement.name += ' (edited)';
  return t;
}

/** A copy of a compact JWS with the payload's achievement renamed and the original signature kept. */
function tamperedJwt(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  payload.credentialSubject.achievement.name += ' (edited)';
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

// ---------------------------------------------------------------------------

interface Format<T> {
  /** Row label, e.g. "(v4) ecdsa-rdfc-2019 (P-256)". */
  format: string;
  pool: T[];
  laurel(item: T): Promise<VerificationResult>;
  referenceName: string;
  /** The reference's verdict, and why when it refuses. */
  reference(item: T): Promise<{verified: boolean; message?: string}>;
  tamper(item: T): T;
  limit: 'ap' | 'av';
}

/** Checks every pool item with both verifiers and one tampered item; returns the failures. */
async function checkFormat<T>(f: Format<T>): Promise<string[]> {
  const failures: string[] = [];
  let laurelOk = 0, referenceOk = 0;
  for(const [i, item] of f.pool.entries()) {
    const l = await f.laurel(item);
    if(l.verified) laurelOk++;
    else if(failures.length < 3) failures.push(`${f.format}: credential ${i} refused by Laurel: ${laurelMessage(l)}`);
    const r = await f.reference(item);
    if(r.verified) referenceOk++;
    else if(failures.length < 3) failures.push(`${f.format}: credential ${i} refused by ${f.referenceName}: ${r.message}`);
  }
  const tampered = f.tamper(f.pool[0]);
  const lt = await f.laurel(tampered);
  const rt = await f.reference(tampered);
  if(lt.verified) failures.push(`${f.format}: a tampered credential was accepted by Laurel`);
  if(rt.verified) failures.push(`${f.format}: a tampered credential was accepted by ${f.referenceName}`);
  const ok = laurelOk === f.pool.length && referenceOk === f.pool.length && !lt.verified && !rt.verified;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${f.format}: ${laurelOk}/${f.pool.length} verified by Laurel, ` +
    `${referenceOk}/${f.pool.length} by ${f.referenceName}; tampered one refused by Laurel ${lt.verified ? 'NO' : 'yes'}, ` +
    `by the reference ${rt.verified ? 'NO' : 'yes'}`);
  return failures;
}

/** Measures (v4–v7) against their references and the raw limits and prints one table. */
export async function runFormatBenches(config: BenchConfig = configFromEnv()): Promise<FormatResult[]> {
  const t0 = performance.now();
  console.log('\nVerification of the other formats (v4–v7; bench/formats.ts, BENCH_FORMATS=0 skips):');
  const ed: BenchKey = benchKey();
  const p256 = p256Key();

  // Digital Bazaar key pairs for the same two keys.
  const dbP256 = await EcdsaMultikey.from({'@context': MULTIKEY_V1_CONTEXT, type: 'Multikey', id: p256.verificationMethod,
    controller: p256.did, publicKeyMultibase: p256.publicKeyMultibase, secretKeyMultibase: p256.secretKeyMultibase});
  if(dbP256.publicKeyMultibase !== p256.publicKeyMultibase) {
    throw new Error(`P-256 key mismatch: DB ${dbP256.publicKeyMultibase} vs ${p256.publicKeyMultibase}`);
  }
  const dbEd2020 = await Ed25519VerificationKey2020.generate({seed: ed.seed});
  dbEd2020.id = `${ed.did}#${dbEd2020.publicKeyMultibase}`;
  dbEd2020.controller = ed.did;
  if(dbEd2020.id !== ed.verificationMethod) throw new Error(`Ed25519 key mismatch: DB ${dbEd2020.id} vs ${ed.verificationMethod}`);
  console.log(`  keys     ${p256.verificationMethod}\n           ${ed.verificationMethod}`);

  const dbLoader: DocumentLoader = createDocumentLoader(new Map([...didKeyDocuments(p256.did), ...didKeyDocuments(ed.did)]));
  const dbIssue = async (credential: Credential, suite: unknown) =>
    await vc.issue({credential, suite, documentLoader: dbLoader, now: VERIFY_NOW}) as Credential;
  const dbVerify = async (credential: unknown, suite: unknown) => {
    const r = await vc.verifyCredential({credential, suite, documentLoader: dbLoader, now: VERIFY_NOW}) as DbVerifyResult;
    return {verified: r.verified === true, message: r.verified ? undefined : dbMessage(r)};
  };

  // Laurel: as the server configures it (node:crypto SHA-256 and Ed25519), every suite, did:key only, a fixed clock.
  const canonicalizer = new Canonicalizer(createDocumentLoader(), nodeCryptoPorts());
  const ports = {canonicalizer, resolveController: resolveDidKey, now: () => VERIFY_NOW, suites: ALL_SUITES};

  // --- the pools, signed beforehand (one at a time: distinct credentials, each signed once)
  const signAll = async <T>(make: () => Promise<T>): Promise<T[]> => {
    const out: T[] = [];
    for(let i = 0; i < POOL; i++) out.push(await make());
    return out;
  };
  const p256Signer = () => dbP256.signer();
  const rdfcPool = await signAll(() => dbIssue(nextCredential(p256.did),
    new DataIntegrityProof({signer: p256Signer(), date: CREATED, cryptosuite: dbEcdsaRdfc2019})));
  const jcsPool = await signAll(() => dbIssue(nextCredential(p256.did),
    new DataIntegrityProof({signer: p256Signer(), date: CREATED, cryptosuite: ecdsaJcs.createSignCryptosuite()})));
  const ed2020Pool = await signAll(() => dbIssue(nextVc11Credential(ed.did), new Ed25519Signature2020({key: dbEd2020, date: CREATED})));
  const es256Signer = {kid: p256.verificationMethod, alg: 'ES256' as const,
    sign: (data: Uint8Array) => new Uint8Array(sign('sha256', data, {key: p256.privateKey, dsaEncoding: 'ieee-p1363'}))};
  const jwtPool = await signAll(() => signVcJwt(nextCredential(p256.did), es256Signer, new Date(CREATED)));
  const checkProofs = (pool: Credential[], type: string, cryptosuite?: string) => {
    for(const c of pool) {
      if(c.proof?.type !== type || c.proof?.cryptosuite !== cryptosuite) {
        throw new Error(`expected a ${cryptosuite ?? type} proof, got ${JSON.stringify(c.proof)}`);
      }
    }
  };
  checkProofs(rdfcPool, 'DataIntegrityProof', 'ecdsa-rdfc-2019');
  checkProofs(jcsPool, 'DataIntegrityProof', 'ecdsa-jcs-2019');
  checkProofs(ed2020Pool, 'Ed25519Signature2020');
  console.log(`  pools    ${POOL} distinct credentials per format, signed in ${((performance.now() - t0) / 1000).toFixed(1)} s ` +
    '(Digital Bazaar suites for v4–v6, Laurel signVcJwt for v7)');

  // The jose reference: the key imported once, the algorithm pinned, the same clock.
  const joseKey = await importJWK(p256.jwk, 'ES256');
  const joseVerify = async (jwt: string) => {
    try {
      await jwtVerify(jwt, joseKey, {algorithms: ['ES256'], typ: 'vc+jwt', currentDate: VERIFY_NOW});
      return {verified: true};
    } catch(error) {
      return {verified: false, message: (error as Error).message};
    }
  };

  const formats = [
    {format: '(v4) ecdsa-rdfc-2019, P-256', pool: rdfcPool, limit: 'ap',
      laurel: c => verifyCredential(c, ports), tamper: tamperedCredential,
      referenceName: 'Digital Bazaar vc.verifyCredential + ecdsa-rdfc-2019-cryptosuite',
      reference: c => dbVerify(c, new DataIntegrityProof({cryptosuite: dbEcdsaRdfc2019}))} satisfies Format<Credential>,
    {format: '(v5) ecdsa-jcs-2019, P-256', pool: jcsPool, limit: 'ap',
      laurel: c => verifyCredential(c, ports), tamper: tamperedCredential,
      referenceName: 'Digital Bazaar vc.verifyCredential + ecdsa-jcs-2019-cryptosuite',
      reference: c => dbVerify(c, new DataIntegrityProof({cryptosuite: ecdsaJcs.createVerifyCryptosuite()}))} satisfies Format<Credential>,
    {format: '(v6) Ed25519Signature2020, VC 1.1', pool: ed2020Pool, limit: 'av',
      laurel: c => verifyCredential(c, ports), tamper: tamperedCredential,
      referenceName: 'Digital Bazaar vc.verifyCredential + ed25519-signature-2020',
      reference: c => dbVerify(c, new Ed25519Signature2020({}))} satisfies Format<Credential>,
    {format: '(v7) vc+jwt, ES256', pool: jwtPool, limit: 'ap',
      laurel: t => verifyVcJwt(t, ports), tamper: tamperedJwt,
      referenceName: 'jose jwtVerify (signature + JWT time claims only)',
      reference: joseVerify} satisfies Format<string>,
  ] as const;

  // --- sanity: abort unless every credential verifies with both, and tampering is refused
  console.log('  checks');
  const failures = [
    ...await checkFormat<Credential>(formats[0]), ...await checkFormat<Credential>(formats[1]),
    ...await checkFormat<Credential>(formats[2]), ...await checkFormat<string>(formats[3]),
  ];
  if(failures.length) throw new Error('bench/formats.ts aborted: sanity checks failed\n' + failures.map(f => `- ${f}`).join('\n'));

  // --- the benches: each format's Laurel and reference, then the two raw limits
  const cycler = <T>(pool: T[]) => {
    let i = 0;
    return () => pool[i++ % pool.length];
  };
  const specs: BenchSpec[] = [];
  const formatSpecs = <T>(f: Format<T>, short: string) => {
    const nextL = cycler(f.pool), nextR = cycler(f.pool);
    specs.push(
      {label: `${f.format}, Laurel`, unit: 'verifs/s', batch: async () => {
        const r = await f.laurel(nextL());
        if(!r.verified) throw new Error(`${f.format}: Laurel did not verify: ${laurelMessage(r)}`);
        return 1;
      }},
      {label: `(vb${short}) ${f.referenceName}`, unit: 'verifs/s', batch: async () => {
        const r = await f.reference(nextR());
        if(!r.verified) throw new Error(`${f.format}: the reference did not verify: ${r.message}`);
        return 1;
      }},
    );
  };
  formatSpecs<Credential>(formats[0], '4');
  formatSpecs<Credential>(formats[1], '5');
  formatSpecs<Credential>(formats[2], '6');
  formatSpecs<string>(formats[3], '7');
  const message = randomBytes(64);
  const p256Signature = sign('sha256', message, p256.privateKey);
  const edPublicKey = createPublicKey(ed.privateKey);
  const edSignature = sign(null, message, ed.privateKey);
  if(!verify('sha256', message, p256.publicKey, p256Signature) || !verify(null, message, edPublicKey, edSignature)) {
    throw new Error('raw limit: node:crypto did not verify its own signature');
  }
  specs.push(
    {label: '(ap) node:crypto ECDSA P-256 verify, 64 B', unit: 'verifs/s', batch: () => {
      for(let i = 0; i < 16; i++) verify('sha256', message, p256.publicKey, p256Signature);
      return 16;
    }},
    {label: '(av) node:crypto Ed25519 verify, 64 B', unit: 'verifs/s', batch: () => {
      for(let i = 0; i < 16; i++) verify(null, message, edPublicKey, edSignature);
      return 16;
    }},
  );

  console.log(`  method   warm-up ${config.warmup} s, then ${config.rounds} rounds × ${(config.seconds / config.rounds).toFixed(2)} s per bench, ` +
    'interleaved; median of rounds; one verification in flight');
  const stats = await measureInterleaved(specs, config, m => console.log(`  ${m}`));
  const limits = {ap: stats[8], av: stats[9]};
  const results: FormatResult[] = formats.map((f, i) => ({format: f.format, laurel: stats[2 * i], reference: stats[2 * i + 1],
    referenceName: f.referenceName, limit: limits[f.limit]}));

  const ratio = (x: Stats, y: Stats) => {
    const perRound = median(x.rounds.map((v, i) => v / y.rounds[i]));
    return `${(x.median / y.median).toFixed(2)}× (${perRound.toFixed(2)}×)`;
  };
  const limitName = {ap: 'P-256 verify', av: 'Ed25519 verify'};
  console.log('\n(v4–v7) verifications/s, median of rounds; ratio of medians (median of per-round ratios in parentheses):');
  console.log(table(['format', 'Laurel', 'reference', 'reference/s', 'Laurel/ref', 'raw limit', 'limit/s', 'Laurel % of limit'],
    results.map((r, i) => [r.format, fmtRate(r.laurel.median), ['(vb4) DB', '(vb5) DB', '(vb6) DB', '(vb7) jose'][i],
      fmtRate(r.reference.median), ratio(r.laurel, r.reference), `(${formats[i].limit}) ${limitName[formats[i].limit]}`,
      fmtRate(r.limit.median), `${((r.laurel.median / r.limit.median) * 100).toFixed(2)}%`])));
  console.log('  DB = Digital Bazaar vc.verifyCredential with the matching suite; jose = jwtVerify of the same token (the ES256');
  console.log('  signature and JWT time claims only: no credential checks, so it bounds what a vc+jwt verifier can reach).');
  console.log(`  (v4–v7 total ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return results;
}

if(import.meta.url === `file://${process.argv[1]}`) await runFormatBenches();
