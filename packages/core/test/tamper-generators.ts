// Tamper corpus generators: fast-check arbitraries that alter a credential issued in
// one of three formats (eddsa-rdfc-2022, eddsa-jcs-2022, vc+jwt EdDSA). Shared by
// core/test/tamper-corpus.test.ts and server/test/tamper-http.test.ts.
import {createHash, createHmac} from 'node:crypto';
import {base64urlnopad} from '@scure/base';
import fc from 'fast-check';
import {Canonicalizer} from '../src/canonize.js';
import {BUNDLED_CONTEXTS, createDocumentLoader, isAllowedContext, OB_CONTEXT, VC_V1_CONTEXT, VC_V2_CONTEXT} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {buildDidDocument, type ControllerDocument, type ControllerResolver, resolveDidKey} from '../src/did.js';
import {fromBase58btc, toBase58btc} from '../src/multikey.js';
import {signCredential} from '../src/sign.js';
import {ALL_SUITES} from '../src/suites/index.js';
import {signVcJwt, verifyVcJwt} from '../src/vc-jose.js';
import {type VerificationResult, verifyCredential, type VerifyPorts} from '../src/verify.js';
import {randomDidKey, randomEd25519, sampleCredentialInput, seedSigner, type TestDidKey} from './helpers.js';

type Json = any;
type Path = (string | number)[];

/** The three formats a credential is issued in. */
export const FORMATS = ['eddsa-rdfc-2022', 'eddsa-jcs-2022', 'vc+jwt'] as const;
export type Format = typeof FORMATS[number];

/** What a tamper case hands to the verifier: a credential object (Data Integrity) or a compact JWT. */
export type Issued = {format: Format; value: Json};

export const SIGNED_AT = '2025-01-01T00:00:00Z';
export const NOW = new Date('2026-03-01T12:00:00Z');
const WEB = 'did:web:issuer.laurel.test', OTHER_WEB = 'did:web:other.laurel.test';

const utf8 = (s: string) => new TextEncoder().encode(s);
export const b64 = (x: string | Uint8Array | object) =>
  base64urlnopad.encode(typeof x === 'string' ? utf8(x) : x instanceof Uint8Array ? x : utf8(JSON.stringify(x)));
export const decodePart = (part: string): Json => JSON.parse(new TextDecoder().decode(base64urlnopad.decode(part)));
const clone = <T>(x: T): T => structuredClone(x);
const jwtSigner = (key: {vmId: string; signer: TestDidKey['signer']}) =>
  ({kid: key.vmId, alg: 'EdDSA' as const, sign: (d: Uint8Array) => key.signer.sign(d)});

