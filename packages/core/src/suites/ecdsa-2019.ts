/**
 * Verification of `ecdsa-rdfc-2019` and `ecdsa-jcs-2019` proofs (VC-DI-ECDSA §3.2,
 * §3.3), P-256 only. hashData = SHA-256(canon(proofConfig)) ‖ SHA-256(canon(document));
 * the signature is ECDSA P-256 with SHA-256 over hashData, IEEE P1363 r‖s (64
 * bytes), multibase base58btc. P-384 keys (SHA-384 hashing) are not accepted:
 * publicKeyOf never yields one, and the suites refuse any non-P-256 key.
 */
import {p256} from '@noble/curves/nist.js';
import {type ProofSuite, wrongKey} from '../proof-suite.js';
import {verifyDataIntegrityProof} from './common.js';

export const ECDSA_RDFC_2019 = 'ecdsa-rdfc-2019';
export const ECDSA_JCS_2019 = 'ecdsa-jcs-2019';

/** WebCrypto keys imported for verification, by compressed key (hex); bounded. */
const MAX_KEYS = 256;
const imported = new Map<string, Promise<CryptoKey>>();

function importP256(compressed: Uint8Array): Promise<CryptoKey> {
  let hex = '';
  for(const b of compressed) hex += b.toString(16).padStart(2, '0');
  let key = imported.get(hex);
  if(!key) {
    // WebCrypto imports only uncompressed points: decompress first (which also rejects points off the curve).
    const uncompressed = p256.Point.fromBytes(compressed).toBytes(false);
    key = globalThis.crypto.subtle.importKey('raw', uncompressed as Uint8Array<ArrayBuffer>, {name: 'ECDSA', namedCurve: 'P-256'}, false, ['verify']);
    key.catch(() => imported.delete(hex));
    if(imported.size >= MAX_KEYS) imported.delete(imported.keys().next().value as string);
    imported.set(hex, key);
  }
  return key;
}

/**
 * Verifies an ECDSA P-256 / SHA-256 signature (P1363 r‖s) with WebCrypto, the key
 * imported once per process (issuers sign many credentials with one key). Never throws.
 */
export async function verifyP256(compressed: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if(compressed.length !== 33 || signature.length !== 64) return false;
  try {
    const key = await importP256(compressed);
    // VC-DI-ECDSA §3.2.6/§3.3.6: the P-256 signature is over hashData with SHA-256;
    // WebCrypto applies that SHA-256 itself.
    return await globalThis.crypto.subtle.verify({name: 'ECDSA', hash: 'SHA-256'}, key,
      signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}

const ecdsaSuite = (name: string, transform: 'rdfc' | 'jcs'): ProofSuite => ({
  name,
  matches: proof => proof.type === 'DataIntegrityProof' && proof.cryptosuite === name,
  verify: async (document, proof, key, canonicalizer) => key.kind !== 'P-256'
    ? wrongKey(name, key.kind)
    : verifyDataIntegrityProof({
      cryptosuite: name, transform, signatureLength: 64, signatureName: 'P-256 ECDSA',
      verifySignature: async (data, signature) => key.compressed.length === 33 && signature.length === 64
        && await (canonicalizer.verifyP256 ?? verifyP256)(key.compressed, data, signature),
    }, document, proof, canonicalizer),
});

/** ecdsa-rdfc-2019 (VC-DI-ECDSA §3.2), verify only, P-256. */
export const ecdsaRdfc2019: ProofSuite = ecdsaSuite(ECDSA_RDFC_2019, 'rdfc');

/** ecdsa-jcs-2019 (VC-DI-ECDSA §3.3), verify only, P-256. */
export const ecdsaJcs2019: ProofSuite = ecdsaSuite(ECDSA_JCS_2019, 'jcs');
