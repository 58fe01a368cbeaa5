// The node:crypto ports (@laurel/core/node) must agree with the WebCrypto defaults.
import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader} from '../src/contexts/index.js';
import {type ControllerResolver, resolveDidKey} from '../src/did.js';
import {generateKeyPairSync, sign as nodeSign} from 'node:crypto';
import {p256} from '@noble/curves/nist.js';
import {nodeCryptoPorts, nodeSha256, nodeVerifyEd25519, nodeVerifyP256} from '../src/node.js';
import {verifyP256} from '../src/suites/ecdsa-2019.js';
import {signCredential} from '../src/sign.js';
import {verifyEd25519} from '../src/signer.js';
import {verifyCredential} from '../src/verify.js';
import {randomDidKey, randomEd25519, sampleCredentialInput, seedSigner} from './helpers.js';
import {buildAchievementCredential} from '../src/credential.js';

const vector = JSON.parse(readFileSync(new URL('./vectors/ob3-eddsa-rdfc-2022.json', import.meta.url), 'utf8'));
const vectorResolver: ControllerResolver = async id => id === vector.keyPair.controller
  ? {ok: true, document: {id, verificationMethod: [{id: vector.verificationMethod, type: 'Multikey', controller: id,
      publicKeyMultibase: vector.keyPair.publicKeyMultibase}], assertionMethod: [vector.verificationMethod]}}
  : {ok: false, message: 'unknown'};

describe('node:crypto ports', () => {
  it('verify Ed25519 exactly as WebCrypto does, and refuse malformed keys and signatures', async () => {
    const {seed, publicKey} = randomEd25519();
    const data = new TextEncoder().encode('laurel');
    const signature = await seedSigner('k', seed).sign(data);
    const flipped = Uint8Array.from(signature);
    flipped[10] ^= 1;
    const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
      [publicKey, data, signature as Uint8Array], [publicKey, data, flipped], [publicKey, new TextEncoder().encode('laurel!'), signature as Uint8Array],
      [publicKey.subarray(1), data, signature as Uint8Array], [publicKey, data, (signature as Uint8Array).subarray(1)], [new Uint8Array(32), data, signature as Uint8Array],
    ];
    const expected = [true, false, false, false, false, false];
    for(const [i, [k, d, s]] of cases.entries()) {
      expect(nodeVerifyEd25519(k, d, s), `case ${i}`).toBe(expected[i]);
      expect(await verifyEd25519(k, d, s), `case ${i} (WebCrypto)`).toBe(expected[i]);
    }
  });

  it('verify ECDSA P-256 exactly as WebCrypto does, and refuse points off the curve and malformed input', async () => {
    const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'});
    const jwk = publicKey.export({format: 'jwk'});
    const x = Buffer.from(jwk.x!, 'base64url'), y = Buffer.from(jwk.y!, 'base64url');
    const compressed = new Uint8Array([(y[31] & 1) ? 3 : 2, ...x]);
    const data = new TextEncoder().encode('laurel');
    const signature = new Uint8Array(nodeSign('sha256', data, {key: privateKey, dsaEncoding: 'ieee-p1363'}));
    const flipped = Uint8Array.from(signature);
    flipped[5] ^= 1;
    // The first x (from 1 up) with no point on the curve under prefix 02.
    let offCurve = new Uint8Array(33);
    for(let i = 1; ; i++) {
      offCurve = new Uint8Array(33);
      offCurve[0] = 2;
      offCurve[32] = i;
      try {
        p256.Point.fromBytes(offCurve);
      } catch {
        break;
      }
    }
    const otherParity = Uint8Array.from(compressed);
    otherParity[0] ^= 1;
    const cases: [Uint8Array, Uint8Array, Uint8Array, boolean][] = [
      [compressed, data, signature, true],
      [compressed, data, flipped, false],
      [compressed, new TextEncoder().encode('laurel!'), signature, false],
      [otherParity, data, signature, false],
      [offCurve, data, signature, false],
      [compressed.subarray(1), data, signature, false],
      [new Uint8Array([4, ...x]), data, signature, false],
      [compressed, data, signature.subarray(1), false],
    ];
    for(const [i, [k, d, sig, expected]] of cases.entries()) {
      // Twice: the second call uses the cached key.
      for(let round = 0; round < 2; round++) {
        expect(nodeVerifyP256(k, d, sig), `case ${i}`).toBe(expected);
        expect(await verifyP256(k, d, sig), `case ${i} (WebCrypto)`).toBe(expected);
      }
    }
  });

  it('hash as WebCrypto does', async () => {
    const text = 'Ada Lovelace — 🎓 ✓';
    const web = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
    expect(Buffer.from(nodeSha256(text)).toString('hex')).toBe(Buffer.from(web).toString('hex'));
  });

  it('give the same verification results as the defaults, valid and tampered, on the 1EdTech vector too', async () => {
    const node = new Canonicalizer(createDocumentLoader(), nodeCryptoPorts());
    const web = new Canonicalizer(createDocumentLoader());
    const key = randomDidKey();
    const vc = await signCredential(buildAchievementCredential(sampleCredentialInput(key.did)), key.signer, '2025-01-01T00:00:00Z', node);
    const tampered = {...vc, credentialSubject: {...vc.credentialSubject, achievement: {...vc.credentialSubject.achievement, name: 'Forged'}}};
    const vectorVc = {...vector.unsignedCredential, proof: {...vector.proofOptions, proofValue: vector.expectedProofValue}};
    const now = () => new Date('2026-01-01T00:00:00Z');
    for(const [doc, resolver, verified] of [[vc, resolveDidKey, true], [tampered, resolveDidKey, false], [vectorVc, vectorResolver, true]] as const) {
      const a = await verifyCredential(doc, {canonicalizer: node, resolveController: resolver, now});
      const b = await verifyCredential(doc, {canonicalizer: web, resolveController: resolver, now});
      expect(a.verified).toBe(verified);
      expect(a.checks.map(c => c.code)).toEqual(b.checks.map(c => c.code));
    }
  });
});
