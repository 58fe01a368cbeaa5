// VC-JOSE (application/vc+jwt): round trips with EdDSA and ES256, and the classic JWT attacks.
import {createHmac, generateKeyPairSync, type KeyObject, sign} from 'node:crypto';
import {base58, base64urlnopad} from '@scure/base';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader} from '../src/contexts/index.js';
import {buildAchievementCredential} from '../src/credential.js';
import {type ControllerResolver, resolveDidKey} from '../src/did.js';
import {type JwsSigner, signVcJwt, verifyVcJwt} from '../src/vc-jose.js';
import {type VerifyPorts} from '../src/verify.js';
import {codesOf, randomDidKey, sampleCredentialInput, type TestDidKey} from './helpers.js';

const canonicalizer = new Canonicalizer(createDocumentLoader());
const NOW = new Date('2026-01-01T00:00:00Z');
const SIGNED_AT = new Date('2025-06-01T00:00:00Z');
const ports = (resolveController: ControllerResolver = resolveDidKey, now = NOW): VerifyPorts =>
  ({canonicalizer, resolveController, now: () => now});

const utf8 = (s: string) => new TextEncoder().encode(s);
const b64 = (x: string | Uint8Array | object) =>
  base64urlnopad.encode(typeof x === 'string' ? utf8(x) : x instanceof Uint8Array ? x : utf8(JSON.stringify(x)));
const decodePart = (part: string) => JSON.parse(new TextDecoder().decode(base64urlnopad.decode(part)));

const credentialFor = (issuerId: string) => buildAchievementCredential(sampleCredentialInput(issuerId,
  {recipient: {name: 'Ada', email: 'ada@example.com', did: 'did:example:ada'}})) as unknown as Record<string, unknown>;

const edSigner = (key: TestDidKey, kid = key.vmId): JwsSigner => ({kid, alg: 'EdDSA', sign: data => key.signer.sign(data)});

/** Signs an arbitrary header and payload with a did:key's Ed25519 key: for tokens signVcJwt would never make. */
async function rawEdJwt(key: TestDidKey, header: object, payload: object | string): Promise<string> {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${b64(await key.signer.sign(utf8(input)))}`;
}

const HEADER = (key: TestDidKey) => ({alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: key.vmId});

/** A P-256 issuer served as a did:web-style controller document. */
function p256Issuer(did = 'did:web:issuer.example') {
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'});
  const jwk = publicKey.export({format: 'jwk'});
  const x = base64urlnopad.decode(jwk.x!), y = base64urlnopad.decode(jwk.y!);
  const compressed = Uint8Array.from([0x02 | (y[31] & 1), ...x]);
  const vmId = `${did}#key-1`;
  const resolver: ControllerResolver = async id => id === did
    ? {ok: true, document: {id: did, verificationMethod: [{id: vmId, type: 'Multikey', controller: did,
        publicKeyMultibase: 'z' + base58.encode(Uint8Array.from([0x80, 0x24, ...compressed])), validFrom: '2025-01-01T00:00:00Z'}],
        assertionMethod: [vmId]}}
    : {ok: false, message: 'not found'};
  const signer: JwsSigner = {kid: vmId, alg: 'ES256',
    sign: data => new Uint8Array(sign('sha256', data, {key: privateKey as KeyObject, dsaEncoding: 'ieee-p1363'}))};
  return {did, vmId, resolver, signer};
}

