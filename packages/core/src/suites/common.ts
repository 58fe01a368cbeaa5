/**
 * What the Data Integrity cryptosuites share: JCS hashing, the proof-context rule,
 * and one verification skeleton that each suite parameterises with its transform
 * and signature check (VC-DI-EDDSA §3, VC-DI-ECDSA §3).
 */
import canonicalizeModule from 'canonicalize';
import type {Canonicalizer} from '../canonize.js';
import {type DataIntegrityProof, isDateTimeStamp, type ProofOutcome, rdfcHashData, withoutProof} from '../data-integrity.js';
import {fromBase58btc} from '../multikey.js';

type JcsFn = (input: unknown) => string | undefined;
// canonicalize 2.1.0 is CommonJS (module.exports = fn) while its typings declare an ES
// default export; accept either shape so Node, bundlers and tsc agree.
const loaded = canonicalizeModule as unknown as JcsFn | {default: JcsFn};
const canonicalizeJson: JcsFn = typeof loaded === 'function' ? loaded : loaded.default;

/** a ‖ b. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** RFC 8785 JSON Canonicalization Scheme. Throws for values JSON cannot hold (NaN, Infinity, undefined). */
export function jcs(value: unknown): string {
  const text = canonicalizeJson(value);
  if(typeof text !== 'string') throw new TypeError('the value has no JSON form');
  return text;
}

/** SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document)) (VC-DI-EDDSA §3.4.4, VC-DI-ECDSA §3.3.4 for P-256). */
export async function jcsHashData(document: Record<string, unknown>, proofConfig: Record<string, unknown>,
  canonicalizer: Canonicalizer): Promise<Uint8Array> {
  const [h1, h2] = await Promise.all([canonicalizer.sha256(jcs(proofConfig)), canonicalizer.sha256(jcs(document))]);
  return concatBytes(h1, h2);
}

/** How a suite turns a document and proof configuration into the signed bytes. */
export type Transform = 'rdfc' | 'jcs';

/** What a Data Integrity suite plugs into {@link verifyDataIntegrityProof}. */
export interface DataIntegritySuiteSpec {
  cryptosuite: string;
  transform: Transform;
  /** The signature's exact length in bytes, checked before any hashing. */
  signatureLength: number;
  /** e.g. "Ed25519" or "P-256 ECDSA", for messages. */
  signatureName: string;
  /** Checks the signature over hashData. Must not throw. */
  verifySignature(hashData: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

const asArray = (v: unknown): unknown[] => Array.isArray(v) ? v : v === undefined ? [] : [v];

/**
 * The unsecured document and proof configuration a suite hashes, or the reason the
 * proof is malformed.
 *
 * RDFC: the proof config takes the document's @context; a proof that carries its
 * own must match it exactly (as Laurel's eddsa-rdfc-2022 does).
 * JCS (VC-DI-EDDSA §3.4.2 step 4, VC-DI-ECDSA §3.3.2 step 4): the proof's
 * @context, when present, must be a prefix of the document's, and the unsecured
 * document then takes the proof's @context. Without one, nothing is added: JCS
 * signs exactly the proof options it was given.
 */
function toHashInputs(document: Record<string, unknown>, proof: DataIntegrityProof, transform: Transform):
  {unsecured: Record<string, unknown>; config: Record<string, unknown>} | ProofOutcome {
  const {proofValue: _pv, ...config} = proof;
  const unsecured: Record<string, unknown> = withoutProof(document);
  if(transform === 'rdfc') {
    if(config['@context'] !== undefined && JSON.stringify(config['@context']) !== JSON.stringify(unsecured['@context'])) {
      return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'proof @context differs from the document @context.'};
    }
    return {unsecured, config: {...config, '@context': unsecured['@context']}};
  }
  if(config['@context'] !== undefined) {
    const proofContext = asArray(config['@context']), docContext = asArray(unsecured['@context']);
    if(proofContext.length === 0 || proofContext.some((c, i) => JSON.stringify(c) !== JSON.stringify(docContext[i]))) {
      return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'The document @context does not start with the proof @context.'};
    }
    unsecured['@context'] = config['@context'];
  }
  return {unsecured, config};
}

/**
 * Verifies one Data Integrity proof of `spec.cryptosuite` (VC-DI §4.3 Verify Proof,
 * with the suite's transform, hashing and signature check). Never throws.
 */
export async function verifyDataIntegrityProof(spec: DataIntegritySuiteSpec, document: Record<string, unknown>,
  proof: DataIntegrityProof, canonicalizer: Canonicalizer): Promise<ProofOutcome> {
  if(proof.type !== 'DataIntegrityProof' || proof.cryptosuite !== spec.cryptosuite) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: `Proof is not a DataIntegrityProof with cryptosuite ${spec.cryptosuite}.`};
  }
  const signature = fromBase58btc(proof.proofValue as string);
  if(!signature || signature.length !== spec.signatureLength) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR',
      message: `proofValue is not a base58btc-encoded ${spec.signatureLength}-byte ${spec.signatureName} signature.`};
  }
  if(proof.created !== undefined && !isDateTimeStamp(proof.created)) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'proof.created is not a valid dateTime.'};
  }
  const inputs = toHashInputs(document, proof, spec.transform);
  if('verified' in inputs) return inputs;
  let hashData: Uint8Array;
  try {
    hashData = spec.transform === 'rdfc'
      ? await rdfcHashData(inputs.unsecured, inputs.config, canonicalizer)
      : await jcsHashData(inputs.unsecured, inputs.config, canonicalizer);
  } catch(error) {
    return {verified: false, code: 'PROOF_TRANSFORMATION_ERROR', message: `The document could not be canonicalized: ${(error as Error).message}`};
  }
  const ok = await spec.verifySignature(hashData, signature);
  return ok ? {verified: true} : {verified: false, code: 'PROOF_VERIFICATION_ERROR',
    message: 'The signature does not match the document: it was altered after signing, or signed with another key.'};
}
