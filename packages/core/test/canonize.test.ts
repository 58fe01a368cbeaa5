// The shape cache must be invisible: for any document, the cached canonicalization
// equals plain jsonld.js + rdf-canonize, or both fail (canonize.ts header).
import fc from 'fast-check';
import jsonld from 'jsonld';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader, OB_CONTEXT, VC_V2_CONTEXT} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {ACHIEVEMENT_TYPES} from '../src/model.js';
import {sampleCredentialInput} from './helpers.js';

type Doc = Record<string, unknown>;
type Outcome = {ok: true; nquads: string} | {ok: false};

async function outcome(run: () => Promise<string>): Promise<Outcome> {
  try {
    return {ok: true, nquads: await run()};
  } catch {
    return {ok: false};
  }
}

/** Canonicalizes with the cache twice (compile, then reuse) and without it; all three must agree. */
async function expectEquivalent(canonicalizer: Canonicalizer, doc: unknown): Promise<Outcome> {
  const plain = await outcome(() => canonicalizer.canonize(doc, {noCache: true}));
  const first = await outcome(() => canonicalizer.canonize(doc));
  const second = await outcome(() => canonicalizer.canonize(doc));
  expect(first).toEqual(plain);
  expect(second).toEqual(plain);
  return plain;
}

// --- Generators -----------------------------------------------------------------------------

// Values shared between fields, so that ids, tags and names coincide (JSON-LD merges nodes
// with one @id and drops repeated values; the template must do the same).
const POOL = ['https://acme.example/', 'https://acme.example/a/1', 'did:example:acme', 'urn:uuid:7d1e', 'Rust', 'x'];

const tricky = fc.constantFrom('', ' ', '"', '\\', '\\"', '\n', '\r\n', '\t', '\u0000', '\u2028', '\uFEFF', '"quoted" \\back\\slash\\',
  '{"a":1}', '<b>', '_:b0', '_:c14n0', '@id', '@type', '@context', 'null', 'true', '1', 'éé', 'e\u0301', '😀',
  'urn:laurel-t:0', 'https://laurel.invalid/s/0', 'did:laurelsentinel:1', 'xsd:string', 'schema:name', 'ob:Achievement');
const relative = fc.constantFrom('foo', './foo', '../foo', '/abs/path', '#frag', '?q=1', '//host/x', 'did', 'https:', 'not a url', 'https //x');
const iriLike = fc.tuple(
  fc.constantFrom('https://', 'http://', 'did:', 'urn:', 'HTTPS://', 'Did:', 'mailto:', 'ftp://', 'urn:laurel-t:', 'https://laurel.invalid/s/', 'did:key:'),
  fc.string({unit: 'binary-ascii', maxLength: 10}),
).map(([scheme, rest]) => scheme + rest);
const cleanIri = fc.tuple(fc.constantFrom('https://a.example/', 'http://b.example/', 'did:web:c.example:', 'urn:uuid:'), fc.stringMatching(/^[a-z0-9_~.-]{0,8}$/))
  .map(([scheme, rest]) => scheme + rest);

/** Any string value. */
const str = fc.oneof(
  {arbitrary: fc.string({unit: 'binary', maxLength: 10}), weight: 3},
  {arbitrary: fc.string({unit: 'grapheme', maxLength: 6}), weight: 2},
  {arbitrary: tricky, weight: 2},
  {arbitrary: iriLike, weight: 2},
  {arbitrary: cleanIri, weight: 2},
  {arbitrary: relative, weight: 1},
  {arbitrary: fc.constantFrom(...POOL), weight: 2},
);
/** A value in an `@id` position: usually an IRI, sometimes anything. */
const id = fc.oneof({arbitrary: cleanIri, weight: 4}, {arbitrary: fc.constantFrom(...POOL), weight: 3}, {arbitrary: iriLike, weight: 1}, {arbitrary: str, weight: 1});
const date = fc.oneof(fc.constantFrom('2025-01-01T00:00:00Z', '2025-01-01T00:00:00.000+02:00', '2025-01-01'), str);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, {nil: undefined});