describe('signVcJwt / verifyVcJwt', () => {
  it('round-trips EdDSA with a did:key issuer, with the registered claims restating the credential', async () => {
    const key = randomDidKey();
    const vc = credentialFor(key.did);
    const jwt = await signVcJwt(vc, edSigner(key), SIGNED_AT);
    const [header, payload] = jwt.split('.').map((p, i) => i < 2 ? decodePart(p) : p);
    expect(header).toEqual({alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc', kid: key.vmId});
    expect(payload).toMatchObject({...vc, iss: key.did, sub: 'did:example:ada', jti: vc.id,
      nbf: Date.parse('2025-01-01T00:00:00Z') / 1000, exp: Date.parse('2030-01-01T00:00:00Z') / 1000, iat: SIGNED_AT.getTime() / 1000});
    const result = await verifyVcJwt(jwt, ports());
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    expect(codesOf(result)).toEqual({structure: 'STRUCTURE_VALID', contexts: 'CONTEXTS_ALLOWED', schema: 'SCHEMA_VALID',
      proof: 'PROOF_VALID', issuer: 'ISSUER_VALID', domain: 'ISSUER_DOMAIN_NOT_APPLICABLE', validity: 'VALIDITY_OK', status: 'STATUS_NONE'});
  });

  it('round-trips ES256 with a P-256 Multikey in a did:web document, and checks the key window against iat', async () => {
    const issuer = p256Issuer();
    const jwt = await signVcJwt(credentialFor(issuer.did), issuer.signer, SIGNED_AT);
    const result = await verifyVcJwt(jwt, ports(issuer.resolver));
    expect(result.errors).toEqual([]);
    expect(result.verified).toBe(true);
    // The key's window starts 2025-01-01: a token claiming to be signed earlier is refused.
    const early = await verifyVcJwt(await signVcJwt(credentialFor(issuer.did), issuer.signer, new Date('2024-06-01T00:00:00Z')), ports(issuer.resolver));
    expect(codesOf(early).issuer).toBe('KEY_NOT_VALID_AT_PROOF_TIME');
    expect(early.verified).toBe(false);
  });

  it('refuses an EdDSA token whose kid names a P-256 key (alg and key type must match)', async () => {
    const issuer = p256Issuer();
    const attacker = randomDidKey();
    const jwt = await rawEdJwt(attacker, {...HEADER(attacker), kid: issuer.vmId},
      {...credentialFor(issuer.did), iss: issuer.did});
    const result = await verifyVcJwt(jwt, ports(issuer.resolver));
    expect(result.verified).toBe(false);
    expect(codesOf(result).proof).toBe('PROOF_VERIFICATION_ERROR');
  });

  it('reports expiry by the injected clock', async () => {
    const key = randomDidKey();
    const jwt = await signVcJwt(credentialFor(key.did), edSigner(key), SIGNED_AT);
    const result = await verifyVcJwt(jwt, ports(resolveDidKey, new Date('2031-01-01T00:00:00Z')));
    expect(result.verified).toBe(false);
    expect(codesOf(result)).toMatchObject({proof: 'PROOF_VALID', validity: 'EXPIRED'});
  });
});

describe('verifyVcJwt refuses attacks', () => {
  const victim = randomDidKey();
  const vc = credentialFor(victim.did);
  const claims = {iss: victim.did, sub: 'did:example:ada', jti: vc.id, nbf: 1735689600, exp: 1893456000, iat: 1748736000};

  const refused = async (jwt: string, check: string, code: string, resolver: ControllerResolver = resolveDidKey) => {
    const result = await verifyVcJwt(jwt, ports(resolver));
    expect(result.verified).toBe(false);
    expect(result.checks).toHaveLength(8);
    expect(codesOf(result)[check]).toBe(code);
    return result;
  };

  it('alg none (an unsigned token)', async () => {
    await refused(`${b64({alg: 'none', typ: 'vc+jwt', kid: victim.vmId})}.${b64({...vc, ...claims})}.`, 'proof', 'MALFORMED_PROOF_ERROR');
  });

  it('HS256 with the public key bytes as the HMAC secret (algorithm confusion)', async () => {
    const input = `${b64({alg: 'HS256', typ: 'vc+jwt', kid: victim.vmId})}.${b64({...vc, ...claims})}`;
    const mac = createHmac('sha256', victim.publicKey).update(input).digest();
    const result = await refused(`${input}.${b64(new Uint8Array(mac))}`, 'proof', 'MALFORMED_PROOF_ERROR');
    expect(result.errors[0].message).toMatch(/EdDSA and ES256/);
  });

  it('RS256 is not accepted either', async () => {
    await refused(`${b64({alg: 'RS256', typ: 'vc+jwt', kid: victim.vmId})}.${b64({...vc, ...claims})}.AAAA`, 'proof', 'MALFORMED_PROOF_ERROR');
  });

  it('a jwk header carrying the attacker\'s key', async () => {
    const attacker = randomDidKey();
    const jwk = {kty: 'OKP', crv: 'Ed25519', x: b64(attacker.publicKey)};
    const jwt = await rawEdJwt(attacker, {...HEADER(victim), jwk}, {...vc, ...claims});
    await refused(jwt, 'proof', 'MALFORMED_PROOF_ERROR');
  });

  it('jku and x5u headers pointing at a key URL', async () => {
    const attacker = randomDidKey();
    for(const extra of [{jku: 'https://evil.example/jwks.json'}, {x5u: 'https://evil.example/cert.pem'}, {x5c: ['MIIB']}]) {
      await refused(await rawEdJwt(attacker, {...HEADER(victim), ...extra}, {...vc, ...claims}), 'proof', 'MALFORMED_PROOF_ERROR');
    }
  });

  it('a kid pointing at another issuer\'s key', async () => {
    const other = randomDidKey();
    const jwt = await rawEdJwt(other, HEADER(other), {...vc, ...claims});
    await refused(jwt, 'issuer', 'KEY_NOT_CONTROLLED_BY_ISSUER');
  });

  it('a kid that is an https URL (never fetched)', async () => {
    let asked = false;
    const spy: ControllerResolver = async id => { asked = true; return resolveDidKey(id); };
    const jwt = await rawEdJwt(victim, {...HEADER(victim), kid: 'https://evil.example/keys#1'}, {...vc, ...claims});
    await refused(jwt, 'proof', 'MALFORMED_PROOF_ERROR', spy);
    expect(asked).toBe(false);
  });

  it('a payload changed after signing', async () => {
    const jwt = await signVcJwt(vc, edSigner(victim), SIGNED_AT);
    const [h, p, s] = jwt.split('.');
    const tampered = {...decodePart(p), name: 'Rust 999'};
    await refused(`${h}.${b64(tampered)}.${s}`, 'proof', 'PROOF_VERIFICATION_ERROR');
  });

  it('a wrong typ', async () => {
    await refused(await rawEdJwt(victim, {...HEADER(victim), typ: 'JWT'}, {...vc, ...claims}), 'proof', 'MALFORMED_PROOF_ERROR');
  });

  it('registered claims that disagree with the credential, even when validly signed', async () => {
    for(const change of [{iss: 'did:example:mallory'}, {nbf: claims.nbf - 86400}, {exp: claims.exp + 86400},
      {jti: 'https://laurel.test/c/other'}, {sub: 'did:example:mallory'}, {nbf: '2025-01-01T00:00:00Z'}]) {
      const jwt = await rawEdJwt(victim, HEADER(victim), {...vc, ...claims, ...change});
      await refused(jwt, 'proof', 'JWT_CLAIMS_MISMATCH');
    }
    // An exp with no validUntil is a conflict too: the token would expire while the credential claims it does not.
    const {validUntil: _, ...open} = vc;
    await refused(await rawEdJwt(victim, HEADER(victim), {...open, ...claims}), 'proof', 'JWT_CLAIMS_MISMATCH');
  });

  it('malformed tokens, never a throw', async () => {
    const good = await signVcJwt(vc, edSigner(victim), SIGNED_AT);
    const [h, , s] = good.split('.');
    const cases: [string, string, string][] = [
      [`${h}.${s}`, 'proof', 'MALFORMED_PROOF_ERROR'],
      ['', 'proof', 'MALFORMED_PROOF_ERROR'],
      [`${h}.!!!.${s}`, 'proof', 'MALFORMED_PROOF_ERROR'],
      [`${h}.${b64('not json')}.${s}`, 'structure', 'STRUCTURE_INVALID'],
      [`${h}.${b64('[1,2]')}.${s}`, 'structure', 'STRUCTURE_INVALID'],
      [`${b64('{"alg":"EdDSA","alg":"none"}')}.${b64({...vc, ...claims})}.${s}`, 'proof', 'MALFORMED_PROOF_ERROR'],
    ];
    for(const [jwt, check, code] of cases) await refused(jwt, check, code);
    // Duplicate keys in a validly signed payload: two parsers could read two different credentials.
    const duplicated = JSON.stringify({...vc, ...claims}).replace(/^\{/, '{"iss":"did:example:mallory",');
    const dup = await refused(await rawEdJwt(victim, HEADER(victim), duplicated), 'structure', 'STRUCTURE_INVALID');
    expect(codesOf(dup).proof).toBe('MALFORMED_PROOF_ERROR');
    expect(dup.errors[0].message).toMatch(/Duplicate key/);
    for(const junk of [null, 42, {}, 'a.b.c.d'] as unknown[]) {
      expect((await verifyVcJwt(junk as string, ports())).verified).toBe(false);
    }
  });
});
