/**
 * Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (VC-DI-EDDSA §3.4).
 * hashData = SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document)); Ed25519 signature;
 * proofValue multibase base58btc. No JSON-LD processing: the verifier's context
 * allow-list still applies to the document's @context.
 */
import type {Canonicalizer} from '../canonize.js';
import {type DataIntegrityProof, proofOptions, type ProofOptions, withoutProof} from '../data-integrity.js';
import {toBase58btc} from '../multikey.js';
import {type ProofSuite, wrongKey} from '../proof-suite.js';
import type {Signer} from '../signer.js';
import {jcsHashData, verifyDataIntegrityProof} from './common.js';

export const EDDSA_JCS_2022 = 'eddsa-jcs-2022';

/**
 * Signs an unsecured document with eddsa-jcs-2022 and returns the proof
 * (VC-DI-EDDSA §3.4.1 Create Proof). The proof carries the document's @context,
 * as §3.4.1 step 2 requires, so the signed proof configuration is the one emitted.
 * The input is not modified.
 */
export async function createEddsaJcsProof(unsecured: Record<string, unknown>, signer: Signer,
  options: ProofOptions, canonicalizer: Canonicalizer): Promise<DataIntegrityProof> {
  const document = withoutProof(unsecured);
  const proof = proofOptions(EDDSA_JCS_2022, signer, options);
  if(document['@context'] !== undefined) proof['@context'] = structuredClone(document['@context']);
  const hashData = await jcsHashData(document, proof, canonicalizer);
  const signature = await signer.sign(hashData);
  return {...proof, proofValue: toBase58btc(signature)};
}

/** eddsa-jcs-2022 (VC-DI-EDDSA §3.4): sign with {@link createEddsaJcsProof}, verify here. */
export const eddsaJcs2022: ProofSuite = {
  name: EDDSA_JCS_2022,
  matches: proof => proof.type === 'DataIntegrityProof' && proof.cryptosuite === EDDSA_JCS_2022,
  verify: async (document, proof, key, canonicalizer) => key.kind !== 'Ed25519'
    ? wrongKey(EDDSA_JCS_2022, key.kind)
    : verifyDataIntegrityProof({
      cryptosuite: EDDSA_JCS_2022, transform: 'jcs', signatureLength: 64, signatureName: 'Ed25519',
      verifySignature: async (data, signature) => {
        try {
          return key.raw.length === 32 && signature.length === 64 && await canonicalizer.verifyEd25519(key.raw, data, signature);
        } catch {
          return false;
        }
      },
    }, document, proof, canonicalizer),
};