/** Drops undefined members so optional fields are absent rather than `undefined`. */
const compact = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const image = fc.record({id, type: fc.constant('Image'), caption: opt(str)}).map(compact);
const profile = fc.record({
  id, type: fc.constant(['Profile']), name: str, url: opt(id), email: opt(str), description: opt(str), image: opt(image),
}).map(compact);
const alignment = fc.record({
  type: fc.constant(['Alignment']), targetName: str, targetUrl: id, targetDescription: opt(str), targetFramework: opt(str),
  targetCode: opt(str), targetType: opt(fc.oneof(fc.constantFrom('ceasn:Competency', 'CFItem', 'ext:Thing'), str)),
}).map(compact);
const achievementType = fc.oneof(fc.constantFrom(...ACHIEVEMENT_TYPES), fc.constantFrom('ext:CustomType', 'NotAType'), str);
const achievement = fc.record({
  id, type: fc.constant(['Achievement']), name: str, description: str,
  criteria: fc.record({id: opt(id), narrative: opt(str)}).map(compact),
  achievementType: opt(achievementType), tag: opt(fc.array(str, {maxLength: 3})), alignment: opt(fc.array(alignment, {maxLength: 3})),
  creditsAvailable: opt(fc.oneof(fc.integer(), fc.double({noNaN: true, noDefaultInfinity: true}))), image: opt(image),
  humanCode: opt(str), fieldOfStudy: opt(str), creator: opt(profile), inLanguage: opt(str), version: opt(str),
}).map(compact);
const identityObject = fc.record({
  type: fc.constant('IdentityObject'), identityHash: str, identityType: fc.oneof(fc.constantFrom('emailAddress', 'name', 'ext:custom'), str),
  hashed: fc.boolean(), salt: opt(str),
}).map(compact);
const evidence = fc.record({
  id: opt(id), type: fc.constant(['Evidence']), name: opt(str), narrative: opt(str), description: opt(str), genre: opt(str), audience: opt(str),
}).map(compact);
const result = fc.record({type: fc.constant(['Result']), value: opt(str), resultDescription: opt(id), status: opt(fc.constantFrom('Completed', 'Enrolled'))}).map(compact);

/** A random OB 3.0 credential; `issuerAsCreator` makes the achievement's creator the issuer Profile itself. */
const credential = fc.record({
  id, issuer: fc.oneof(profile, id), name: opt(str), description: opt(str), validFrom: date, validUntil: opt(date), awardedDate: opt(date),
  subjectId: opt(id), identifier: opt(fc.array(identityObject, {minLength: 1, maxLength: 3})), achievement, result: opt(fc.array(result, {maxLength: 2})),
  evidence: opt(fc.array(evidence, {minLength: 1, maxLength: 3})), issuerAsCreator: fc.boolean(),
}).map(g => compact({
  '@context': [VC_V2_CONTEXT, OB_CONTEXT],
  id: g.id,
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer: g.issuer,
  name: g.name,
  description: g.description,
  validFrom: g.validFrom,
  validUntil: g.validUntil,
  awardedDate: g.awardedDate,
  credentialSubject: compact({
    id: g.subjectId, type: ['AchievementSubject'], identifier: g.identifier,
    achievement: g.issuerAsCreator && typeof g.issuer === 'object' ? {...g.achievement, creator: g.issuer} : g.achievement,
    result: g.result,
  }),
  evidence: g.evidence,
}) as Doc);

// Mirrors IRI_LIKE in canonize.ts: a replacement keeps the lexical class, so the document keeps its shape.
const IRI_LIKE = /^(https:\/\/|http:\/\/|did:|urn:)[^\s<>"{}|\\^`]*$/;
const SKIP = new Set(['@context', 'type', '@type']);

/** A document of the same shape as `doc`: every cacheable string leaf replaced, keeping its class. */
function sameShape(doc: unknown, fresh: () => string): unknown {
  const walk = (node: unknown, verbatim: boolean): unknown => {
    if(typeof node === 'string') {
      if(verbatim) return node;
      const m = IRI_LIKE.exec(node);
      if(m) return m[1] + fresh().replace(/[^a-z0-9]/gi, '');
      // A leading space keeps a plain string out of every IRI class.
      return ' ' + fresh();
    }
    if(Array.isArray(node)) return node.map(v => walk(v, verbatim));
    if(node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, verbatim || SKIP.has(k) || (k.startsWith('@') && k !== '@id'))]));
    }
    return node;
  };
  return walk(doc, false);
}

