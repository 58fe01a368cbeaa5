/** Securing a credential: attach an eddsa-rdfc-2022 proof. */
import type {Canonicalizer} from './canonize.js';
import {createEddsaRdfcProof, type DataIntegrityProof} from './data-integrity.js';
import type {Signer} from './signer.js';

/** Returns a new document: `unsecured` plus an eddsa-rdfc-2022 assertion proof created at `created`. */
export async function signCredential<T extends Record<string, unknown>>(unsecured: T, signer: Signer, created: string,
  canonicalizer: Canonicalizer): Promise<T & {proof: DataIntegrityProof}> {
  const proof = await createEddsaRdfcProof(unsecured, signer, {created}, canonicalizer);
  return {...unsecured, proof};
}
