/**
 * VC-JOSE: credentials secured as a JWS compact serialization (W3C "Securing Verifiable
 * Credentials using JOSE and COSE", media type `application/vc+jwt`). The unsecured
 * credential is the JWT claims set; registered claims may sit beside it but MUST NOT
 * conflict with it. Verification reuses verify.ts's check list: only the `proof` and
 * `issuer` steps differ from Data Integrity.
 */
import {p256} from '@noble/curves/nist.js';
import {base64urlnopad} from '@scure/base';
import {compactVerify, importJWK} from 'jose';
import {VC_V2_CONTEXT} from './contexts/index.js';
import {parseJsonStrict} from './json.js';
import type {PublicKey} from './proof-suite.js';
import {type Check, type CheckCode, type CheckName, issuerIdOf, lookUpKey, runChecks, toVerificationResult,
  type VerificationResult, type VerifyPorts} from './verify.js';

/** The JWS algorithms Laurel signs and accepts; anything else (`none`, HS*, RS*, …) is refused. */
export const VC_JWT_ALGORITHMS = ['EdDSA', 'ES256'] as const;

/** A JWS algorithm Laurel accepts. */
export type VcJwtAlgorithm = typeof VC_JWT_ALGORITHMS[number];

/** The `typ` of a VC-JOSE credential (VC-JOSE-COSE, Securing with JOSE). */
export const VC_JWT_TYP = 'vc+jwt';

/**
 * Signs raw bytes for a JWS. `kid` is the full verification method id (a DID URL);
 * for ES256 `sign` must return the JOSE form r ‖ s (64 bytes, RFC 7518 §3.4), not DER.
 */
export interface JwsSigner {
  readonly kid: string;
  readonly alg: VcJwtAlgorithm;
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const utf8 = new TextEncoder();
const seconds = (ms: number) => Math.floor(ms / 1000);
const b64url = (bytes: Uint8Array) => base64urlnopad.encode(bytes);

/** The sole credentialSubject's id, if there is exactly one subject and it has one. */
function subjectIdOf(c: Record<string, unknown>): string | undefined {
  const s = c.credentialSubject;
  return isObject(s) && typeof s.id === 'string' ? s.id : undefined;
}

/**
 * Secures `credential` as a VC-JOSE JWT. The payload is the credential plus the
 * registered claims that restate it (iss, sub, jti, nbf, exp) and `iat` = `now`.
 * Throws (a programmer error) when the credential has no issuer id or already has a
 * proof, or the signer returns a signature of the wrong length.
 */
export async function signVcJwt(credential: Record<string, unknown>, signer: JwsSigner, now: Date): Promise<string> {
  const iss = issuerIdOf(credential);
  if(!iss) throw new TypeError('signVcJwt: the credential has no issuer id');
  if(credential.proof !== undefined) throw new TypeError('signVcJwt: secure the unsecured credential, not one that already carries a proof');
  if(!(VC_JWT_ALGORITHMS as readonly string[]).includes(signer.alg)) throw new TypeError(`signVcJwt: unsupported alg ${signer.alg}`);
  const header = {alg: signer.alg, typ: VC_JWT_TYP, cty: 'vc', kid: signer.kid};
  const claims: Record<string, unknown> = {iss};
  const sub = subjectIdOf(credential);
  if(sub !== undefined) claims.sub = sub;
  if(typeof credential.id === 'string') claims.jti = credential.id;
  if(typeof credential.validFrom === 'string') claims.nbf = seconds(Date.parse(credential.validFrom));
  if(typeof credential.validUntil === 'string') claims.exp = seconds(Date.parse(credential.validUntil));
  claims.iat = seconds(now.getTime());
  const payload = {...credential, ...claims};
  const signingInput = `${b64url(utf8.encode(JSON.stringify(header)))}.${b64url(utf8.encode(JSON.stringify(payload)))}`;
  const signature = await signer.sign(utf8.encode(signingInput));
  if(signature.length !== 64) throw new TypeError(`signVcJwt: a ${signer.alg} signature is 64 bytes, got ${signature.length}`);
  return `${signingInput}.${b64url(signature)}`;
}

const fail = (check: CheckName, code: CheckCode, message: string): Check => ({check, code, status: 'failed', message});
const skip = (check: CheckName, message: string): Check => ({check, code: 'CHECK_NOT_RUN', status: 'skipped', message});
const malformed = (message: string): [Check, Check] =>
  [fail('proof', 'MALFORMED_PROOF_ERROR', message), skip('issuer', 'The token is not one Laurel can check, so its key was not looked up.')];

/** Decodes one base64url JWS segment as strict JSON (no duplicate keys), or returns why not. */
function decodeJsonSegment(segment: string, what: string): {ok: true; value: unknown} | {ok: false; message: string} {
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(base64urlnopad.decode(segment));
  } catch {
    return {ok: false, message: `The token's ${what} is not valid base64url-encoded UTF-8.`};
  }
  const parsed = parseJsonStrict(text);
  if(!parsed.ok) return {ok: false, message: `The token's ${what} is not valid JSON: ${parsed.problem.message}`};
  if(!isObject(parsed.value)) return {ok: false, message: `The token's ${what} is not a JSON object.`};
  return {ok: true, value: parsed.value};
}

