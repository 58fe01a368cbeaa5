// Minimal declarations for the Digital Bazaar reference stack, used by the bench only.
declare module '@digitalbazaar/vc' {
  export function issue(options: {credential: unknown; suite: unknown; documentLoader: unknown; now?: Date | string}): Promise<Record<string, unknown>>;
  export function verifyCredential(options: {credential: unknown; suite: unknown; documentLoader: unknown; now?: Date | string;
    checkStatus?: unknown}): Promise<{verified: boolean; error?: unknown; results?: unknown[]}>;
  export function createPresentation(options?: {verifiableCredential?: unknown; id?: string; holder?: string; now?: Date | string;
    version?: number}): Record<string, unknown>;
  export function signPresentation(options: {presentation: unknown; suite: unknown; documentLoader: unknown; challenge?: string;
    domain?: string; purpose?: unknown}): Promise<Record<string, any>>;
  export function verify(options: {presentation: unknown; suite: unknown; documentLoader: unknown; challenge?: string | null;
    domain?: string; now?: Date | string; unsignedPresentation?: boolean; checkStatus?: unknown}): Promise<{verified: boolean; error?: unknown;
    presentationResult?: unknown; credentialResults?: unknown[]}>;
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
// Reference cryptosuites used by packages/core/test/suites.test.ts.
declare module '@digitalbazaar/eddsa-jcs-2022-cryptosuite' {
  export function createSignCryptosuite(): {name: string; [k: string]: unknown};
  export function createVerifyCryptosuite(): {name: string; [k: string]: unknown};
}
declare module '@digitalbazaar/ecdsa-jcs-2019-cryptosuite' {
  export function createSignCryptosuite(): {name: string; [k: string]: unknown};
  export function createVerifyCryptosuite(): {name: string; [k: string]: unknown};
}
declare module '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite' {
  export const cryptosuite: {name: string; requiredAlgorithm: string[] | string; [k: string]: unknown};
}
declare module '@digitalbazaar/ecdsa-multikey' {
  export interface EcdsaKeyPair {
    id?: string;
    controller?: string;
    publicKeyMultibase: string;
    signer(): {id: string; algorithm: string; sign(options: {data: Uint8Array}): Promise<Uint8Array>};
    export(options: {publicKey?: boolean; secretKey?: boolean; includeContext?: boolean}): Promise<Record<string, unknown>>;
  }
  export function generate(options: {id?: string; controller?: string; curve: 'P-256' | 'P-384' | 'P-521'}): Promise<EcdsaKeyPair>;
  export function from(key: Record<string, unknown>): Promise<EcdsaKeyPair>;
}
declare module '@digitalbazaar/ed25519-verification-key-2020' {
  export class Ed25519VerificationKey2020 {
    id?: string;
    controller?: string;
    publicKeyMultibase: string;
    static generate(options?: {id?: string; controller?: string; seed?: Uint8Array}): Promise<Ed25519VerificationKey2020>;
    static from(options: Record<string, unknown>): Promise<Ed25519VerificationKey2020>;
  }
}
declare module '@digitalbazaar/ed25519-signature-2020' {
  export class Ed25519Signature2020 {
    constructor(options: {key?: unknown; signer?: unknown; date?: string | Date});
  }
}
declare module '@digitalbazaar/vc-bitstring-status-list' {
  export function decodeList(options: {encodedList: string}): Promise<{length: number; getStatus(index: number): boolean}>;
  export function createList(options: {length: number}): Promise<{length: number; setStatus(index: number, value: boolean): void; encode(): Promise<string>}>;
  export function checkStatus(options: Record<string, unknown>): Promise<{verified: boolean; error?: unknown}>;
}
