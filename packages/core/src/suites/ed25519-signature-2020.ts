/**
 * Verification of legacy `Ed25519Signature2020` proofs (W3C CCG Ed25519 Signature
 * 2020; Digital Bazaar ed25519-signature-2020 with jsonld-signatures
 * LinkedDataSignature). The signed bytes are
 * SHA-256(URDNA2015(proof options)) ‖ SHA-256(URDNA2015(document)), where the proof
 * options are the proof without proofValue under the document's @context;
 * URDNA2015 and RDFC-1.0 give the same output. proofValue is multibase base58btc.
 * Such documents must use https://w3id.org/security/suites/ed25519-2020/v1, which
 * defines the proof's terms.
 */
import type {Canonicalizer} from '../canonize.js';
import {type ProofOutcome, verifyRdfcEd25519Signature} from '../data-integrity.js';
import {type ProofSuite, wrongKey} from '../proof-suite.js';

export const ED25519_SIGNATURE_2020 = 'Ed25519Signature2020';

/** Verifies one Ed25519Signature2020 proof with a raw Ed25519 public key. Never throws. */
export async function verifyEd25519Signature2020(document: Record<string, unknown>, proof: Record<string, unknown>,
  publicKey: Uint8Array, canonicalizer: Canonicalizer): Promise<ProofOutcome> {
  if(proof.type !== ED25519_SIGNATURE_2020) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'Proof is not an Ed25519Signature2020 proof.'};
  }
  // jsonld-signatures canonizeProof uses {'@context': document['@context'], ...proof}, so a
  // proof's own @context would win; Laurel accepts only one equal to the document's (checked inside).
  return verifyRdfcEd25519Signature(document, proof, publicKey, canonicalizer);
}

/** Ed25519Signature2020 (legacy Linked Data Signature), verify only. */
export const ed25519Signature2020: ProofSuite = {
  name: ED25519_SIGNATURE_2020,
  matches: proof => proof.type === ED25519_SIGNATURE_2020,
  verify: async (document, proof, key, canonicalizer) => key.kind !== 'Ed25519'
    ? wrongKey(ED25519_SIGNATURE_2020, key.kind)
    : verifyEd25519Signature2020(document, proof, key.raw, canonicalizer),
};
