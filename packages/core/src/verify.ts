/**
 * Credential verification: every check runs (or is marked skipped), each with a
 * stable code, and the function never throws for bad input (STYLE habit 1).
 * Check codes are public API; see docs/VERIFICATION.md.
 */
import type {Canonicalizer} from './canonize.js';
import {isAllowedContext, VC_V1_CONTEXT} from './contexts/index.js';
import type {DataIntegrityProof, ProofOutcome} from './data-integrity.js';
import {type ControllerResolver, findVerificationMethod, isAuthorizedFor, type VerificationMethod} from './did.js';
import {checkIssuerDomain, issuerDomainOf} from './lookalike.js';
import {parseCredential} from './parse.js';
import {eddsaRdfc2022, type ProofSuite, type PublicKey, publicKeyOf} from './proof-suite.js';

/** The suites used when the caller passes none. */
const DEFAULT_SUITES: readonly ProofSuite[] = [eddsaRdfc2022];
import {validateAchievementCredentialSchema} from './schema.js';

/** What a check concluded. */
export type CheckStatus = 'passed' | 'failed' | 'warning' | 'skipped';

/** The named checks, in the order they are reported. */
export type CheckName = 'structure' | 'contexts' | 'schema' | 'proof' | 'issuer' | 'domain' | 'validity' | 'status';

/** Every code a check can report. Passing checks report the `*_OK`-style code. */
export type CheckCode =
  | 'STRUCTURE_VALID' | 'STRUCTURE_INVALID'
  | 'CONTEXTS_ALLOWED' | 'CONTEXT_NOT_ALLOWED'
  | 'SCHEMA_VALID' | 'SCHEMA_INVALID' | 'SCHEMA_NOT_APPLICABLE'
  | 'PROOF_VALID' | 'PROOF_VERIFICATION_ERROR' | 'MALFORMED_PROOF_ERROR' | 'MISMATCHED_PROOF_PURPOSE_ERROR'
  | 'PROOF_TRANSFORMATION_ERROR' | 'PROOF_MISSING' | 'JWT_CLAIMS_MISMATCH'
  | 'ISSUER_VALID' | 'ISSUER_UNRESOLVED' | 'KEY_NOT_CONTROLLED_BY_ISSUER' | 'KEY_NOT_VALID_AT_PROOF_TIME'
  | 'ISSUER_DOMAIN_OK' | 'ISSUER_DOMAIN_LOOKALIKE' | 'ISSUER_DOMAIN_NOT_APPLICABLE'
  | 'VALIDITY_OK' | 'NOT_YET_VALID' | 'EXPIRED' | 'VALIDITY_INVALID'
  | 'STATUS_NONE' | 'STATUS_VALID' | 'STATUS_REVOKED' | 'STATUS_SUSPENDED' | 'STATUS_UNKNOWN'
  | 'STATUS_LIST_LENGTH_ERROR' | 'STATUS_RANGE_ERROR'
  // Presentations (presentation.ts): the holder's authentication proof and the embedded credentials.
  | 'INVALID_CHALLENGE_ERROR' | 'INVALID_DOMAIN_ERROR'
  | 'HOLDER_VALID' | 'HOLDER_UNRESOLVED' | 'KEY_NOT_CONTROLLED_BY_HOLDER'
  | 'CREDENTIALS_VERIFIED' | 'CREDENTIAL_NOT_VERIFIED' | 'CREDENTIALS_NONE'
  | 'CHECK_NOT_RUN';

/** One check's result. Presentations use the same shape with their own check names (presentation.ts). */
export interface Check<N extends string = CheckName> {
  check: N;
  code: CheckCode;
  status: CheckStatus;
  message: string;
}

/** The verification result (DESIGN.md §3). */
export interface VerificationResult {
  verified: boolean;
  checks: Check[];
  errors: Check[];
  warnings: Check[];
}

