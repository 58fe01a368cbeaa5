/**
 * Structure check against the 1EdTech OB 3.0 AchievementCredential JSON Schema
 * (draft 2019-09), vendored in ./schemas with its source and sha256.
 */
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import achievementCredentialSchema from './schemas/ob_v3p0_achievementcredential_schema.json' with {type: 'json'};

let validator: ((data: unknown) => boolean) & {errors?: {instancePath: string; message?: string}[] | null} | undefined;

function getValidator() {
  if(!validator) {
    const Ajv = (Ajv2019 as any).default ?? Ajv2019;
    const ajv = new Ajv({strict: false, allErrors: true});
    ((addFormats as any).default ?? addFormats)(ajv);
    validator = ajv.compile(achievementCredentialSchema);
  }
  return validator!;
}

/** Validates an OB 3.0 credential against the schema; returns problem strings (empty when valid). */
export function validateAchievementCredentialSchema(credential: Record<string, unknown>): string[] {
  // The generated schema types `proof` as an array; VC 2.0 also allows one object (schemas/README.md).
  const input = credential.proof && !Array.isArray(credential.proof) ? {...credential, proof: [credential.proof]} : credential;
  const statuses = input.credentialStatus;
  // The schema allows one credentialStatus object; VC 2.0 also allows an array (Laurel
  // issues revocation + suspension entries; 1EdTech openbadges-specification issue #623
  // proposes the same for OB 3.1). Each item is validated in the object's place, i.e.
  // against the schema's CredentialStatus definition. One compiled validator serves every
  // run: the browser bundle precompiles exactly that one (server/src/pages/browser-bundle.ts).
  if(!Array.isArray(statuses) || statuses.length === 0) return problemsOf(input).map(format).slice(0, 10);
  const item = (i: number) => (p: Problem): Problem => ({...p, path: p.path.replace(/^\/credentialStatus(?=\/|$)/, `/credentialStatus/${i}`)});
  const problems = problemsOf({...input, credentialStatus: statuses[0]}).map(item(0));
  for(let i = 1; i < statuses.length; i++) {
    problems.push(...problemsOf({...input, credentialStatus: statuses[i]}).filter(p => /^\/credentialStatus(\/|$)/.test(p.path)).map(item(i)));
  }
  return problems.map(format).slice(0, 10);
}

interface Problem {
  path: string;
  message: string;
}

const format = (p: Problem) => `${p.path || '/'} ${p.message}`;

function problemsOf(document: Record<string, unknown>): Problem[] {
  const validate = getValidator();
  if(validate(document)) return [];
  return (validate.errors ?? []).map(e => ({path: e.instancePath, message: e.message ?? 'is invalid'}));
}
