import {createPrivateKey, createPublicKey} from 'node:crypto';
import {describe, expect, it} from 'vitest';
import {DATA_INTEGRITY_V2_CONTEXT, DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT} from '../src/contexts/index.js';
import {
  buildDidDocument, type ControllerDocument, didKeyDocument, didKeyFromPublicKey, didWebDocumentUrl, didWebFor,
  findVerificationMethod, isAuthorizedFor, resolveDidKey,
} from '../src/did.js';
import {decodeEd25519PublicKey} from '../src/multikey.js';
import {randomEd25519} from './helpers.js';

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// Test data: the Ed25519 example DID of the did:key spec (https://w3c-ccg.github.io/did-method-key/,
// also used across the did:key test vectors); its key is the public key of the all-zero seed,
// which the first test derives independently with node:crypto.
const SPEC_DID = 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp';
const SPEC_PUBLIC_KEY = '3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29';
// RFC 8032 §7.1 TEST 1 public key, and its did:key as computed by other implementations.
const RFC8032_PUBLIC_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC8032_DID = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oMMsw';

describe('did:key', () => {
  it('the spec example DID holds the all-zero seed public key', () => {
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32)]);
    const spki = createPublicKey(createPrivateKey({key: pkcs8, format: 'der', type: 'pkcs8'})).export({format: 'der', type: 'spki'});
    expect(Buffer.from(spki.subarray(12)).toString('hex')).toBe(SPEC_PUBLIC_KEY);
    expect(didKeyFromPublicKey(hex(SPEC_PUBLIC_KEY))).toBe(SPEC_DID);
    expect(Buffer.from(decodeEd25519PublicKey(SPEC_DID.slice('did:key:'.length))!).toString('hex')).toBe(SPEC_PUBLIC_KEY);
  });

  it('encodes the RFC 8032 test key as other implementations do', () => {
    expect(didKeyFromPublicKey(hex(RFC8032_PUBLIC_KEY))).toBe(RFC8032_DID);
  });

  it('builds the did:key document (Multikey form) with the key under every relationship', () => {
    const doc = didKeyDocument(SPEC_DID)!;
    const vmId = `${SPEC_DID}#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp`;
    expect(doc).toEqual({
      '@context': [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
      id: SPEC_DID,
      verificationMethod: [{id: vmId, type: 'Multikey', controller: SPEC_DID, publicKeyMultibase: 'z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'}],
      assertionMethod: [vmId],
      authentication: [vmId],
      capabilityInvocation: [vmId],
      capabilityDelegation: [vmId],
    });
  });

  it('round-trips random keys: key → DID → document → key', () => {
    for(let i = 0; i < 20; i++) {
      const {publicKey} = randomEd25519();
      const did = didKeyFromPublicKey(publicKey);
      const vm = didKeyDocument(did)!.verificationMethod![0];
      expect(decodeEd25519PublicKey(vm.publicKeyMultibase!)).toEqual(publicKey);
      expect(vm.id).toBe(`${did}#${did.slice('did:key:'.length)}`);
    }
  });

  it.each([
    ['an X25519 did:key', 'did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc'],
    ['a DID URL with a fragment', `${SPEC_DID}#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp`],
    ['a truncated key', SPEC_DID.slice(0, -3)],
    ['a key with a non-base58 character', SPEC_DID.slice(0, -1) + '0'],
    ['another DID method', 'did:web:example.com'],
    ['an empty string', ''],
    ['a base58btc body of the wrong length', 'did:key:z6Mk' + '1'.repeat(44)],
  ])('returns no document for %s', async (_name, did) => {
    expect(didKeyDocument(did)).toBeNull();
    expect((await resolveDidKey(did)).ok).toBe(false);
  });

  it('resolves a valid did:key through the resolver port', async () => {
    expect(await resolveDidKey(SPEC_DID)).toEqual({ok: true, document: didKeyDocument(SPEC_DID)});
  });
});