/** Ed25519 signs a raw header and payload: for tokens signVcJwt would never make. */
async function rawEdJwt(signer: TestDidKey['signer'], header: object, payload: object): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${b64(await signer.sign(utf8(input)))}`;
}

/**
 * The unsigned credential: the helpers' sample plus a ResultDescription whose
 * `allowedValue` is the one `@list` container in the OB 3.0.3 context, so that a
 * signed, order-significant array exists for RDFC.
 */
export function unsignedCredential(issuerId: string): Json {
  const vc: Json = buildAchievementCredential(sampleCredentialInput(issuerId));
  vc.credentialSubject.achievement.resultDescription = [{
    id: 'urn:uuid:6f1c0a8e-0c1d-4a53-9a5b-0a7f6c1e2d3b', type: ['ResultDescription'], name: 'Grade',
    resultType: 'LetterGrade', allowedValue: ['A', 'B', 'C', 'D', 'F'],
  }];
  return vc;
}

export interface Fixtures {
  canonicalizer: Canonicalizer;
  ports: VerifyPorts;
  /** did:key issuer: every format. */
  keyIssuer: TestDidKey;
  /** did:web issuer with key-1 (2024-01-01 … 2025-06-01) and key-2 (2025-06-01 …), both assertionMethod. */
  web: {did: string; keys: {vmId: string; signer: TestDidKey['signer']; publicKey: Uint8Array}[]};
  otherWeb: {did: string; vmId: string; signer: TestDidKey['signer']};
  /** Other did:keys: swap targets. */
  pool: TestDidKey[];
  /** By format: issued by the did:key issuer, and by the did:web issuer with key-1. */
  byKey: Record<Format, Json>;
  byWeb: Record<Format, Json>;
  unsignedKey: Json;
  unsignedWeb: Json;
}

/** Issues `unsigned` in `format` with a signer, `created` as proof time / iat. */
export async function issue(format: Format, unsigned: Json, key: {vmId: string; signer: TestDidKey['signer']}, created: string,
  canonicalizer: Canonicalizer): Promise<Json> {
  if(format === 'vc+jwt') return signVcJwt(unsigned, jwtSigner(key), new Date(created));
  return signCredential(unsigned, key.signer, created, canonicalizer, {cryptosuite: format});
}

/** Builds issuers, a resolver and the six signed credentials. */
export async function buildFixtures(): Promise<Fixtures> {
  const canonicalizer = new Canonicalizer(createDocumentLoader(),
    {sha256: text => new Uint8Array(createHash('sha256').update(text).digest())});
  const keyIssuer = randomDidKey();
  const k1 = randomEd25519(), k2 = randomEd25519(), k3 = randomEd25519();
  const web = {did: WEB, keys: [k1, k2].map((k, i) => ({vmId: `${WEB}#key-${i + 1}`, signer: seedSigner(`${WEB}#key-${i + 1}`, k.seed), publicKey: k.publicKey}))};
  const webDoc = buildDidDocument(WEB, [
    {fragment: 'key-1', publicKey: k1.publicKey, validFrom: '2024-01-01T00:00:00Z', validUntil: '2025-06-01T00:00:00Z'},
    {fragment: 'key-2', publicKey: k2.publicKey, validFrom: '2025-06-01T00:00:00Z'},
  ]);
  const otherWeb = {did: OTHER_WEB, vmId: `${OTHER_WEB}#key-1`, signer: seedSigner(`${OTHER_WEB}#key-1`, k3.seed)};
  const otherDoc = buildDidDocument(OTHER_WEB, [{fragment: 'key-1', publicKey: k3.publicKey, validFrom: '2024-01-01T00:00:00Z'}]);
  const docs: Record<string, ControllerDocument> = {[WEB]: webDoc, [OTHER_WEB]: otherDoc};
  // A did:web-style test resolver: the two documents are served from memory, never fetched.
  const resolveController: ControllerResolver = async id => id.startsWith('did:web:')
    ? docs[id] ? {ok: true, document: clone(docs[id])} : {ok: false, message: `${id} not found`}
    : resolveDidKey(id);
  const ports: VerifyPorts = {canonicalizer, resolveController, now: () => NOW, suites: ALL_SUITES};
  const pool = Array.from({length: 32}, () => randomDidKey());
  const unsignedKey = unsignedCredential(keyIssuer.did), unsignedWeb = unsignedCredential(WEB);
  const byKey = {} as Record<Format, Json>, byWeb = {} as Record<Format, Json>;
  for(const f of FORMATS) {
    byKey[f] = await issue(f, unsignedKey, keyIssuer, SIGNED_AT, canonicalizer);
    byWeb[f] = await issue(f, unsignedWeb, web.keys[0], SIGNED_AT, canonicalizer);
  }
  return {canonicalizer, ports, keyIssuer, web, otherWeb, pool, byKey, byWeb, unsignedKey, unsignedWeb};
}

/** Verifies an issued credential in its format. */
export function verifyIssued(x: Issued, ports: VerifyPorts): Promise<VerificationResult> {
  return x.format === 'vc+jwt' ? verifyVcJwt(x.value, ports) : verifyCredential(x.value, ports);
}

// ---------------------------------------------------------------- document views

/** The signed JSON of an issued credential, and how to put a changed copy back (JWT: same header and signature). */
function view(format: Format, issued: Json): {doc: Json; rebuild: (doc: Json) => Json} {
  if(format !== 'vc+jwt') return {doc: clone(issued), rebuild: d => d};
  const [h, p, s] = (issued as string).split('.');
  return {doc: decodePart(p), rebuild: d => `${h}.${b64(d)}.${s}`};
}

/** Every node's path outside the Data Integrity proof (JWT payloads have none). */
function paths(node: Json, test: (v: Json) => boolean, path: Path = []): Path[] {
  const here = test(node) ? [path] : [];
  if(Array.isArray(node)) return [...here, ...node.flatMap((v, i) => paths(v, test, [...path, i]))];
  if(node && typeof node === 'object') {
    return [...here, ...Object.entries(node).flatMap(([k, v]) => path.length === 0 && k === 'proof' ? [] : paths(v, test, [...path, k]))];
  }
  return here;
}
const isObj = (v: Json) => v !== null && typeof v === 'object' && !Array.isArray(v);
const get = (root: Json, path: Path): Json => path.reduce((n, k) => n[k], root);
const pick = <T>(xs: T[], n: number): T => xs[n % xs.length];

/** A small deterministic PRNG (mulberry32), so that fast-check's seed fixes every random choice. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const out = [...xs];
  for(let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
/** A permutation of xs that is not the identity (a rotation when the shuffle gives the identity). */
function derange<T>(xs: T[], rnd: () => number): T[] {
  const out = shuffle(xs, rnd);
  return out.every((x, i) => x === xs[i]) ? [...xs.slice(1), xs[0]] : out;
}