/** What verification may use from the outside world: all injected. */
export interface VerifyPorts {
  canonicalizer: Canonicalizer;
  resolveController: ControllerResolver;
  /** The clock: the validity window is checked against it. */
  now: () => Date;
  /** The proof suites to accept; default: eddsa-rdfc-2022 only. */
  suites?: readonly ProofSuite[];
  /** Status check (revocation / suspension): createBitstringStatusCheck in status-list.ts. */
  checkStatus?: (credential: Record<string, unknown>) => Promise<Omit<Check, 'check'>>;
}

const pass = (check: CheckName, code: CheckCode, message: string): Check => ({check, code, status: 'passed', message});
const fail = (check: CheckName, code: CheckCode, message: string): Check => ({check, code, status: 'failed', message});
const skip = (check: CheckName, message: string): Check => ({check, code: 'CHECK_NOT_RUN', status: 'skipped', message});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => Array.isArray(v) ? v : v === undefined ? [] : [v];

/** The id of a party given as a URL string or as an object with an `id` (issuer, holder). */
export function idOf(party: unknown): string | undefined {
  if(typeof party === 'string') return party;
  if(isObject(party) && typeof party.id === 'string') return party.id;
  return undefined;
}

/** The issuer id of a credential, whether `issuer` is a string or a Profile. */
export function issuerIdOf(credential: Record<string, unknown>): string | undefined {
  return idOf(credential.issuer);
}

function checkStructure(c: unknown): Check {
  const parsed = parseCredential(c);
  if(!parsed.ok) {
    const text = parsed.problems.map(p => p.message).join('; ');
    return fail('structure', 'STRUCTURE_INVALID', `The credential is not well-formed: ${text}.`);
  }
  return pass('structure', 'STRUCTURE_VALID', 'The credential is well-formed.');
}

function checkContexts(c: Record<string, unknown>): Check {
  const refused = asArray(c['@context']).filter(x => typeof x !== 'string' || !isAllowedContext(x));
  if(refused.length) {
    const shown = refused.map(x => typeof x === 'string' ? x : 'an inline context').join(', ');
    return fail('contexts', 'CONTEXT_NOT_ALLOWED', `The credential uses vocabulary Laurel does not know and will not fetch: ${shown}.`);
  }
  return pass('contexts', 'CONTEXTS_ALLOWED', 'The credential uses only known vocabularies.');
}

function checkSchema(c: Record<string, unknown>): Check {
  const types = asArray(c.type);
  if(!types.includes('OpenBadgeCredential') && !types.includes('AchievementCredential')) {
    return {check: 'schema', code: 'SCHEMA_NOT_APPLICABLE', status: 'skipped', message: 'Not an Open Badges credential; the OB 3.0 schema does not apply.'};
  }
  if(c['@context'] && asArray(c['@context'])[0] === VC_V1_CONTEXT) {
    return {check: 'schema', code: 'SCHEMA_NOT_APPLICABLE', status: 'skipped', message: 'A VC 1.1 credential; the OB 3.0 schema (VC 2.0) does not apply.'};
  }
  const problems = validateAchievementCredentialSchema(c);
  if(problems.length) return fail('schema', 'SCHEMA_INVALID', `The credential does not follow the Open Badges 3.0 schema: ${problems.join('; ')}.`);
  return pass('schema', 'SCHEMA_VALID', 'The credential follows the Open Badges 3.0 schema.');
}

/** The verification method a proof names, its decoded key, and the issuer (or holder) check. */
export interface KeyLookup<N extends string = 'issuer'> {
  vm?: VerificationMethod;
  publicKey?: PublicKey;
  issuerCheck: Check<N>;
}

/** Whose key a proof must be: the credential's issuer (default) or a presentation's holder. */
export interface KeyLookupOptions {
  /** The verification relationship the key must be listed under; default `assertionMethod`. */
  purpose?: string;
  /** The DID that must control the key; default the credential's issuer. */
  controller?: string;
  /** `holder` reports the holder check and codes (HOLDER_VALID, HOLDER_UNRESOLVED, KEY_NOT_CONTROLLED_BY_HOLDER). */
  role?: 'issuer' | 'holder';
}

/**
 * Resolves the proof's key and decides whether it is the issuer's, valid at proof time.
 * VC-JOSE passes `{verificationMethod: kid, created: iat}`. Presentations pass
 * `{purpose: 'authentication', controller: holder, role: 'holder'}`.
 */