describe('did:web', () => {
  it.each([
    ['example.com', [], 'did:web:example.com'],
    ['Example.COM', [], 'did:web:example.com'],
    ['example.com:3000', ['issuers', 'acme'], 'did:web:example.com%3A3000:issuers:acme'],
    ['example.com', ['a b', 'c:d'], 'did:web:example.com:a%20b:c%3Ad'],
  ])('didWebFor(%j, %j) is %s', (host, path, did) => {
    expect(didWebFor(host, path)).toBe(did);
  });

  it.each([
    ['did:web:example.com', 'https://example.com/.well-known/did.json'],
    ['did:web:example.com%3A3000:issuers:acme', 'https://example.com:3000/issuers/acme/did.json'],
    ['did:web:example.com%3a3000', 'https://example.com:3000/.well-known/did.json'],
    ['did:web:w3c-ccg.github.io:user:alice', 'https://w3c-ccg.github.io/user/alice/did.json'],
    ['did:web:example.com:a%20b', 'https://example.com/a%20b/did.json'],
  ])('didWebDocumentUrl(%s) is %s', (did, url) => {
    expect(didWebDocumentUrl(did)?.href).toBe(url);
  });

  it('round-trips didWebFor through didWebDocumentUrl', () => {
    expect(didWebDocumentUrl(didWebFor('localhost:8080', ['orgs', 'o1']), 'http')?.href).toBe('http://localhost:8080/orgs/o1/did.json');
  });

  it.each([
    ['a dot-dot segment', 'did:web:example.com:..:secret'],
    ['an encoded dot-dot segment', 'did:web:example.com:%2E%2E:secret'],
    ['a dot segment', 'did:web:example.com:.'],
    ['an encoded slash in a segment', 'did:web:example.com:a%2Fb'],
    ['an encoded slash in the host', 'did:web:example.com%2F..'],
    ['an empty segment', 'did:web:example.com::acme'],
    ['a trailing colon', 'did:web:example.com:'],
    ['an empty host', 'did:web:'],
    ['userinfo in the host', 'did:web:user%40evil.example'],
    ['a port out of range', 'did:web:example.com%3A99999'],
    ['bad percent-encoding', 'did:web:example.com:%zz'],
    ['another method', 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'],
    ['a URL', 'https://example.com'],
    ['the prefix alone', 'did:web'],
  ])('didWebDocumentUrl rejects %s', (_name, did) => {
    expect(didWebDocumentUrl(did)).toBeNull();
  });
});

describe('controller documents', () => {
  const did = 'did:web:issuer.example';
  const k1 = randomEd25519(), k2 = randomEd25519();

  it('buildDidDocument publishes every key with its validity window', () => {
    const doc = buildDidDocument(did, [
      {fragment: 'key-1', publicKey: k1.publicKey, validFrom: '2024-01-01T00:00:00Z', validUntil: '2025-01-01T00:00:00Z'},
      {fragment: 'key-2', publicKey: k2.publicKey, validFrom: '2025-01-01T00:00:00Z'},
    ], {service: []});
    expect(doc['@context']).toEqual([DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT, DATA_INTEGRITY_V2_CONTEXT]);
    expect(doc.id).toBe(did);
    expect(doc.service).toEqual([]);
    expect(doc.verificationMethod).toHaveLength(2);
    const [m1, m2] = doc.verificationMethod!;
    expect(m1).toMatchObject({id: `${did}#key-1`, type: 'Multikey', controller: did, validFrom: '2024-01-01T00:00:00Z', validUntil: '2025-01-01T00:00:00Z'});
    expect(m2).toMatchObject({id: `${did}#key-2`, validFrom: '2025-01-01T00:00:00Z'});
    expect(m2).not.toHaveProperty('validUntil');
    expect(decodeEd25519PublicKey(m1.publicKeyMultibase!)).toEqual(k1.publicKey);
    expect(decodeEd25519PublicKey(m2.publicKeyMultibase!)).toEqual(k2.publicKey);
    expect(doc.assertionMethod).toEqual([`${did}#key-1`, `${did}#key-2`]);
    expect(doc.authentication).toEqual([`${did}#key-1`, `${did}#key-2`]);
  });

  it('extra fields cannot replace the verification methods', () => {
    const doc = buildDidDocument(did, [{fragment: 'key-1', publicKey: k1.publicKey, validFrom: '2024-01-01T00:00:00Z'}],
      {verificationMethod: [], assertionMethod: []});
    expect(doc.verificationMethod).toHaveLength(1);
    expect(doc.assertionMethod).toEqual([`${did}#key-1`]);
  });

  const relative: ControllerDocument = {
    id: did,
    verificationMethod: [
      {id: '#key-1', type: 'Multikey', controller: did, publicKeyMultibase: 'z1'},
      {id: `${did}#key-2`, type: 'Multikey', controller: did, publicKeyMultibase: 'z2'},
    ],
    assertionMethod: ['#key-1', {id: '#key-3', type: 'Multikey', controller: did, publicKeyMultibase: 'z3'}],
    authentication: [`${did}#key-2`],
  };

  it('findVerificationMethod resolves absolute and relative ids, returning the absolute id', () => {
    expect(findVerificationMethod(relative, `${did}#key-1`)).toMatchObject({id: `${did}#key-1`, publicKeyMultibase: 'z1'});
    expect(findVerificationMethod(relative, `${did}#key-2`)).toMatchObject({id: `${did}#key-2`, publicKeyMultibase: 'z2'});
    // Embedded directly in assertionMethod.
    expect(findVerificationMethod(relative, `${did}#key-3`)).toMatchObject({id: `${did}#key-3`, publicKeyMultibase: 'z3'});
  });

  it('findVerificationMethod does not match another controller or a missing key', () => {
    expect(findVerificationMethod(relative, 'did:web:other.example#key-1')).toBeNull();
    expect(findVerificationMethod(relative, `${did}#key-9`)).toBeNull();
    expect(findVerificationMethod(relative, did)).toBeNull();
    expect(findVerificationMethod({id: did}, `${did}#key-1`)).toBeNull();
  });

  it('findVerificationMethod does not hand back the caller a reference into the document', () => {
    const found = findVerificationMethod(relative, `${did}#key-1`)!;
    found.publicKeyMultibase = 'changed';
    expect(relative.verificationMethod![0].publicKeyMultibase).toBe('z1');
  });

  it('isAuthorizedFor checks the relationship by reference (absolute or relative) or embedding', () => {
    expect(isAuthorizedFor(relative, `${did}#key-1`, 'assertionMethod')).toBe(true);
    expect(isAuthorizedFor(relative, `${did}#key-3`, 'assertionMethod')).toBe(true);
    expect(isAuthorizedFor(relative, `${did}#key-2`, 'authentication')).toBe(true);
    // Published as a verification method, but not for this purpose.
    expect(isAuthorizedFor(relative, `${did}#key-2`, 'assertionMethod')).toBe(false);
    expect(isAuthorizedFor(relative, `${did}#key-1`, 'authentication')).toBe(false);
    expect(isAuthorizedFor(relative, `${did}#key-1`, 'capabilityInvocation')).toBe(false);
    expect(isAuthorizedFor(relative, 'did:web:other.example#key-1', 'assertionMethod')).toBe(false);
    expect(isAuthorizedFor({...relative, assertionMethod: `${did}#key-1`} as unknown as ControllerDocument, `${did}#key-1`, 'assertionMethod')).toBe(false);
  });

  it('a did:key document authorises its key for assertionMethod', () => {
    const doc = didKeyDocument(SPEC_DID)!;
    const vmId = doc.verificationMethod![0].id;
    expect(findVerificationMethod(doc, vmId)).not.toBeNull();
    expect(isAuthorizedFor(doc, vmId, 'assertionMethod')).toBe(true);
    expect(isAuthorizedFor(doc, vmId, 'keyAgreement')).toBe(false);
  });
});