/** A result for a token that could not be decoded: no credential, so only the proof check says why. */
function undecodable(message: string, payloadProblem = false): VerificationResult {
  const checks: Check[] = [
    payloadProblem ? fail('structure', 'STRUCTURE_INVALID', message) : skip('structure', 'The token could not be decoded, so there is no credential to check.'),
    skip('contexts', 'The token could not be decoded.'),
    skip('schema', 'The token could not be decoded.'),
    fail('proof', 'MALFORMED_PROOF_ERROR', message),
  ];
  for(const name of ['issuer', 'domain', 'validity', 'status'] as CheckName[]) checks.push(skip(name, 'The token could not be decoded.'));
  return toVerificationResult(checks);
}

/**
 * Verifies a VC-JOSE credential (`application/vc+jwt`) with the same check list and
 * codes as verifyCredential. Never throws for a bad token.
 */
export async function verifyVcJwt(jwt: string, ports: VerifyPorts): Promise<VerificationResult> {
  try {
    if(typeof jwt !== 'string') return undecodable('The token is not a string.');
    const parts = jwt.trim().split('.');
    if(parts.length !== 3) {
      return undecodable(`A VC-JOSE credential is a JWS in compact form (three dot-separated parts); this token has ${parts.length}.`);
    }
    const header = decodeJsonSegment(parts[0], 'header');
    if(!header.ok) return undecodable(header.message);
    const payload = decodeJsonSegment(parts[1], 'payload');
    if(!payload.ok) return undecodable(payload.message, true);
    const token = parts.join('.');
    return await runChecks(payload.value, ports,
      c => checkJwtProofAndIssuer(token, header.value as Record<string, unknown>, c, ports));
  } catch(error) {
    // Every step is written not to throw; this is the last line of defence (STYLE habit 1).
    return undecodable(`The token could not be checked: ${(error as Error)?.message ?? String(error)}`);
  }
}

/**
 * Header parameters that carry or point at a key (RFC 7515 §4.1.2–4.1.6). Trusting
 * them lets the signer pick the key that verifies it, so they are refused outright.
 * `crit` is refused too: Laurel understands no JWS extensions (RFC 7515 §4.1.11).
 */
const REFUSED_HEADER_PARAMS = ['jwk', 'jku', 'x5u', 'x5c', 'crit'];

