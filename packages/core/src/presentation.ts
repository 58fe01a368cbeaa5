/**
 * Verifiable presentations (VC Data Model 2.0 §4.13; VC-API `POST /presentations/verify`):
 * a holder wraps credentials and signs the whole with an `authentication` proof bound to a
 * verifier's `challenge` (and optionally `domain`). Every presentation check runs (or is
 * marked skipped), each embedded credential is verified with verifyCredential (or
 * verifyVcJwt for an enveloped `application/vc+jwt` credential), and the function never
 * throws (STYLE habit 1). Codes: docs/VERIFICATION.md, "Presentations".
 */
import type {Canonicalizer} from './canonize.js';
import {isAllowedContext, VC_V1_CONTEXT, VC_V2_CONTEXT} from './contexts/index.js';
import {createEddsaRdfcProof, type DataIntegrityProof, type ProofOutcome} from './data-integrity.js';
import {eddsaRdfc2022} from './proof-suite.js';
import type {Signer} from './signer.js';
import {verifyVcJwt} from './vc-jose.js';
import {type Check, type CheckCode, idOf, lookUpKey, verifyCredential, type VerificationResult, type VerifyPorts} from './verify.js';

/** The presentation's own checks, in the order they are reported. */
export type PresentationCheckName = 'structure' | 'contexts' | 'proof' | 'holder' | 'credentials';

/** One presentation check's result. */
export type PresentationCheck = Check<PresentationCheckName>;

/** A failed or warning check of an embedded credential, with the credential's index in `credentials`. */
export type EmbeddedCredentialCheck = Check & {credential: number};

/** The result of verifying a presentation. */
export interface PresentationResult {
  /** True only when no presentation check failed, the proof passed, and every credential verified. */
  verified: boolean;
  presentation: {checks: PresentationCheck[]};
  /** One result per embedded credential, in order. */
  credentials: VerificationResult[];
  /** The presentation's failed checks, then every credential's, tagged with its index. */
  errors: (PresentationCheck | EmbeddedCredentialCheck)[];
  warnings: (PresentationCheck | EmbeddedCredentialCheck)[];
}

/** What the verifier expects the holder's proof to be bound to. */
export interface PresentationOptions {
  challenge?: string;
  domain?: string;
}

/** The media type prefix of an enveloped VC-JOSE credential's `id` (VC 2.0 §4.13.1). */
export const VC_JWT_DATA_URL_PREFIX = 'data:application/vc+jwt,';

const pass = (check: PresentationCheckName, code: CheckCode, message: string): PresentationCheck => ({check, code, status: 'passed', message});
const fail = (check: PresentationCheckName, code: CheckCode, message: string): PresentationCheck => ({check, code, status: 'failed', message});
const skip = (check: PresentationCheckName, message: string): PresentationCheck => ({check, code: 'CHECK_NOT_RUN', status: 'skipped', message});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => Array.isArray(v) ? v : v === undefined ? [] : [v];

/** The holder's id, whether `holder` is a string or an object with an `id`. */
export function holderIdOf(vp: Record<string, unknown>): string | undefined {
  return idOf(vp.holder);
}

function checkStructure(vp: unknown): PresentationCheck {
  if(!isObject(vp)) return fail('structure', 'STRUCTURE_INVALID', 'The presentation is not a JSON object.');
  const problems: string[] = [];
  const contexts = vp['@context'];
  if(!Array.isArray(contexts) || contexts.length === 0) problems.push('@context must be a non-empty array');
  else if(contexts[0] !== VC_V2_CONTEXT && contexts[0] !== VC_V1_CONTEXT) problems.push(`the first @context must be ${VC_V2_CONTEXT} (or the VC 1.1 context)`);
  const types = asArray(vp.type);
  if(!types.includes('VerifiablePresentation')) problems.push('type must include VerifiablePresentation');
  if(types.some(t => typeof t !== 'string')) problems.push('every type must be a string');
  if(vp.id !== undefined && typeof vp.id !== 'string') problems.push('id must be a URL');
  if(vp.holder !== undefined && holderIdOf(vp) === undefined) problems.push('holder must be a URL or an object with an id');
  const vcs = vp.verifiableCredential;
  if(vcs !== undefined && !(isObject(vcs) || (Array.isArray(vcs) && vcs.every(isObject)))) {
    problems.push('verifiableCredential must be a credential object or an array of them');
  }
  if(problems.length) return fail('structure', 'STRUCTURE_INVALID', `The presentation is not well-formed: ${problems.join('; ')}.`);
  return pass('structure', 'STRUCTURE_VALID', 'The presentation is well-formed.');
}

