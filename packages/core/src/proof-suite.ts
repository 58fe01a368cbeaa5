/**
 * Proof suites as small objects the verifier is handed (STYLE: digitalbazaar's
 * cryptosuites are passed in). Each suite says which proofs it handles and
 * checks one proof with a public key decoded from the verification method.
 */
import type {Canonicalizer} from './canonize.js';
import {type DataIntegrityProof, EDDSA_RDFC_2022, type ProofOutcome, verifyEddsaRdfcProof} from './data-integrity.js';
import type {VerificationMethod} from './did.js';
import {decodeEd25519PublicKey, decodeP256PublicKey} from './multikey.js';

/** A public key, decoded from a verification method. */
export type PublicKey =
  | {kind: 'Ed25519'; raw: Uint8Array}
  /** P-256: the SEC1 compressed point (33 bytes), as in Multikey. */
  | {kind: 'P-256'; compressed: Uint8Array};

/** A proof suite the verifier can use. */
export interface ProofSuite {
  /** The cryptosuite or proof type it checks, e.g. `eddsa-rdfc-2022` or `Ed25519Signature2020`. */
  readonly name: string;
  /** Whether this suite handles the proof. */
  matches(proof: Record<string, unknown>): boolean;
  /** Checks one proof over `document` (which still carries its `proof`). Never throws. */
  verify(document: Record<string, unknown>, proof: DataIntegrityProof, key: PublicKey, canonicalizer: Canonicalizer): Promise<ProofOutcome>;
}

/**
 * Decodes a verification method's public key: Multikey (Ed25519 or P-256) or
 * Ed25519VerificationKey2020 (publicKeyMultibase). Anything else is null.
 */
export function publicKeyOf(vm: VerificationMethod): PublicKey | null {
  if(typeof vm.publicKeyMultibase !== 'string') return null;
  if(vm.type === 'Multikey' || vm.type === 'Ed25519VerificationKey2020') {
    const ed = decodeEd25519PublicKey(vm.publicKeyMultibase);
    if(ed) return {kind: 'Ed25519', raw: ed};
  }
  if(vm.type === 'Multikey') {
    const p256 = decodeP256PublicKey(vm.publicKeyMultibase);
    if(p256) return {kind: 'P-256', compressed: p256};
  }
  return null;
}

/** The outcome when a proof's suite cannot use the key's type. */
export const wrongKey = (suite: string, kind: string): ProofOutcome =>
  ({verified: false, code: 'PROOF_VERIFICATION_ERROR', message: `A ${suite} proof cannot be made with a ${kind} key.`});

/** eddsa-rdfc-2022 (VC-DI-EDDSA §3.3). */
export const eddsaRdfc2022: ProofSuite = {
  name: EDDSA_RDFC_2022,
  matches: proof => proof.type === 'DataIntegrityProof' && proof.cryptosuite === EDDSA_RDFC_2022,
  verify: async (document, proof, key, canonicalizer) => key.kind !== 'Ed25519'
    ? wrongKey(EDDSA_RDFC_2022, key.kind)
    : verifyEddsaRdfcProof(document, proof, key.raw, canonicalizer),
};