/** Checks the JOSE header and returns the algorithm and kid, or why the header is refused. */
function checkHeader(h: Record<string, unknown>): {ok: true; alg: VcJwtAlgorithm; kid: string} | {ok: false; message: string} {
  const alg = h.alg;
  if(typeof alg !== 'string' || !(VC_JWT_ALGORITHMS as readonly string[]).includes(alg)) {
    return {ok: false, message: `The token's algorithm ${JSON.stringify(alg)} is not accepted; Laurel accepts only ${VC_JWT_ALGORITHMS.join(' and ')} signatures.`};
  }
  const refused = REFUSED_HEADER_PARAMS.filter(p => p in h);
  if(refused.length) {
    return {ok: false, message: `The token's header carries ${refused.join(', ')}; Laurel never takes a key from the token itself, only from the issuer's DID document.`};
  }
  // RFC 7515 §4.1.9: `typ` is a media type; the "application/" prefix may be omitted and case does not matter.
  const typ = typeof h.typ === 'string' ? h.typ.toLowerCase().replace(/^application\//, '') : undefined;
  if(typ !== VC_JWT_TYP) return {ok: false, message: `The token's typ is ${JSON.stringify(h.typ)}, not ${VC_JWT_TYP}.`};
  if(h.cty !== undefined && (typeof h.cty !== 'string' || h.cty.toLowerCase().replace(/^application\//, '') !== 'vc')) {
    return {ok: false, message: `The token's cty is ${JSON.stringify(h.cty)}, not vc.`};
  }
  const kid = h.kid;
  if(typeof kid !== 'string' || kid.length === 0) return {ok: false, message: 'The token\'s header does not name its key (kid).'};
  // The kid is resolved as a DID URL through the injected resolver, never fetched as a URL.
  if(!kid.startsWith('did:') || !kid.includes('#')) {
    return {ok: false, message: `The token's kid ${JSON.stringify(kid)} is not a DID URL with a key fragment (did:…#…); Laurel does not fetch keys from URLs.`};
  }
  return {ok: true, alg: alg as VcJwtAlgorithm, kid};
}

/** Which key type each algorithm needs (RFC 8037 §3.1, RFC 7518 §3.4). */
const KEY_KIND_OF: Record<VcJwtAlgorithm, PublicKey['kind']> = {EdDSA: 'Ed25519', ES256: 'P-256'};

/** The `proof` and `issuer` checks for a VC-JOSE token whose payload is `c`. */
async function checkJwtProofAndIssuer(token: string, h: Record<string, unknown>, c: Record<string, unknown>,
  ports: VerifyPorts): Promise<[Check, Check]> {
  const header = checkHeader(h);
  if(!header.ok) return malformed(header.message);
  if(!Array.isArray(c['@context']) || c['@context'][0] !== VC_V2_CONTEXT) {
    return malformed('VC-JOSE secures VC 2.0 credentials only; this payload is not one.');
  }
  if(c.proof !== undefined) {
    // An embedded proof inside a JWT would be a second, unchecked signature; do not let it look checked.
    return malformed('The token\'s payload also carries an embedded proof; Laurel checks one securing mechanism per credential.');
  }
  const iat = c.iat;
  if(iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) {
    return malformed('The token\'s iat is not a NumericDate.');
  }
  // iat is the signer's claimed signing time, like proof.created: the key must have been valid then.
  const created = typeof iat === 'number' ? toIsoOrUndefined(iat * 1000) : undefined;
  const lookup = await lookUpKey(c, {verificationMethod: header.kid, created}, ports.resolveController);
  if(!lookup.publicKey) return [skip('proof', 'The signing key could not be found, so the signature was not checked.'), lookup.issuerCheck];
  const wanted = KEY_KIND_OF[header.alg];
  if(lookup.publicKey.kind !== wanted) {
    return [fail('proof', 'PROOF_VERIFICATION_ERROR', `A ${header.alg} signature cannot be made with a ${lookup.publicKey.kind} key.`), lookup.issuerCheck];
  }
  const signatureOk = await verifyJws(token, header.alg, lookup.publicKey);
  if(!signatureOk) {
    return [fail('proof', 'PROOF_VERIFICATION_ERROR', 'The signature does not match: the token was changed after signing, or another key signed it.'), lookup.issuerCheck];
  }
  const mismatch = claimsMismatch(c);
  if(mismatch) return [fail('proof', 'JWT_CLAIMS_MISMATCH', mismatch), lookup.issuerCheck];
  return [{check: 'proof', code: 'PROOF_VALID', status: 'passed', message: 'The signature matches: the credential has not been altered since it was signed.'},
    lookup.issuerCheck];
}

function toIsoOrUndefined(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Keys imported by jose, by algorithm and public key; bounded. Issuers sign many tokens with one key. */
const MAX_JWS_KEYS = 256;
const jwsKeys = new Map<string, ReturnType<typeof importJWK>>();

function importForJws(alg: VcJwtAlgorithm, key: PublicKey): ReturnType<typeof importJWK> {
  const bytes = key.kind === 'Ed25519' ? key.raw : key.compressed;
  let id = `${alg}:`;
  for(const b of bytes) id += b.toString(16).padStart(2, '0');
  let imported = jwsKeys.get(id);
  if(!imported) {
    let jwk: Record<string, string>;
    if(key.kind === 'Ed25519') {
      jwk = {kty: 'OKP', crv: 'Ed25519', x: b64url(key.raw)};
    } else {
      // A JWK needs both coordinates; decompressing also rejects points off the curve (throws here).
      const point = p256.Point.fromBytes(key.compressed).toBytes(false);
      jwk = {kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65))};
    }
    imported = importJWK(jwk, alg);
    imported.catch(() => jwsKeys.delete(id));
    if(jwsKeys.size >= MAX_JWS_KEYS) jwsKeys.delete(jwsKeys.keys().next().value as string);
    jwsKeys.set(id, imported);
  }
  return imported;
}

/** Verifies the JWS with jose, the algorithm pinned to the one the key allows. Never throws. */
async function verifyJws(token: string, alg: VcJwtAlgorithm, key: PublicKey): Promise<boolean> {
  try {
    await compactVerify(token, await importForJws(alg, key), {algorithms: [alg]});
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the registered claims conflict with the credential, or null when they agree
 * (VC-JOSE-COSE: JWT claims and data model properties MUST NOT conflict). Absent
 * claims are fine; a claim without its property is a conflict. Dates agree to the second.
 */
function claimsMismatch(c: Record<string, unknown>): string | null {
  const issuerId = issuerIdOf(c);
  if(c.iss !== undefined && c.iss !== issuerId) return `The token's iss (${String(c.iss)}) is not the credential's issuer (${issuerId}).`;
  if(c.sub !== undefined && c.sub !== subjectIdOf(c)) return `The token's sub (${String(c.sub)}) is not the credential subject's id.`;
  if(c.jti !== undefined && c.jti !== c.id) return `The token's jti (${String(c.jti)}) is not the credential's id (${String(c.id)}).`;
  for(const [claim, property] of [['nbf', 'validFrom'], ['exp', 'validUntil']] as const) {
    const value = c[claim], date = c[property];
    if(value === undefined) continue;
    const ms = typeof date === 'string' ? Date.parse(date) : NaN;
    if(typeof value !== 'number' || Number.isNaN(ms) || Math.floor(value) !== seconds(ms)) {
      return `The token's ${claim} (${String(value)}) does not match the credential's ${property} (${date === undefined ? 'absent' : String(date)}).`;
    }
  }
  return null;
}
