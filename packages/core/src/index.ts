/** @laurel/core: pure, browser-safe OB 3.0 / VC 2.0 model, cryptosuites and verification. */
export * from './contexts/index.js';
export * from './canonize.js';
export * from './credential.js';
export * from './data-integrity.js';
export * from './did.js';
export * from './json.js';
export * from './lookalike.js';
export * from './model.js';
export * from './multikey.js';
export * from './parse.js';
export * from './proof-suite.js';
export * from './schema.js';
export * from './signer.js';
export * from './sign.js';
export * from './vc-jose.js';
export * from './verify.js';
export * from './suites/index.js';
