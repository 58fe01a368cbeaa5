/** Every proof suite Laurel can verify, and the suites themselves. */
import {eddsaRdfc2022, type ProofSuite} from '../proof-suite.js';
import {ecdsaJcs2019, ecdsaRdfc2019} from './ecdsa-2019.js';
import {ed25519Signature2020} from './ed25519-signature-2020.js';
import {eddsaJcs2022} from './eddsa-jcs-2022.js';

export * from './ecdsa-2019.js';
export * from './ed25519-signature-2020.js';
export * from './eddsa-jcs-2022.js';
export {concatBytes, jcs, jcsHashData} from './common.js';

/** All suites, for `VerifyPorts.suites`: eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019, ecdsa-jcs-2019, Ed25519Signature2020. */
export const ALL_SUITES: readonly ProofSuite[] = Object.freeze([eddsaRdfc2022, eddsaJcs2022, ecdsaRdfc2019, ecdsaJcs2019, ed25519Signature2020]);