// ---------------------------------------------------------------- value generators

const newString = fc.oneof(
  fc.string({unit: 'grapheme', maxLength: 16}),
  fc.string({unit: 'binary', maxLength: 16}),
  fc.string({maxLength: 16}),
  fc.constantFrom('', ' ', 'https://acme.example/', 'did:key:z6Mk', 'urn:uuid:1', 'OpenBadgeCredential', 'Profile',
    'VerifiableCredential', 'Achievement', '2025-01-01T00:00:00Z', '2099-01-01T00:00:00Z', OB_CONTEXT, VC_V2_CONTEXT, 'Rust 102', 'Ada Lovelace\u200b'),
  fc.webUrl(),
);

/** OB / VC terms (so that a renamed or added key is often a defined one), and junk. Keyword aliases are handled apart. */
const TERMS = ['name', 'description', 'url', 'email', 'image', 'narrative', 'tag', 'creditsAvailable', 'achievementType',
  'validFrom', 'validUntil', 'identifier', 'salt', 'hashed', 'identityHash', 'identityType', 'targetName', 'targetUrl', 'criteria',
  'evidence', 'issuer', 'credentialSubject', 'achievement', 'awardedDate', 'alignment', 'resultDescription', 'allowedValue',
  'credentialStatus', 'termsOfUse', 'endorsement', 'phone', 'address', 'version', 'language', 'genre', 'humanCode', 'fieldOfStudy',
  'specialization', 'inLanguage', 'creator', 'result', 'source', 'otherIdentifier', 'related', 'license', 'honours', '@foo', '@index',
  '@language', '@vocab', '@context', '@graph', '@reverse', '@nest', 'proof', 'iss', 'sub', 'jti', 'nbf', 'exp', 'iat'];
const newKey = fc.oneof(fc.constantFrom(...TERMS), fc.string({unit: 'grapheme', minLength: 1, maxLength: 12}));
/**
 * JSON-LD keyword aliases in the VC 2.0 context (`id` = `@id`, `type` = `@type`): renaming
 * one to the other leaves the RDF graph unchanged, so it is not tampering for RDFC.
 * They are kept out of the rename and add kinds and checked apart (tamper-corpus.test.ts).
 */
export const ALIASES: Record<string, string> = {'id': '@id', '@id': 'id', 'type': '@type', '@type': 'type'};
/**
 * JSON-LD keywords that, added to a node object, expand to no triple (and jsonld's safe
 * mode does not object): an RDFC proof cannot detect them. A known finding, pinned in
 * tamper-corpus.test.ts and kept out of the random "field added" kind for RDFC.
 */
/** JSON-LD keywords that map to no RDF data: RDFC cannot see them, so the parser refuses them (parse.ts). */
export const RDFC_DROPPED_KEYWORDS = ['@index', '@vocab', '@nest', '@reverse'];
/** Whether a JSON value maps to no RDF data: an empty array, or an array of such. */
const carriesNoData = (v: unknown): boolean => Array.isArray(v) && v.every(carriesNoData);

const newValue = fc.oneof(newString, fc.jsonValue({maxDepth: 2}), fc.constantFrom(null, [], {}, true, 0, ['x'], {id: 'urn:x'}));

const LOOKALIKES: Record<string, string> = {
  a: '\u0430', e: '\u0435', o: '\u043e', p: '\u0440', c: '\u0441', x: '\u0445', y: '\u0443', i: '\u0456', s: '\u0455', j: '\u0458',
  A: '\u0410', B: '\u0412', E: '\u0415', K: '\u041a', M: '\u041c', H: '\u041d', O: '\u041e', P: '\u0420', C: '\u0421', T: '\u0422',
  X: '\u0425', l: '\u04cf', '0': '\u041e', '1': '\u0406', '-': '\u2010', '.': '\u2024', ':': '\u0589', '/': '\u2215',
};

// ---------------------------------------------------------------- kinds

/** One tamper case: what verify gets, and a short description for a report. */
export interface Tampered {input: Issued; note: string}
/** A kind: for a format (or not, when it does not apply), an arbitrary of tampered inputs. */
export interface Kind {
  id: string;
  title: string;
  /** `reject`: must never verify. `verify`: a non-semantic change that must still verify. */
  expect: 'reject' | 'verify';
  /** The formats the kind applies to (default: all). */
  formats?: readonly Format[];
  arb(fx: Fixtures, format: Format): fc.Arbitrary<() => Promise<Tampered>> | null;
}

const sync = (format: Format, value: Json, note: string) => async (): Promise<Tampered> => ({input: {format, value}, note});