// --- Tests ----------------------------------------------------------------------------------

describe('shape-cached canonicalization equals jsonld.js', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('property: random OB credentials, cached twice and uncached, agree (or all fail)', async () => {
    const canonicalizer = new Canonicalizer(createDocumentLoader());
    await fc.assert(fc.asyncProperty(credential, fc.array(fc.string({unit: 'binary', maxLength: 8}), {minLength: 64, maxLength: 64}), async (doc, values) => {
      await expectEquivalent(canonicalizer, doc);
      // A second document of the same shape reuses the template compiled from the first.
      let i = 0;
      const twin = sameShape(doc, () => values[i++ % values.length] + String(i));
      await expectEquivalent(canonicalizer, twin);
    }), {numRuns: 120});
  });

  it('property: one shared canonicalizer across many documents of one shape', async () => {
    const canonicalizer = new Canonicalizer(createDocumentLoader());
    const base = buildAchievementCredential(sampleCredentialInput('did:web:acme.example'));
    await fc.assert(fc.asyncProperty(fc.array(str, {minLength: 40, maxLength: 40}), async values => {
      let i = 0;
      await expectEquivalent(canonicalizer, sameShape(base, () => values[i++ % values.length]));
    }), {numRuns: 60});
  });

  it('a second document of a shape is canonicalized without calling jsonld.js', async () => {
    const canonicalizer = new Canonicalizer(createDocumentLoader());
    const a = buildAchievementCredential(sampleCredentialInput('did:web:acme.example'));
    const b = buildAchievementCredential(sampleCredentialInput('did:web:other.example', {recipient: {name: 'Grace Hopper', email: 'grace@example.com'}}));
    await canonicalizer.canonize(a);
    const spy = vi.spyOn(jsonld as any, 'toRDF');
    const cached = await canonicalizer.canonize(b);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(cached).toBe(await canonicalizer.canonize(b, {noCache: true}));
    expect(cached).toContain('"Grace Hopper"');
  });
});

describe('vocabulary-valued leaves (proof configurations)', () => {
  it('caches a proof configuration: proofPurpose is kept verbatim in the shape key', async () => {
    const canonicalizer = new Canonicalizer(createDocumentLoader());
    const config = (created: string, purpose = 'assertionMethod') => ({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
      type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', created,
      verificationMethod: 'did:web:acme.example#key-1', proofPurpose: purpose,
    });
    await canonicalizer.canonize(config('2026-01-01T00:00:00Z'));
    const spy = vi.spyOn(jsonld as any, 'toRDF');
    const second = await canonicalizer.canonize(config('2026-02-02T00:00:00Z'));
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(second).toBe(await canonicalizer.canonize(config('2026-02-02T00:00:00Z'), {noCache: true}));
    // Another purpose is another shape, and still exact.
    const auth = await canonicalizer.canonize(config('2026-02-02T00:00:00Z', 'authentication'));
    expect(auth).toBe(await canonicalizer.canonize(config('2026-02-02T00:00:00Z', 'authentication'), {noCache: true}));
    expect(auth).toContain('<https://w3id.org/security#authenticationMethod>');
  });
});

