/**
 * The wire-to-model adapter (STYLE: sigstore's SignedEntity): untrusted JSON in,
 * a typed credential or a list of coded problems out. Never throws.
 */
import {VC_V1_CONTEXT, VC_V2_CONTEXT} from './contexts/index.js';
import {isDateTimeStamp} from './data-integrity.js';

/** One structural problem, pointing at the field. */
export interface StructureProblem {
  code: 'STRUCTURE_INVALID';
  path: string;
  message: string;
}

/** A credential whose envelope is well-formed (VC 2.0, or VC 1.1 for verification). */
export interface ParsedCredential {
  version: '2.0' | '1.1';
  document: Record<string, unknown>;
  id?: string;
  types: string[];
  issuerId: string;
  /** validFrom (VC 1.1: issuanceDate), if present. */
  validFrom?: string;
  /** validUntil (VC 1.1: expirationDate), if present. */
  validUntil?: string;
  subjects: Record<string, unknown>[];
  proofs: unknown[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses untrusted JSON into a ParsedCredential, or lists every structural problem. */
export function parseCredential(input: unknown): {ok: true; credential: ParsedCredential} | {ok: false; problems: StructureProblem[]} {
  const problems: StructureProblem[] = [];
  const problem = (path: string, message: string) => problems.push({code: 'STRUCTURE_INVALID', path, message});
  if(!isObject(input)) return {ok: false, problems: [{code: 'STRUCTURE_INVALID', path: '', message: 'the credential is not a JSON object'}]};
  const ctx = input['@context'];
  if(!Array.isArray(ctx) || ctx.length === 0) problem('@context', '@context must be a non-empty array');
  else if(ctx[0] !== VC_V2_CONTEXT && ctx[0] !== VC_V1_CONTEXT) problem('@context', `the first @context must be ${VC_V2_CONTEXT}`);
  const version = Array.isArray(ctx) && ctx[0] === VC_V1_CONTEXT ? '1.1' : '2.0';
  const types = typeof input.type === 'string' ? [input.type] : input.type;
  if(!Array.isArray(types) || !types.every(t => typeof t === 'string') || !types.includes('VerifiableCredential')) {
    problem('type', 'type must be a list of strings including VerifiableCredential');
  }
  const issuer = input.issuer;
  const issuerId = typeof issuer === 'string' ? issuer : isObject(issuer) && typeof issuer.id === 'string' ? issuer.id : undefined;
  if(!issuerId) problem('issuer', 'issuer must be a URL or an object with an id');
  const subject = input.credentialSubject;
  const subjects = isObject(subject) ? [subject] : Array.isArray(subject) && subject.length > 0 && subject.every(isObject) ? subject : null;
  if(!subjects) problem('credentialSubject', 'credentialSubject must be an object');
  const [fromKey, untilKey] = version === '1.1' ? ['issuanceDate', 'expirationDate'] : ['validFrom', 'validUntil'];
  const from = input[fromKey], until = input[untilKey];
  if(version === '1.1' ? !isDateTimeStamp(from) : from !== undefined && !isDateTimeStamp(from)) {
    problem(fromKey, `${fromKey} must be a dateTime with a time zone`);
  }
  if(until !== undefined && !isDateTimeStamp(until)) problem(untilKey, `${untilKey} must be a dateTime with a time zone`);
  if(input.id !== undefined && typeof input.id !== 'string') problem('id', 'id must be a URL string');
  const keyword = findForbiddenKeyword(input);
  if(keyword) problem(keyword.path, keyword.message);
  if(problems.length) return {ok: false, problems};
  return {ok: true, credential: {
    version, document: input, id: input.id as string | undefined, types: types as string[], issuerId: issuerId!,
    validFrom: from as string | undefined, validUntil: until as string | undefined, subjects: subjects!,
    proofs: Array.isArray(input.proof) ? input.proof : input.proof === undefined ? [] : [input.proof],
  }};
}

// JSON-LD keywords a credential may carry below the top-level @context: value
// objects for language and direction (VC 2.0 §11.1). Any other keyword either
// changes how terms are read (a nested @context, @vocab, @base) outside the
// contexts check, or adds JSON that maps to no data (@index, @nest, @reverse …):
// text a reader would see but the signature does not cover.
const VALUE_KEYWORDS = new Set(['@value', '@language', '@direction']);

/** Finds a JSON-LD keyword member or a null that is not allowed where it stands (iterative: deep input is fine). */
function findForbiddenKeyword(input: Record<string, unknown>): {path: string; message: string} | null {
  const stack: [unknown, string][] = [[input, '']];
  while(stack.length) {
    const [node, path] = stack.pop()!;
    // JSON-LD ignores null: a null member would be unsigned JSON under RDFC.
    if(node === null) return {path, message: `${path} is null: null values are not allowed in a credential`};
    if(Array.isArray(node)) {
      node.forEach((v, i) => stack.push([v, `${path}[${i}]`]));
      continue;
    }
    if(!isObject(node)) continue;
    for(const [key, value] of Object.entries(node)) {
      const at = path ? `${path}.${key}` : key;
      if(key.startsWith('@')) {
        // @context stands at the top level, and in a proof (JCS suites copy the document's context there).
        const proofs = Array.isArray(input.proof) ? input.proof : [input.proof];
        // @language and @direction belong to a value object (one with @value), and are strings there:
        // on a node object jsonld drops them without a word.
        const inValueObject = VALUE_KEYWORDS.has(key) && '@value' in node && (key === '@value' || typeof value === 'string');
        const allowed = (key === '@context' && (node === input || proofs.includes(node))) || inValueObject;
        if(!allowed) {
          return {path: at, message: key === '@context'
            ? `an embedded @context (${at}) is not allowed: vocabulary may only be declared at the top level`
            : `the JSON-LD keyword ${key} (${at}) is not allowed in a credential`};
        }
        continue;
      }
      stack.push([value, at]);
    }
  }
  return null;
}