export async function lookUpKey(c: Record<string, unknown>, proof: Pick<DataIntegrityProof, 'verificationMethod' | 'created'>,
  resolve: ControllerResolver): Promise<KeyLookup>;
export async function lookUpKey(c: Record<string, unknown>, proof: Pick<DataIntegrityProof, 'verificationMethod' | 'created'>,
  resolve: ControllerResolver, options: KeyLookupOptions & {role: 'holder'}): Promise<KeyLookup<'holder'>>;
export async function lookUpKey(c: Record<string, unknown>, proof: Pick<DataIntegrityProof, 'verificationMethod' | 'created'>,
  resolve: ControllerResolver, options?: KeyLookupOptions): Promise<KeyLookup<'issuer' | 'holder'>>;
export async function lookUpKey(c: Record<string, unknown>, proof: Pick<DataIntegrityProof, 'verificationMethod' | 'created'>,
  resolve: ControllerResolver, options: KeyLookupOptions = {}): Promise<KeyLookup<'issuer' | 'holder'>> {
  const holder = options.role === 'holder';
  const purpose = options.purpose ?? 'assertionMethod';
  const name: 'issuer' | 'holder' = holder ? 'holder' : 'issuer';
  const who = holder ? 'holder' : 'issuer';
  const UNRESOLVED: CheckCode = holder ? 'HOLDER_UNRESOLVED' : 'ISSUER_UNRESOLVED';
  const NOT_CONTROLLED: CheckCode = holder ? 'KEY_NOT_CONTROLLED_BY_HOLDER' : 'KEY_NOT_CONTROLLED_BY_ISSUER';
  const failed = (code: CheckCode, message: string): Check<'issuer' | 'holder'> => ({check: name, code, status: 'failed', message});
  const issuerId = options.controller ?? issuerIdOf(c)!;
  const vmId = proof.verificationMethod;
  if(typeof vmId !== 'string' || vmId.length === 0) {
    return {issuerCheck: failed(UNRESOLVED, 'The proof does not name the key that made it.')};
  }
  const controllerId = vmId.split('#')[0];
  let resolution;
  try {
    resolution = await resolve(controllerId);
  } catch(error) {
    resolution = {ok: false as const, message: (error as Error)?.message ?? String(error)};
  }
  if(!resolution.ok) {
    return {issuerCheck: failed(UNRESOLVED, `The ${who}'s keys could not be looked up (${controllerId}): ${resolution.message}`)};
  }
  const doc = resolution.document;
  const vm = isObject(doc) ? findVerificationMethod(doc, vmId) : null;
  if(!vm) return {issuerCheck: failed(UNRESOLVED, `The key ${vmId} is not published by ${controllerId}.`)};
  const publicKey = publicKeyOf(vm);
  if(!publicKey) return {vm, issuerCheck: failed(UNRESOLVED, `The key ${vmId} is not an Ed25519 or P-256 key Laurel can read.`)};
  // The issuer must be the key's controller (VC-DI §4.2 step: controller of the
  // verification method), and the document must be the issuer's own.
  if(doc.id !== controllerId || vm.controller !== issuerId || doc.id !== issuerId) {
    return {vm, publicKey, issuerCheck: failed(NOT_CONTROLLED, `The signing key belongs to ${vm.controller ?? controllerId}, not to the ${who} ${issuerId}.`)};
  }
  if(!isAuthorizedFor(doc, vmId, purpose)) {
    const what = holder ? `to authenticate as the holder (${purpose})` : `to issue credentials (${purpose})`;
    return {vm, publicKey, issuerCheck: failed(NOT_CONTROLLED, `The ${who} has not authorised the key ${vmId} ${what}.`)};
  }
  const created = typeof proof.created === 'string' ? Date.parse(proof.created) : NaN;
  const bound = (s: unknown) => typeof s === 'string' ? Date.parse(s) : NaN;
  const from = bound(vm.validFrom), until = Math.min(
    Number.isNaN(bound(vm.validUntil)) ? Infinity : bound(vm.validUntil),
    Number.isNaN(bound(vm.revoked)) ? Infinity : bound(vm.revoked));
  if(Number.isNaN(created) && (!Number.isNaN(from) || until !== Infinity)) {
    return {vm, publicKey, issuerCheck: failed('KEY_NOT_VALID_AT_PROOF_TIME', 'The proof has no creation time, so the key\'s validity cannot be checked.')};
  }
  if(created < from || created >= until) {
    return {vm, publicKey, issuerCheck: failed('KEY_NOT_VALID_AT_PROOF_TIME', `The key ${vmId} was not valid when the proof was made (${proof.created}).`)};
  }
  return {vm, publicKey, issuerCheck: {check: name, code: holder ? 'HOLDER_VALID' : 'ISSUER_VALID', status: 'passed',
    message: `Signed with a key that belongs to the ${who} ${issuerId} and was valid at the time.`}};
}

