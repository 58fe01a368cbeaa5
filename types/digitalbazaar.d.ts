// Minimal declarations for the Digital Bazaar reference stack, used by the bench only.
declare module '@digitalbazaar/vc' {
  export function issue(options: {credential: unknown; suite: unknown; documentLoader: unknown; now?: Date | string}): Promise<Record<string, unknown>>;
  export function verifyCredential(options: {credential: unknown; suite: unknown; documentLoader: unknown; now?: Date | string;
    checkStatus?: unknown}): Promise<{verified: boolean; error?: unknown; results?: unknown[]}>;
}
declare module '@digitalbazaar/data-integrity' {
  export class DataIntegrityProof {
    constructor(options: {signer?: unknown; date?: string | Date | number | null; cryptosuite: unknown; legacyContext?: boolean});
  }
}
declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  export const cryptosuite: {name: string; requiredAlgorithm: string; [k: string]: unknown};
}
declare module '@digitalbazaar/ed25519-multikey' {
  export interface Ed25519KeyPair {
    id: string;
    controller: string;
    publicKeyMultibase: string;
    secretKeyMultibase: string;
    signer(): {id: string; algorithm: string; sign(options: {data: Uint8Array}): Promise<Uint8Array>};
    export(options: {publicKey?: boolean; secretKey?: boolean; includeContext?: boolean}): Promise<Record<string, unknown>>;
  }
  export function generate(options?: {id?: string; controller?: string; seed?: Uint8Array}): Promise<Ed25519KeyPair>;
  export function from(key: Record<string, unknown>): Promise<Ed25519KeyPair>;
}