/** Changes the signed JSON with `change`; null from `change` means "no change", rejected by fc.pre. */
function docKind(fx: Fixtures, format: Format, source: 'key' | 'web',
  make: (doc: Json) => fc.Arbitrary<((doc: Json) => string | null)>): fc.Arbitrary<() => Promise<Tampered>> {
  const issued = (source === 'key' ? fx.byKey : fx.byWeb)[format];
  const base = view(format, issued).doc;
  // The change runs inside the property (fc.pre only works there).
  return make(base).map(change => async (): Promise<Tampered> => {
    const {doc, rebuild} = view(format, issued);
    const note = change(doc);
    fc.pre(note !== null);
    return {input: {format, value: rebuild(doc)}, note: note!};
  });
}

const stringLeaves = (doc: Json) => paths(doc, v => typeof v === 'string');
const objectPaths = (doc: Json) => paths(doc, isObj);
const keyPaths = (doc: Json) => objectPaths(doc).flatMap(p => Object.keys(get(doc, p)).filter(k => !(p.length === 0 && k === 'proof')).map(k => [...p, k]));

export const KINDS: Kind[] = [
  {
    id: 'string-changed', title: '1. a string value changed', expect: 'reject',
    arb: (fx, f) => docKind(fx, f, 'key', base => {
      const leaves = stringLeaves(base);
      return fc.tuple(fc.nat({max: leaves.length - 1}), newString).map(([i, s]) => (doc: Json) => {
        const path = leaves[i];
        if(get(doc, path) === s) return null;
        get(doc, path.slice(0, -1))[path[path.length - 1]] = s;
        return `${path.join('.')} = ${JSON.stringify(s)}`;
      });
    }),
  },
  {
    id: 'key-renamed', title: '2. a key renamed (keyword aliases id/@id, type/@type excluded)', expect: 'reject',
    arb: (fx, f) => docKind(fx, f, 'key', base => {
      const keys = keyPaths(base);
      return fc.tuple(fc.nat({max: keys.length - 1}), newKey).map(([i, k]) => (doc: Json) => {
        const path = keys[i], parent = get(doc, path.slice(0, -1)), old = path[path.length - 1] as string;
        if(k in parent || ALIASES[old] === k) return null;
        // Rebuild the object so the renamed key keeps its position.
        const entries = Object.entries(parent).map(([key, v]) => [key === old ? k : key, v]);
        for(const key of Object.keys(parent)) delete parent[key];
        Object.assign(parent, Object.fromEntries(entries));
        return `${path.join('.')} -> ${JSON.stringify(k)}`;
      });
    }),
  },
  {
    id: 'field-added-removed', title: '3. a field added or removed', expect: 'reject',
    arb: (fx, f) => docKind(fx, f, 'key', base => {
      const objects = objectPaths(base), keys = keyPaths(base);
      const add = fc.tuple(fc.nat({max: objects.length - 1}), newKey, newValue).map(([i, k, v]) => (doc: Json) => {
        const parent = get(doc, objects[i]);
        if(k in parent || (objects[i].length === 0 && k === 'proof' && f !== 'vc+jwt')) return null;
        // An empty array (or arrays of them) maps to no RDF at all: for RDFC that is a non-semantic
        // change, like whitespace, so it is not a tamper case there.
        if(f === 'eddsa-rdfc-2022' && carriesNoData(v)) return null;
        parent[k] = v;
        return `add ${[...objects[i], k].join('.')} = ${JSON.stringify(v)}`;
      });
      const remove = fc.nat({max: keys.length - 1}).map(i => (doc: Json) => {
        const path = keys[i];
        delete get(doc, path.slice(0, -1))[path[path.length - 1]];
        return `remove ${path.join('.')}`;
      });
      return fc.oneof(add, remove);
    }),
  },
  {
    id: 'array-reordered-signed', title: '4a. array order changed where order is signed (JCS/JWT: any array; RDFC: @list and @context)',
    expect: 'reject',
    arb: (fx, f) => docKind(fx, f, 'key', base => {
      const arrays = paths(base, v => Array.isArray(v) && new Set(v.map(x => JSON.stringify(x))).size > 1)
        .filter(p => f !== 'eddsa-rdfc-2022' || ['allowedValue', '@context'].includes(String(p[p.length - 1])));
      return fc.tuple(fc.nat({max: arrays.length - 1}), fc.integer()).map(([i, seed]) => (doc: Json) => {
        const parent = get(doc, arrays[i].slice(0, -1)), k = arrays[i][arrays[i].length - 1];
        const before = JSON.stringify(parent[k]);
        parent[k] = derange(parent[k], prng(seed));
        return JSON.stringify(parent[k]) === before ? null : `${arrays[i].join('.')} = ${JSON.stringify(parent[k])}`;
      });
    }),
  },
  {
    id: 'array-reordered-unsigned', title: '4b. RDFC only: order of an unordered (@set / plain) array changed: non-semantic', expect: 'verify',
    formats: ['eddsa-rdfc-2022'],
    arb: (fx, f) => f !== 'eddsa-rdfc-2022' ? null : docKind(fx, f, 'key', base => {
      const arrays = paths(base, v => Array.isArray(v) && new Set(v.map(x => JSON.stringify(x))).size > 1)
        .filter(p => !['allowedValue', '@context'].includes(String(p[p.length - 1])));
      return fc.tuple(fc.nat({max: arrays.length - 1}), fc.integer()).map(([i, seed]) => (doc: Json) => {
        const parent = get(doc, arrays[i].slice(0, -1)), k = arrays[i][arrays[i].length - 1];
        parent[k] = derange(parent[k], prng(seed));
        return `${arrays[i].join('.')} = ${JSON.stringify(parent[k])}`;
      });
    }),
  },
  {
    id: 'lookalike', title: '5. a Unicode look-alike substituted in a signed string', expect: 'reject',
    arb: (fx, f) => docKind(fx, f, 'key', base => {
      const leaves = stringLeaves(base).filter(p => [...get(base, p)].some(ch => LOOKALIKES[ch as string]));
      return fc.tuple(fc.nat({max: leaves.length - 1}), fc.nat()).map(([i, n]) => (doc: Json) => {
        const path = leaves[i], s: string = get(doc, path);
        const at = [...s].map((ch, j) => LOOKALIKES[ch] ? j : -1).filter(j => j >= 0);
        const j = pick(at, n), chars = [...s];
        chars[j] = LOOKALIKES[chars[j]];
        get(doc, path.slice(0, -1))[path[path.length - 1]] = chars.join('');
        return `${path.join('.')} = ${JSON.stringify(chars.join(''))}`;
      });
    }),
  },
  {
    id: 'issuer-swapped', title: '6. the issuer swapped for another did:key', expect: 'reject',
    arb: (fx, f) => fc.tuple(fc.nat(fx.pool.length - 1), fc.constantFrom('id', 'id+key', 'id re-signed', 'bare', 'id+iss')).map(([i, how]) => {
      const other = fx.pool[i];
      return async (): Promise<Tampered> => {
        const note = `issuer -> ${other.did} (${how})`;
        if(how === 'id re-signed') {
          // A valid signature by the real issuer's key over a credential naming another issuer.
          const unsigned = clone(fx.unsignedKey);
          unsigned.issuer.id = other.did;
          return {input: {format: f, value: await issue(f, unsigned, fx.keyIssuer, SIGNED_AT, fx.canonicalizer)}, note};
        }
        const {doc, rebuild} = view(f, fx.byKey[f]);
        if(how === 'bare') doc.issuer = other.did;
        else doc.issuer.id = other.did;
        if(how === 'id+iss' && f === 'vc+jwt') doc.iss = other.did;
        if(how === 'id+key' && f !== 'vc+jwt') doc.proof.verificationMethod = other.vmId;
        let value = rebuild(doc);
        if(how === 'id+key' && f === 'vc+jwt') {
          const [, p, s] = (value as string).split('.');
          value = `${b64({alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: other.vmId})}.${p}.${s}`;
        }
        return {input: {format: f, value}, note};
      };
    }),
  },
  {
    id: 'vm-swapped', title: "7. verification method / kid swapped (issuer's other key, another issuer's key)", expect: 'reject',
    arb: (fx, f) => fc.tuple(fc.constantFrom('issuer key-2', 'other did:web', 'other did:key', 'unpublished key-3'), fc.boolean(), fc.nat(fx.pool.length - 1))
      .map(([target, resign, i]) => {
        const keys = {
          'issuer key-2': fx.web.keys[1], 'other did:web': fx.otherWeb, 'other did:key': fx.pool[i],
          'unpublished key-3': {vmId: `${fx.web.did}#key-3`, signer: seedSigner(`${fx.web.did}#key-3`, randomEd25519().seed)},
        } as const;
        const key = keys[target];
        return async (): Promise<Tampered> => {
          const note = `vm -> ${key.vmId}${resign ? ', re-signed with that key' : ''}`;
          if(resign) return {input: {format: f, value: await issue(f, fx.unsignedWeb, key, SIGNED_AT, fx.canonicalizer)}, note};
          if(f === 'vc+jwt') {
            const [h, p, s] = (fx.byWeb[f] as string).split('.');
            return {input: {format: f, value: `${b64({...decodePart(h), kid: key.vmId})}.${p}.${s}`}, note};
          }
          const vc = clone(fx.byWeb[f]);
          vc.proof.verificationMethod = key.vmId;
          return {input: {format: f, value: vc}, note};
        };
      }),
  },
  {
    id: 'signature-bits', title: '8. proofValue / JWS signature: bit flip or truncation', expect: 'reject',
    arb: (fx, f) => fc.tuple(fc.constantFrom('flip', 'truncate bytes', 'truncate chars', 'extend'), fc.nat(), fc.nat({max: 255})).map(([how, n, byte]) => {
      const issued = fx.byKey[f];
      const sigText: string = f === 'vc+jwt' ? issued.split('.')[2] : issued.proof.proofValue;
      const sig = f === 'vc+jwt' ? base64urlnopad.decode(sigText) : fromBase58btc(sigText)!;
      const encode = (b: Uint8Array) => f === 'vc+jwt' ? b64(b) : toBase58btc(b);
      let text: string;
      if(how === 'flip') {
        const b = sig.slice();
        b[(n >> 3) % b.length] ^= 1 << (n & 7);
        text = encode(b);
      } else if(how === 'truncate bytes') text = encode(sig.slice(0, n % sig.length));
      else if(how === 'truncate chars') text = sigText.slice(0, n % sigText.length);
      else text = encode(Uint8Array.from([...sig, byte]));
      const value = f === 'vc+jwt' ? issued.split('.').slice(0, 2).concat(text).join('.') : {...clone(issued), proof: {...issued.proof, proofValue: text}};
      return sync(f, value, `${how} ${n}: ${text}`);
    }),
  },
  {
    id: 'created-outside-window', title: '9. proof.created / iat outside the key window (re-signed, or edited)', expect: 'reject',
    arb: (fx, f) => fc.tuple(
      fc.oneof(
        fc.date({min: new Date('1971-01-01T00:00:00Z'), max: new Date('2023-12-31T23:59:59Z'), noInvalidDate: true}),
        fc.date({min: new Date('2025-06-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true}),
        fc.constantFrom(new Date('2025-06-01T00:00:00Z'), new Date('2023-12-31T23:59:59Z'))),
      fc.boolean()).map(([date, resign]) => {
      const created = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      return async (): Promise<Tampered> => {
        const note = `${f === 'vc+jwt' ? 'iat' : 'created'} = ${created}${resign ? ' (re-signed by key-1)' : ' (edited)'}`;
        if(resign) return {input: {format: f, value: await issue(f, fx.unsignedWeb, fx.web.keys[0], created, fx.canonicalizer)}, note};
        const {doc, rebuild} = view(f, fx.byWeb[f]);
        if(f === 'vc+jwt') doc.iat = Date.parse(created) / 1000;
        else doc.proof.created = created;
        return {input: {format: f, value: rebuild(doc)}, note};
      };
    }),
  },
  {
    id: 'contexts', title: '10. @context reordered, replaced, added or removed (incl. unknown)', expect: 'reject',
    arb: (fx, f) => {
      const known = [...BUNDLED_CONTEXTS.keys()];
      const allowed = (x: Json) => typeof x === 'string' && isAllowedContext(x);
      const foreign = ['https://evil.example/context.json', 'https://www.w3.org/ns/credentials/v2/', 'http://www.w3.org/ns/credentials/v2',
        'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.4.json', VC_V1_CONTEXT];
      return docKind(fx, f, 'key', base => fc.tuple(fc.constantFrom('reorder', 'replace', 'insert', 'remove', 'inline'), fc.integer(),
        fc.nat(), fc.oneof(fc.constantFrom(...known, ...foreign), fc.webUrl())).map(([how, seed, n, url]) => (doc: Json) => {
        const ctx: Json[] = doc['@context'], before = JSON.stringify(ctx);
        if(how === 'reorder') doc['@context'] = derange(ctx, prng(seed));
        if(how === 'replace') ctx[n % ctx.length] = url;
        if(how === 'insert') {
          const at = n % (ctx.length + 1);
          // VC-DI-EDDSA §3.4.2 step 4: JCS signs the proof's @context, a prefix of the document's; a known
          // context appended after it is not signed (spec behaviour, pinned in tamper-corpus.test.ts).
          // RDFC signs the graph: a known context that redefines no term in use (extensions, DID, DI, a
          // duplicate) leaves it unchanged, so the proof still holds. Both pinned in tamper-corpus.test.ts.
          const after = [...ctx.slice(0, at), url, ...ctx.slice(at)];
          if(f !== 'vc+jwt' && allowed(url) && ctx.every((c, j) => JSON.stringify(c) === JSON.stringify(after[j]))) return null;
          ctx.splice(at, 0, url);
        }
        if(how === 'remove') ctx.splice(n % ctx.length, 1);
        if(how === 'inline') ctx.splice(n % (ctx.length + 1), 0, {honours: 'https://evil.example/honours', name: 'https://evil.example/name'});
        return JSON.stringify(doc['@context']) === before ? null : `@context = ${JSON.stringify(doc['@context'])}`;
      }));
    },
  },
  {
    // Data Integrity has no `alg`; its analogue is the cryptosuite the proof names.
    id: 'alg-confusion', title: '11. JWT alg none / HS256 with the public key; DI: proof type / cryptosuite confusion', expect: 'reject',
    arb: (fx, f) => {
      if(f !== 'vc+jwt') {
        return fc.tuple(fc.constantFrom('eddsa-rdfc-2022', 'eddsa-jcs-2022', 'ecdsa-rdfc-2019', 'ecdsa-jcs-2019', 'ecdsa-sd-2023', 'bbs-2023', 'none', '', 'EdDSA'),
          fc.constantFrom('DataIntegrityProof', 'Ed25519Signature2020', 'JsonWebSignature2020'), fc.constantFrom('keep', 'empty', 'z', 'drop')).map(([suite, type, pv]) => {
          const vc = clone(fx.byKey[f]);
          vc.proof.cryptosuite = suite;
          vc.proof.type = type;
          if(pv === 'empty') vc.proof.proofValue = '';
          if(pv === 'z') vc.proof.proofValue = 'z';
          if(pv === 'drop') delete vc.proof.proofValue;
          return async (): Promise<Tampered> => {
            fc.pre(!(suite === f && type === 'DataIntegrityProof' && pv === 'keep'));
            return {input: {format: f, value: vc}, note: `proof ${type}/${suite}, proofValue ${pv}`};
          };
        });
      }
      const [h, p, s] = (fx.byKey[f] as string).split('.');
      const pub = fx.keyIssuer.publicKey;
      const secrets: Record<string, Uint8Array | string> = {
        'raw public key': pub, 'did': fx.keyIssuer.did, 'vm id': fx.keyIssuer.vmId, 'multibase': fx.keyIssuer.did.slice(8),
        'jwk': JSON.stringify({kty: 'OKP', crv: 'Ed25519', x: b64(pub)}), 'x': b64(pub),
      };
      return fc.tuple(fc.constantFrom('none', 'None', 'NONE', 'nOnE', 'HS256', 'HS384', 'HS512', 'hs256'), fc.constantFrom(...Object.keys(secrets)),
        fc.constantFrom('empty', 'original'), fc.boolean()).map(([alg, secret, sigKind, changePayload]) => {
        const payload = changePayload ? b64({...decodePart(p), name: 'Forged'}) : p;
        const input = `${b64({...decodePart(h), alg})}.${payload}`;
        const hmac = /^hs/i.test(alg) ? b64(new Uint8Array(createHmac(`sha${alg.slice(2)}`, secrets[secret]).update(input).digest())) : null;
        const sig = hmac ?? (sigKind === 'empty' ? '' : s);
        return sync(f, `${input}.${sig}`, `alg ${alg}${hmac ? ` HMAC(${secret})` : ` sig ${sigKind}`}${changePayload ? ', payload changed' : ''}`);
      });
    },
  },
  {
    id: 'claims-mismatch', title: '12. JWT: kid / iss / sub / nbf / exp / jti disagree, re-signed by the right key; DI: proof names another key', expect: 'reject',
    arb: (fx, f) => {
      if(f !== 'vc+jwt') {
        // The issuer's key signs, but the proof says another key did.
        return fc.nat(fx.pool.length - 1).map(i => async (): Promise<Tampered> => {
          const lying = {vmId: fx.pool[i].vmId, signer: seedSigner(fx.pool[i].vmId, fx.keyIssuer.seed)};
          return {input: {format: f, value: await issue(f, fx.unsignedKey, lying, SIGNED_AT, fx.canonicalizer)}, note: `vm ${lying.vmId}, signed by the issuer's key`};
        });
      }
      const [h, p] = (fx.byKey[f] as string).split('.');
      const header = decodePart(h), payload = decodePart(p);
      const bump = fc.oneof(fc.integer({min: -1e9, max: 1e9}).filter(d => d !== 0), fc.constantFrom(1, -1, 86400, -86400));
      const change = fc.oneof(
        fc.nat(fx.pool.length - 1).map(i => ({kid: fx.pool[i].vmId}) as Json),
        fc.constantFrom({kid: `${fx.keyIssuer.did}#key-2`} as Json),
        fc.oneof(fc.nat(fx.pool.length - 1).map(i => fx.pool[i].did), newString).map(iss => ({iss})),
        fc.oneof(newString, fc.constant('did:example:mallory')).map(sub => ({sub})),
        fc.oneof(newString, fc.webUrl()).map(jti => ({jti})),
        bump.map(d => ({nbf: payload.nbf + d})), bump.map(d => ({exp: payload.exp + d})),
        fc.constantFrom<Json>({nbf: '2025-01-01T00:00:00Z'}, {exp: '2030-01-01T00:00:00Z'}, {nbf: null}, {exp: null}, {exp: Infinity},
          {iss: null}, {jti: null}, {iss: {id: payload.iss}}),
      );
      return change.map(c => {
        const {kid, ...claims} = c;
        return async (): Promise<Tampered> => {
          fc.pre(Object.entries(claims).every(([k, v]) => payload[k] !== v));
          return {input: {format: f, value: await rawEdJwt(fx.keyIssuer.signer, kid ? {...header, kid} : header, {...payload, ...claims})},
            note: JSON.stringify(c)};
        };
      });
    },
  },
];

// ---------------------------------------------------------------- non-semantic changes

/** Every object's keys in a random order, at every depth (proof included). */
export function reorderKeys(v: Json, rnd: () => number): Json {
  if(Array.isArray(v)) return v.map(x => reorderKeys(x, rnd));
  if(isObj(v)) return Object.fromEntries(shuffle(Object.entries(v), rnd).map(([k, x]) => [k, reorderKeys(x, rnd)]));
  return v;
}

/** JSON text with random insignificant whitespace (RFC 8259 §2) around every structural token. */
export function spacedJson(v: Json, rnd: () => number): string {
  const ws = () => Array.from({length: Math.floor(rnd() * 4)}, () => ' \t\n\r'[Math.floor(rnd() * 4)]).join('');
  const out = (x: Json): string => {
    if(Array.isArray(x)) return `[${ws()}${x.map(y => `${ws()}${out(y)}${ws()}`).join(',')}${ws()}]`;
    if(isObj(x)) return `{${ws()}${Object.entries(x).map(([k, y]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${out(y)}${ws()}`).join(',')}${ws()}}`;
    return JSON.stringify(x);
  };
  return `${ws()}${out(v)}${ws()}`;
}

export const NON_SEMANTIC: Kind[] = [
  {
    id: 'keys-reordered', title: 'N1. JSON keys reordered at every depth (DI: must verify; JWT: signed bytes, must reject)', expect: 'verify',
    formats: ['eddsa-rdfc-2022', 'eddsa-jcs-2022'],
    arb: (fx, f) => f === 'vc+jwt' ? null : fc.integer().map(seed => async (): Promise<Tampered> => {
      const reordered = reorderKeys(fx.byKey[f], prng(seed));
      fc.pre(JSON.stringify(reordered) !== JSON.stringify(fx.byKey[f]));
      return {input: {format: f, value: reordered}, note: `seed ${seed}`};
    }),
  },
  {
    id: 'whitespace', title: 'N2. re-serialized with random whitespace and parsed back (JWT: inside a JSON body, with surrounding whitespace)', expect: 'verify',
    arb: (fx, f) => fc.tuple(fc.integer(), fc.oneof(fc.nat(10), fc.stringMatching(/^[ \t\n\r]{0,10}$/))).map(([seed, indent]) => {
      const rnd = prng(seed);
      const text = rnd() < 0.5 ? JSON.stringify({credential: fx.byKey[f]}, null, indent) : spacedJson({credential: fx.byKey[f]}, rnd);
      const back = JSON.parse(text).credential;
      const value = f === 'vc+jwt' ? `${[' ', '\n', '\t', '\r\n', ''][Math.floor(rnd() * 5)]}${back}${[' ', '\n', '\t', '\r\n', ''][Math.floor(rnd() * 5)]}` : back;
      return sync(f, value, `seed ${seed}, indent ${JSON.stringify(indent)}`);
    }),
  },
];

/** JWT analogue of N1: the JWS signs the payload bytes, so reordering its keys is tampering. */
export const JWT_KEYS_REORDERED: Kind = {
  id: 'jwt-payload-keys-reordered', title: 'N1-JWT. JWT payload keys reordered, same signature (JWS signs bytes: must reject)', expect: 'reject',
  formats: ['vc+jwt'],
  arb: (fx, f) => f !== 'vc+jwt' ? null : fc.integer().map(seed => async (): Promise<Tampered> => {
    const [h, p, s] = (fx.byKey[f] as string).split('.');
    const payload = reorderKeys(decodePart(p), prng(seed));
    fc.pre(b64(payload) !== p);
    return {input: {format: f, value: `${h}.${b64(payload)}.${s}`}, note: `seed ${seed}`};
  }),
};