async function checkProofAndIssuer(c: Record<string, unknown>, ports: VerifyPorts): Promise<[Check, Check]> {
  const proofs = asArray(c.proof);
  if(proofs.length === 0) return [fail('proof', 'PROOF_MISSING', 'The credential carries no signature.'), skip('issuer', 'No signature to attribute to the issuer.')];
  // Laurel verifies every signature proof in a proof set; each must pass.
  let issuerCheck: Check | undefined;
  for(const candidate of proofs) {
    if(!isObject(candidate)) return [fail('proof', 'MALFORMED_PROOF_ERROR', 'A proof is not an object.'), skip('issuer', 'The proof is malformed.')];
    const proof = candidate as DataIntegrityProof;
    const suite = (ports.suites ?? DEFAULT_SUITES).find(x => x.matches(proof));
    if(!suite) {
      return [fail('proof', 'MALFORMED_PROOF_ERROR', `Unsupported proof: ${String(proof.type)} / ${String(proof.cryptosuite)}.`), skip('issuer', 'The proof is not one Laurel can check.')];
    }
    if(proof.proofPurpose !== 'assertionMethod') {
      return [fail('proof', 'MISMATCHED_PROOF_PURPOSE_ERROR', `The proof purpose is ${String(proof.proofPurpose)}, not assertionMethod.`), skip('issuer', 'The proof purpose is wrong.')];
    }
    const lookup = await lookUpKey(c, proof, ports.resolveController);
    issuerCheck = lookup.issuerCheck;
    if(!lookup.publicKey) return [skip('proof', 'The signing key could not be found, so the signature was not checked.'), lookup.issuerCheck];
    let outcome: ProofOutcome;
    try {
      outcome = await suite.verify(c, proof, lookup.publicKey, ports.canonicalizer);
    } catch(error) {
      // A suite must not throw; if one does, the proof is not accepted.
      outcome = {verified: false, code: 'PROOF_VERIFICATION_ERROR', message: `The proof could not be checked: ${(error as Error)?.message}`};
    }
    if(!outcome.verified) return [fail('proof', outcome.code, outcome.message), issuerCheck];
    if(issuerCheck.status !== 'passed') return [pass('proof', 'PROOF_VALID', 'The signature matches: the credential has not been altered since it was signed.'), issuerCheck];
  }
  return [pass('proof', 'PROOF_VALID', 'The signature matches: the credential has not been altered since it was signed.'), issuerCheck!];
}

/**
 * The issuer's domain as a person will read it (a did:web host), with a warning
 * when it mixes scripts or imitates another domain (UTS #39; lookalike.ts).
 */
function checkDomain(c: Record<string, unknown>): Check {
  const id = issuerIdOf(c);
  const host = id ? issuerDomainOf(id) : null;
  if(!host) {
    return {check: 'domain', code: 'ISSUER_DOMAIN_NOT_APPLICABLE', status: 'skipped', message: 'The issuer is not identified by a web domain.'};
  }
  const r = checkIssuerDomain(host);
  return {check: 'domain', code: r.code, status: r.status, message: r.message};
}