function checkContexts(vp: Record<string, unknown>): PresentationCheck {
  const refused = asArray(vp['@context']).filter(x => typeof x !== 'string' || !isAllowedContext(x));
  if(refused.length) {
    const shown = refused.map(x => typeof x === 'string' ? x : 'an inline context').join(', ');
    return fail('contexts', 'CONTEXT_NOT_ALLOWED', `The presentation uses vocabulary Laurel does not know and will not fetch: ${shown}.`);
  }
  return pass('contexts', 'CONTEXTS_ALLOWED', 'The presentation uses only known vocabularies.');
}

/** The proof's domain matches when it equals the expected one (or, as an array, contains it). */
function domainMatches(actual: unknown, expected: string): boolean {
  return Array.isArray(actual) ? actual.includes(expected) : actual === expected;
}

async function checkProofAndHolder(vp: Record<string, unknown>, options: PresentationOptions,
  ports: VerifyPorts): Promise<[PresentationCheck, PresentationCheck]> {
  const proofs = asArray(vp.proof);
  if(proofs.length === 0) return [fail('proof', 'PROOF_MISSING', 'The presentation carries no signature from its holder.'), skip('holder', 'No signature to attribute to the holder.')];
  const holderId = holderIdOf(vp);
  let holderCheck: PresentationCheck | undefined;
  // Every proof in a proof set must pass, as for credentials.
  for(const candidate of proofs) {
    if(!isObject(candidate)) return [fail('proof', 'MALFORMED_PROOF_ERROR', 'A proof is not an object.'), skip('holder', 'The proof is malformed.')];
    const proof = candidate as DataIntegrityProof;
    const suite = (ports.suites ?? [eddsaRdfc2022]).find(x => x.matches(proof));
    if(!suite) {
      return [fail('proof', 'MALFORMED_PROOF_ERROR', `Unsupported proof: ${String(proof.type)} / ${String(proof.cryptosuite)}.`), skip('holder', 'The proof is not one Laurel can check.')];
    }
    if(proof.proofPurpose !== 'authentication') {
      return [fail('proof', 'MISMATCHED_PROOF_PURPOSE_ERROR', `The proof purpose is ${String(proof.proofPurpose)}, not authentication.`), skip('holder', 'The proof purpose is wrong.')];
    }
    if(options.challenge !== undefined && proof.challenge !== options.challenge) {
      const message = proof.challenge === undefined
        ? 'The proof carries no challenge, so it may be a replay of an old presentation.'
        : 'The proof was made for another challenge: it may be a replay of an old presentation.';
      return [fail('proof', 'INVALID_CHALLENGE_ERROR', message), skip('holder', 'The proof is not bound to this request.')];
    }
    if(options.domain !== undefined && !domainMatches(proof.domain, options.domain)) {
      const message = proof.domain === undefined
        ? `The proof carries no domain; expected ${options.domain}.`
        : `The proof was made for the domain ${JSON.stringify(proof.domain)}, not ${options.domain}.`;
      return [fail('proof', 'INVALID_DOMAIN_ERROR', message), skip('holder', 'The proof is not bound to this verifier.')];
    }
    if(holderId === undefined) {
      return [skip('proof', 'The presentation names no holder, so the signature cannot be attributed.'),
        fail('holder', 'KEY_NOT_CONTROLLED_BY_HOLDER', 'The presentation names no holder, so Laurel cannot tell whose signature it is.')];
    }
    const lookup = await lookUpKey(vp, proof, ports.resolveController, {purpose: 'authentication', controller: holderId, role: 'holder'});
    holderCheck = lookup.issuerCheck;
    if(!lookup.publicKey) return [skip('proof', 'The signing key could not be found, so the signature was not checked.'), holderCheck];
    let outcome: ProofOutcome;
    try {
      outcome = await suite.verify(vp, proof, lookup.publicKey, ports.canonicalizer);
    } catch(error) {
      outcome = {verified: false, code: 'PROOF_VERIFICATION_ERROR', message: `The proof could not be checked: ${(error as Error)?.message}`};
    }
    if(!outcome.verified) return [fail('proof', outcome.code, outcome.message), holderCheck];
    if(holderCheck.status !== 'passed') break;
  }
  return [pass('proof', 'PROOF_VALID', 'The holder\'s signature matches: the presentation has not been altered since it was signed.'), holderCheck!];
}

/** Verifies one embedded credential: enveloped vc+jwt with verifyVcJwt, anything else with verifyCredential. */
async function verifyEmbedded(item: unknown, ports: VerifyPorts): Promise<VerificationResult> {
  if(isObject(item) && asArray(item.type).includes('EnvelopedVerifiableCredential')) {
    const id = item.id;
    const jwt = typeof id === 'string' && id.startsWith(VC_JWT_DATA_URL_PREFIX) ? id.slice(VC_JWT_DATA_URL_PREFIX.length) : '';
    // verifyVcJwt reports a missing or unreadable token as MALFORMED_PROOF_ERROR.
    return verifyVcJwt(jwt, ports);
  }
  return verifyCredential(item, ports);
}

