/**
 * Signing and signature checking as ports. The core never holds a private key
 * itself: the server passes a Signer backed by node:crypto (fast, key decrypted
 * in memory), a browser could pass one backed by WebCrypto.
 */

/** Signs bytes with one key, identified by its verification method URL. */
export interface Signer {
  /** The verification method URL, e.g. `did:web:example.edu#key-1`. */
  readonly id: string;
  readonly algorithm: 'Ed25519';
  sign(data: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

// Imported WebCrypto keys by public key (hex): importing costs more than verifying.
const importedKeys = new Map<string, Promise<CryptoKey>>();
const MAX_IMPORTED_KEYS = 1024;

function importEd25519(publicKey: Uint8Array): Promise<CryptoKey> {
  let hex = '';
  for(const b of publicKey) hex += b.toString(16).padStart(2, '0');
  let key = importedKeys.get(hex);
  if(!key) {
    key = globalThis.crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, {name: 'Ed25519'}, false, ['verify']);
    // A failed import is not cached.
    key.catch(() => importedKeys.delete(hex));
    if(importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.delete(importedKeys.keys().next().value as string);
    importedKeys.set(hex, key);
  }
  return key;
}

/** Verifies an Ed25519 signature with WebCrypto (browser-safe; Node ≥ 20). */
export async function verifyEd25519(publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if(publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = await importEd25519(publicKey);
    return await globalThis.crypto.subtle.verify({name: 'Ed25519'}, key, signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}