describe('fixed edge cases', () => {
  const canonicalizer = new Canonicalizer(createDocumentLoader());
  const base = () => structuredClone(buildAchievementCredential(sampleCredentialInput('did:web:acme.example'))) as Record<string, any>;
  const edit = (f: (d: Record<string, any>) => void) => {
    const d = base();
    f(d);
    return d;
  };

  const cases: [string, Record<string, any>][] = [
    ['the sample credential', base()],
    ['credential id that is not a URL', edit(d => { d.id = 'not a url'; })],
    ['credential id that is a relative IRI', edit(d => { d.id = 'c/1'; })],
    ['achievement id that is a blank node label', edit(d => { d.credentialSubject.achievement.id = '_:b0'; })],
    ['subject id that is an empty string', edit(d => { d.credentialSubject.id = ''; })],
    ['id that is a number', edit(d => { d.id = 42; })],
    ['id with a space after the scheme', edit(d => { d.id = 'https://a.example/ x'; })],
    ['id with a control character', edit(d => { d.id = 'https://a.example/\u0001'; })],
    ['id with a non-ASCII character', edit(d => { d.id = 'https://bücher.example/é'; })],
    ['id that looks like a compact IRI', edit(d => { d.credentialSubject.achievement.id = 'xsd:string'; })],
    ['issuer as a string', edit(d => { d.issuer = 'did:web:acme.example'; })],
    ['issuer as a string that is not an IRI', edit(d => { d.issuer = 'Acme'; })],
    ['achievementType from the extension namespace', edit(d => { d.credentialSubject.achievement.achievementType = 'ext:Custom'; })],
    ['achievementType outside the vocabulary', edit(d => { d.credentialSubject.achievement.achievementType = 'Not A Type'; })],
    ['achievementType that is an IRI', edit(d => { d.credentialSubject.achievement.achievementType = 'https://types.example/Badge'; })],
    ['creditsAvailable integer', edit(d => { d.credentialSubject.achievement.creditsAvailable = 3; })],
    ['creditsAvailable decimal', edit(d => { d.credentialSubject.achievement.creditsAvailable = 2.5; })],
    ['creditsAvailable huge', edit(d => { d.credentialSubject.achievement.creditsAvailable = 1e21; })],
    ['creditsAvailable as a string', edit(d => { d.credentialSubject.achievement.creditsAvailable = '3'; })],
    ['hashed false', edit(d => { d.credentialSubject.identifier[0].hashed = false; })],
    ['hashed as a string', edit(d => { d.credentialSubject.identifier[0].hashed = 'true'; })],
    ['null value', edit(d => { d.description = null; })],
    ['a language-tagged name', edit(d => { d.credentialSubject.achievement.name = {'@value': 'Rouille 101', '@language': 'fr'}; })],
    ['a typed @value', edit(d => { d.credentialSubject.achievement.name = {'@value': '1', '@type': 'http://www.w3.org/2001/XMLSchema#integer'}; })],
    ['an explicit @id key', edit(d => { d.credentialSubject.achievement.criteria = {'@id': 'https://acme.example/criteria'}; })],
    ['an undefined term (dropped: safe mode refuses)', edit(d => { d.honours = 'yes'; })],
    ['an empty string everywhere it can be', edit(d => {
      d.name = ''; d.credentialSubject.achievement.description = ''; d.credentialSubject.achievement.tag = [''];
    })],
    // Coinciding values: JSON-LD merges nodes with one @id and keeps one copy of a repeated value.
    ['the achievement creator is the issuer', edit(d => { d.credentialSubject.achievement.creator = d.issuer; })],
    ['the achievement creator has the issuer id but another name', edit(d => {
      d.credentialSubject.achievement.creator = {...d.issuer, name: 'Acme Academy (Training)'};
    })],
    ['a repeated tag', edit(d => { d.credentialSubject.achievement.tag = ['rust', 'rust']; })],
    ['a repeated alignment', edit(d => { d.credentialSubject.achievement.alignment.push(d.credentialSubject.achievement.alignment[0]); })],
    ['the credential and the achievement share an id', edit(d => { d.credentialSubject.achievement.id = d.id; })],
    ['the issuer url equals the issuer id', edit(d => { d.issuer.url = d.issuer.id; })],
    ['the same evidence twice', edit(d => { d.evidence.push(d.evidence[0]); })],
    ['two identifiers that are equal', edit(d => { d.credentialSubject.identifier.push(d.credentialSubject.identifier[1]); })],
  ];

  it.each(cases)('%s', async (_name, doc) => {
    await expectEquivalent(canonicalizer, doc);
  });

  it('the safe-mode failures fail on both paths', async () => {
    for(const doc of [cases.find(c => c[0].startsWith('an undefined term'))![1], edit(d => { d.id = 42; })]) {
      expect((await expectEquivalent(canonicalizer, doc)).ok).toBe(false);
    }
  });

  it('a value that is a sentinel in the template does not leak into other documents', async () => {
    const fresh = new Canonicalizer(createDocumentLoader());
    const a = edit(d => { d.name = 'urn:laurel-t:0'; d.credentialSubject.achievement.name = 'https://laurel.invalid/s/1'; });
    const b = edit(d => { d.name = 'urn:laurel-t:9'; d.credentialSubject.achievement.name = 'https://laurel.invalid/s/0'; });
    await expectEquivalent(fresh, a);
    await expectEquivalent(fresh, b);
  });
});