function checkCredentials(results: VerificationResult[]): PresentationCheck {
  if(results.length === 0) return {check: 'credentials', code: 'CREDENTIALS_NONE', status: 'skipped', message: 'The presentation carries no credentials.'};
  const bad = results.flatMap((r, i) => r.verified ? [] : [`#${i}${r.errors[0] ? ` (${r.errors[0].code})` : ''}`]);
  if(bad.length) return fail('credentials', 'CREDENTIAL_NOT_VERIFIED', `Not every credential in the presentation verifies: ${bad.join(', ')}.`);
  return pass('credentials', 'CREDENTIALS_VERIFIED', `Every credential in the presentation verifies (${results.length}).`);
}

function toResult(checks: PresentationCheck[], credentials: VerificationResult[]): PresentationResult {
  const tagged = (status: 'failed' | 'warning') => credentials.flatMap((r, i) =>
    r.checks.filter(c => c.status === status).map(c => ({...c, credential: i})));
  const errors = [...checks.filter(c => c.status === 'failed'), ...tagged('failed')];
  const warnings = [...checks.filter(c => c.status === 'warning'), ...tagged('warning')];
  const proofPassed = checks.some(c => c.check === 'proof' && c.status === 'passed');
  const verified = proofPassed && !checks.some(c => c.status === 'failed') && credentials.every(r => r.verified);
  return {verified, presentation: {checks}, credentials, errors, warnings};
}

/**
 * Verifies a presentation: its structure and vocabulary, the holder's `authentication`
 * proof (bound to `options.challenge` / `options.domain` when given, made with a key the
 * holder lists under `authentication`), and every embedded credential. Never throws.
 */
export async function verifyPresentation(vp: unknown, options: PresentationOptions, ports: VerifyPorts): Promise<PresentationResult> {
  try {
    const opts: PresentationOptions = isObject(options) ? options : {};
    const checks: PresentationCheck[] = [];
    const structure = checkStructure(vp);
    checks.push(structure);
    if(!isObject(vp)) {
      for(const name of ['contexts', 'proof', 'holder', 'credentials'] as PresentationCheckName[]) checks.push(skip(name, 'The input is not a presentation.'));
      return toResult(checks, []);
    }
    const contexts = checkContexts(vp);
    checks.push(contexts);
    if(structure.status === 'failed' || contexts.status === 'failed') {
      checks.push(skip('proof', 'The signature was not checked because the presentation is malformed or uses unknown vocabulary.'));
      checks.push(skip('holder', 'The holder was not checked because the signature was not.'));
    } else {
      checks.push(...await checkProofAndHolder(vp, opts, ports));
    }
    const items = structure.status === 'failed' ? [] : asArray(vp.verifiableCredential);
    const credentials: VerificationResult[] = [];
    for(const item of items) credentials.push(await verifyEmbedded(item, ports));
    checks.push(structure.status === 'failed' ? skip('credentials', 'The credentials of a malformed presentation were not checked.') : checkCredentials(credentials));
    return toResult(checks, credentials);
  } catch(error) {
    // Every step is written not to throw; this is the last line of defence.
    const message = `The presentation could not be checked: ${(error as Error)?.message ?? String(error)}`;
    return toResult([fail('structure', 'STRUCTURE_INVALID', message), skip('contexts', message), skip('proof', message),
      skip('holder', message), skip('credentials', message)], []);
  }
}

/** Options for {@link signPresentation}. `created` is passed in: the core reads no clock. */
export interface SignPresentationOptions {
  created: string;
  challenge?: string;
  domain?: string;
}

/**
 * Returns a new presentation: `vp` plus the holder's eddsa-rdfc-2022 `authentication`
 * proof, bound to the verifier's challenge and domain. The signer's id is the
 * verification method (for a did:key holder, `did:key:z…#z…`).
 */
export async function signPresentation<T extends Record<string, unknown>>(vp: T, signer: Signer, options: SignPresentationOptions,
  canonicalizer: Canonicalizer): Promise<T & {proof: DataIntegrityProof}> {
  const proof = await createEddsaRdfcProof(vp, signer, {created: options.created, proofPurpose: 'authentication',
    ...(options.challenge !== undefined ? {challenge: options.challenge} : {}),
    ...(options.domain !== undefined ? {domain: options.domain} : {})}, canonicalizer);
  return {...vp, proof};
}