function checkValidity(c: Record<string, unknown>, now: Date): Check {
  const v1 = asArray(c['@context'])[0] === VC_V1_CONTEXT;
  const fromRaw = v1 ? c.issuanceDate : c.validFrom;
  const untilRaw = v1 ? c.expirationDate : c.validUntil;
  const from = typeof fromRaw === 'string' ? Date.parse(fromRaw) : undefined;
  const until = typeof untilRaw === 'string' ? Date.parse(untilRaw) : undefined;
  if(Number.isNaN(from) || Number.isNaN(until)) return fail('validity', 'VALIDITY_INVALID', 'The validity dates cannot be read.');
  const t = now.getTime();
  if(from !== undefined && t < from) return fail('validity', 'NOT_YET_VALID', `Not valid until ${fromRaw}.`);
  if(until !== undefined && t > until) return fail('validity', 'EXPIRED', `Expired on ${untilRaw}.`);
  return pass('validity', 'VALIDITY_OK', until !== undefined ? `Valid until ${untilRaw}.` : 'Valid, with no expiry date.');
}

async function checkStatus(c: Record<string, unknown>, ports: VerifyPorts): Promise<Check> {
  if(c.credentialStatus === undefined) return {check: 'status', code: 'STATUS_NONE', status: 'skipped', message: 'The issuer publishes no revocation status for this credential.'};
  if(!ports.checkStatus) return {check: 'status', code: 'STATUS_UNKNOWN', status: 'warning', message: 'Signature valid; revocation status could not be checked.'};
  try {
    return {check: 'status', ...await ports.checkStatus(c)};
  } catch(error) {
    return {check: 'status', code: 'STATUS_UNKNOWN', status: 'warning', message: `Signature valid; revocation status could not be checked (${(error as Error)?.message}).`};
  }
}

/** Verifies a credential. Never throws for an invalid credential: every check is reported. */
export async function verifyCredential(credential: unknown, ports: VerifyPorts): Promise<VerificationResult> {
  return runChecks(credential, ports, c => checkProofAndIssuer(c, ports));
}

/** The `proof` and `issuer` checks of one securing mechanism (embedded Data Integrity proofs, VC-JOSE). */
export type ProofAndIssuerCheck = (credential: Record<string, unknown>) => Promise<[Check, Check]>;

/** Runs every check on `credential`, with `proofAndIssuer` as the securing mechanism's step. Never throws. */
export async function runChecks(credential: unknown, ports: VerifyPorts, proofAndIssuer: ProofAndIssuerCheck): Promise<VerificationResult> {
  const checks: Check[] = [];
  const structure = checkStructure(credential);
  checks.push(structure);
  if(structure.status === 'failed' && !isObject(credential)) {
    for(const name of ['contexts', 'schema', 'proof', 'issuer', 'domain', 'validity', 'status'] as CheckName[]) {
      checks.push(skip(name, 'The input is not a credential.'));
    }
    return toVerificationResult(checks);
  }
  const c = credential as Record<string, unknown>;
  const contexts = checkContexts(c);
  checks.push(contexts);
  checks.push(checkSchema(c));
  if(contexts.status === 'failed' || structure.status === 'failed') {
    // Never canonicalize with unknown contexts; a malformed credential cannot be attributed.
    checks.push(skip('proof', 'The signature was not checked because the credential is malformed or uses unknown vocabulary.'));
    checks.push(skip('issuer', 'The issuer was not checked because the signature was not.'));
  } else {
    checks.push(...await proofAndIssuer(c));
  }
  checks.push(checkDomain(c));
  checks.push(structure.status === 'failed' ? skip('validity', 'Dates cannot be read from a malformed credential.') : checkValidity(c, ports.now()));
  checks.push(await checkStatus(c, ports));
  return toVerificationResult(checks);
}

/** The result for a full check list: verified only when nothing failed and the proof passed. */
export function toVerificationResult(checks: Check[]): VerificationResult {
  const errors = checks.filter(x => x.status === 'failed');
  const warnings = checks.filter(x => x.status === 'warning');
  const proofPassed = checks.some(x => x.check === 'proof' && x.status === 'passed');
  return {verified: errors.length === 0 && proofPassed, checks, errors, warnings};
}
