import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {Canonicalizer} from '../src/canonize.js';
import {createDocumentLoader} from '../src/contexts/index.js';
import {createEddsaRdfcProof, verifyEddsaRdfcProof} from '../src/data-integrity.js';
import {decodeEd25519PublicKey, decodeEd25519SecretKey} from '../src/multikey.js';
import {seedSigner} from './helpers.js';

// Test data comes from the 1EdTech OB 3.0 Implementation Guide (see vectors/README.md).
const vector = JSON.parse(readFileSync(new URL('./vectors/ob3-eddsa-rdfc-2022.json', import.meta.url), 'utf8'));

describe('1EdTech OB 3.0 eddsa-rdfc-2022 vector', () => {
  const canonicalizer = new Canonicalizer(createDocumentLoader());

  it('canonicalizes the document to the expected N-Quads (cached and uncached)', async () => {
    expect(await canonicalizer.canonize(vector.unsignedCredential, {noCache: true})).toBe(vector.expectedDocumentCanonicalNQuads);
    expect(await canonicalizer.canonize(vector.unsignedCredential)).toBe(vector.expectedDocumentCanonicalNQuads);
    expect(await canonicalizer.canonize(vector.unsignedCredential)).toBe(vector.expectedDocumentCanonicalNQuads);
  });

  it('canonicalizes the proof configuration to the expected N-Quads', async () => {
    const config = {...vector.proofOptions, '@context': vector.unsignedCredential['@context']};
    expect(await canonicalizer.canonize(config)).toBe(vector.expectedProofCanonicalNQuads);
  });

  it('re-signing gives expectedProofValue byte for byte', async () => {
    const seed = decodeEd25519SecretKey(vector.keyPair.secretKeyMultibase)!;
    const signer = seedSigner(vector.verificationMethod, seed);
    const proof = await createEddsaRdfcProof(vector.unsignedCredential, signer, {created: vector.proofOptions.created}, canonicalizer);
    expect(proof.proofValue).toBe(vector.expectedProofValue);
    expect(proof).toEqual({...vector.proofOptions, proofValue: vector.expectedProofValue});
  });

  it('gives the same proofValue with an injected (node:crypto) SHA-256', async () => {
    const {createHash} = await import('node:crypto');
    const nodeHashing = new Canonicalizer(createDocumentLoader(), {sha256: text => createHash('sha256').update(text).digest()});
    const signer = seedSigner(vector.verificationMethod, decodeEd25519SecretKey(vector.keyPair.secretKeyMultibase)!);
    const proof = await createEddsaRdfcProof(vector.unsignedCredential, signer, {created: vector.proofOptions.created}, nodeHashing);
    expect(proof.proofValue).toBe(vector.expectedProofValue);
  });

  it('verifies, and fails for a one-character change', async () => {
    const publicKey = decodeEd25519PublicKey(vector.keyPair.publicKeyMultibase)!;
    const proof = {...vector.proofOptions, proofValue: vector.expectedProofValue};
    expect(await verifyEddsaRdfcProof(vector.unsignedCredential, proof, publicKey, canonicalizer)).toEqual({verified: true});
    const tampered = {...vector.unsignedCredential, name: 'Teamwork Badgf'};
    const outcome = await verifyEddsaRdfcProof(tampered, proof, publicKey, canonicalizer);
    expect(outcome).toMatchObject({verified: false, code: 'PROOF_VERIFICATION_ERROR'});
  });
});
