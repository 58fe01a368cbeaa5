/**
 * Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (VC-DI-EDDSA §3.3).
 * hashData = SHA-256(canon(proofConfig)) ‖ SHA-256(canon(document)); the signature
 * is Ed25519 over hashData; proofValue is multibase base58btc.
 */
import type {Canonicalizer} from './canonize.js';
import {fromBase58btc, toBase58btc} from './multikey.js';
import type {Signer} from './signer.js';

/** A Data Integrity proof as it appears in a secured document (VC-DI §2.1). */
export interface DataIntegrityProof {
  type: 'DataIntegrityProof';
  cryptosuite: string;
  created?: string;
  verificationMethod: string;
  proofPurpose: string;
  proofValue?: string;
  challenge?: string;
  domain?: string | string[];
  expires?: string;
  '@context'?: unknown;
  [k: string]: unknown;
}

export const EDDSA_RDFC_2022 = 'eddsa-rdfc-2022';

const XSD_DATETIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Whether a string is an XML Schema dateTime with a time zone, as VC 2.0 requires. */
export function isDateTimeStamp(value: unknown): value is string {
  return typeof value === 'string' && XSD_DATETIME.test(value) && !Number.isNaN(Date.parse(value));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}



/** The bytes an eddsa-rdfc-2022 signature covers (VC-DI-EDDSA §3.3.4 Hashing). */
export async function rdfcHashData(document: Record<string, unknown>, proofConfig: Record<string, unknown>,
  canonicalizer: Canonicalizer): Promise<Uint8Array> {
  const [canonConfig, canonDoc] = await Promise.all([
    canonicalizer.canonize(proofConfig),
    canonicalizer.canonize(document),
  ]);
  const [h1, h2] = await Promise.all([canonicalizer.sha256(canonConfig), canonicalizer.sha256(canonDoc)]);
  return concat(h1, h2);
}

/** Options for a new proof. `created` is passed in: the core reads no clock. */
export interface ProofOptions {
  created: string;
  proofPurpose?: string;
  challenge?: string;
  domain?: string;
}

/** The proof options of a new Data Integrity proof (VC-DI §4.2 Add Proof, steps 1–2), without proofValue. */
export function proofOptions(cryptosuite: string, signer: Signer, options: ProofOptions): DataIntegrityProof {
  if(!isDateTimeStamp(options.created)) throw new TypeError('proof created must be an XML Schema dateTime');
  const proof: DataIntegrityProof = {
    type: 'DataIntegrityProof',
    cryptosuite,
    created: options.created,
    verificationMethod: signer.id,
    proofPurpose: options.proofPurpose ?? 'assertionMethod',
  };
  if(options.challenge !== undefined) proof.challenge = options.challenge;
  if(options.domain !== undefined) proof.domain = options.domain;
  return proof;
}

/** Returns `document` with `proof` removed (shallow copy, caller's object untouched). */
export function withoutProof<T extends Record<string, unknown>>(document: T): Omit<T, 'proof'> {
  const {proof: _proof, ...rest} = document;
  return rest;
}

/**
 * Signs an unsecured document with eddsa-rdfc-2022 and returns the proof
 * (VC-DI-EDDSA §3.3.1 Create Proof). The input is not modified.
 */
export async function createEddsaRdfcProof(unsecured: Record<string, unknown>, signer: Signer,
  options: ProofOptions, canonicalizer: Canonicalizer): Promise<DataIntegrityProof> {
  const proof = proofOptions(EDDSA_RDFC_2022, signer, options);
  const document = withoutProof(unsecured);
  const hashData = await rdfcHashData(document, {...proof, '@context': document['@context']}, canonicalizer);
  const signature = await signer.sign(hashData);
  return {...proof, proofValue: toBase58btc(signature)};
}

/** Outcome of checking one proof: a Data Integrity error code when it fails. */
export type ProofOutcome =
  | {verified: true}
  | {verified: false; code: 'MALFORMED_PROOF_ERROR' | 'PROOF_VERIFICATION_ERROR' | 'MISMATCHED_PROOF_PURPOSE_ERROR' | 'PROOF_TRANSFORMATION_ERROR'; message: string};

/**
 * Verifies one eddsa-rdfc-2022 proof over `document` with a raw Ed25519 public key
 * (VC-DI-EDDSA §3.3.2 Verify Proof). Never throws for bad input.
 */
export async function verifyEddsaRdfcProof(document: Record<string, unknown>, proof: DataIntegrityProof,
  publicKey: Uint8Array, canonicalizer: Canonicalizer): Promise<ProofOutcome> {
  if(proof.type !== 'DataIntegrityProof' || proof.cryptosuite !== EDDSA_RDFC_2022) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'Proof is not a DataIntegrityProof with cryptosuite eddsa-rdfc-2022.'};
  }
  return verifyRdfcEd25519Signature(document, proof, publicKey, canonicalizer);
}

/**
 * The RDFC + Ed25519 signature check shared by eddsa-rdfc-2022 and the legacy
 * Ed25519Signature2020 (same construction: SHA-256 of the canonical proof options,
 * then of the canonical document). The caller has checked the proof's type.
 */
export async function verifyRdfcEd25519Signature(document: Record<string, unknown>, proof: Record<string, unknown>,
  publicKey: Uint8Array, canonicalizer: Canonicalizer): Promise<ProofOutcome> {
  const signature = fromBase58btc(proof.proofValue as string);
  if(!signature || signature.length !== 64) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'proofValue is not a base58btc-encoded 64-byte Ed25519 signature.'};
  }
  if(proof.created !== undefined && !isDateTimeStamp(proof.created)) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'proof.created is not a valid dateTime.'};
  }
  const {proofValue: _pv, ...config} = proof;
  const unsecured = withoutProof(document);
  // VC-DI-EDDSA §3.3.5: the proof config carries the document's context; a proof
  // with its own @context must match the document's.
  if(config['@context'] !== undefined && JSON.stringify(config['@context']) !== JSON.stringify(unsecured['@context'])) {
    return {verified: false, code: 'MALFORMED_PROOF_ERROR', message: 'proof @context differs from the document @context.'};
  }
  let hashData: Uint8Array;
  try {
    hashData = await rdfcHashData(unsecured, {...config, '@context': unsecured['@context']}, canonicalizer);
  } catch(error) {
    return {verified: false, code: 'PROOF_TRANSFORMATION_ERROR', message: `The document could not be canonicalized: ${(error as Error).message}`};
  }
  let ok: boolean;
  try {
    ok = publicKey.length === 32 && signature.length === 64 && await canonicalizer.verifyEd25519(publicKey, hashData, signature);
  } catch {
    ok = false;
  }
  return ok ? {verified: true} : {verified: false, code: 'PROOF_VERIFICATION_ERROR', message: 'The signature does not match the document: it was altered after signing, or signed with another key.'};
}
