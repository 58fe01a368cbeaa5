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
  const validate = getValidator();
  if(validate(input)) return [];
  return (validate.errors ?? []).slice(0, 10).map(e => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}
