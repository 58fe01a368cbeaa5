/** Securing a credential: attach an eddsa-rdfc-2022 (default) or eddsa-jcs-2022 proof. */
import type {Canonicalizer} from './canonize.js';
import {createEddsaRdfcProof, type DataIntegrityProof, EDDSA_RDFC_2022} from './data-integrity.js';
import type {Signer} from './signer.js';
import {createEddsaJcsProof, EDDSA_JCS_2022} from './suites/eddsa-jcs-2022.js';

/** Options for {@link signCredential}. */
export interface SignOptions {
  /** The cryptosuite of the proof; default eddsa-rdfc-2022. */
  cryptosuite?: typeof EDDSA_RDFC_2022 | typeof EDDSA_JCS_2022;
}

/** Returns a new document: `unsecured` plus an assertion proof created at `created`. */
export async function signCredential<T extends Record<string, unknown>>(unsecured: T, signer: Signer, created: string,
  canonicalizer: Canonicalizer, options: SignOptions = {}): Promise<T & {proof: DataIntegrityProof}> {
  const cryptosuite = options.cryptosuite ?? EDDSA_RDFC_2022;
  if(cryptosuite !== EDDSA_RDFC_2022 && cryptosuite !== EDDSA_JCS_2022) throw new TypeError(`unsupported cryptosuite ${String(cryptosuite)}`);
  const create = cryptosuite === EDDSA_JCS_2022 ? createEddsaJcsProof : createEddsaRdfcProof;
  const proof = await create(unsecured, signer, {created}, canonicalizer);
  return {...unsecured, proof};
}
