/**
 * A credential's standing in one line, from a verification result: what the
 * credential page, the /verify page, the browser verifier and the CLI all show
 * above the check list (Valid, Revoked, Suspended, Expired on …).
 */
import type {VerificationResult} from './verify.js';

/** The states a verified-or-not credential can be in, most serious first. */
export type StandingState = 'invalid' | 'revoked' | 'suspended' | 'expired' | 'not-yet-valid' | 'status-unknown' | 'valid';

/** The one-line standing: a state, a short label, and a sentence. */
export interface Standing {
  state: StandingState;
  label: string;
  message: string;
}

/**
 * The standing of a result. A failed signature or issuer check is `invalid` whatever
 * else holds; a revocation wins over a suspension and over expiry. A status list that
 * could not be read is never shown as a plain pass.
 */
export function standingOf(result: VerificationResult): Standing {
  const check = (name: string) => result.checks.find(c => c.check === name);
  const status = check('status'), validity = check('validity');
  const broken = result.errors.some(c => c.check !== 'status' && c.check !== 'validity');
  if(broken || !result.checks.some(c => c.check === 'proof' && c.status === 'passed')) {
    return {state: 'invalid', label: 'Not verified', message: 'This credential could not be verified: see the failed checks below.'};
  }
  if(status?.code === 'STATUS_REVOKED') return {state: 'revoked', label: 'Revoked', message: status.message};
  if(status?.code === 'STATUS_SUSPENDED') return {state: 'suspended', label: 'Suspended', message: status.message};
  if(validity?.code === 'EXPIRED') return {state: 'expired', label: 'Expired', message: validity.message};
  if(validity?.code === 'NOT_YET_VALID') return {state: 'not-yet-valid', label: 'Not yet valid', message: validity.message};
  if(result.errors.length) return {state: 'invalid', label: 'Not verified', message: result.errors.map(e => e.message).join(' ')};
  if(status?.status === 'warning') {
    return {state: 'status-unknown', label: 'Valid, status unknown', message: 'Signature valid; revocation status could not be checked.'};
  }
  return {state: 'valid', label: 'Valid', message: validity?.status === 'passed' ? validity.message : 'The credential is genuine and in force.'};
}
