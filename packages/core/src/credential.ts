/**
 * Builds unsigned OB 3.0 AchievementCredentials from Laurel's inputs (OB 3.0 §B.1.1).
 * Pure: ids, salts and timestamps are passed in.
 */
import {sha256} from '@noble/hashes/sha2.js';
import {bytesToHex} from '@noble/hashes/utils.js';
import {OB_CONTEXT, VC_V2_CONTEXT} from './contexts/index.js';
import type {Achievement, AchievementCredential, IdentityObject, Profile} from './model.js';

/** OB 3.0 IdentityHash: `sha256$` + hex(SHA-256(identity ‖ salt)), UTF-8 encoded. */
export function hashIdentity(identity: string, salt: string): string {
  return 'sha256$' + bytesToHex(sha256(new TextEncoder().encode(identity + salt)));
}

/** Normalizes an email address for hashing: trimmed and lower-cased, so verifiers can match it. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Who receives a credential. */
export interface Recipient {
  name: string;
  email?: string;
  did?: string;
}

/** Everything needed to build one credential. */
export interface CredentialInput {
  /** The credential's public URL, `https://<host>/c/<id>`. */
  id: string;
  issuer: Profile;
  achievement: Achievement;
  recipient: Recipient;
  /** Salt for the hashed email; required when an email is given. */
  salt?: string;
  validFrom: string;
  validUntil?: string;
  awardedDate?: string;
  evidence?: Record<string, unknown>[];
  results?: Record<string, unknown>[];
  /** Status entries (BitstringStatusListEntry), one per purpose. */
  credentialStatus?: Record<string, unknown>[];
}

/** Builds the unsigned AchievementCredential. */
export function buildAchievementCredential(input: CredentialInput): AchievementCredential {
  const identifier: IdentityObject[] = [];
  if(input.recipient.email !== undefined) {
    if(!input.salt) throw new TypeError('a salt is required to hash the recipient email');
    identifier.push({
      type: 'IdentityObject',
      identityHash: hashIdentity(normalizeEmail(input.recipient.email), input.salt),
      identityType: 'emailAddress',
      hashed: true,
      salt: input.salt,
    });
  }
  identifier.push({type: 'IdentityObject', identityHash: input.recipient.name, identityType: 'name', hashed: false});
  const subject: AchievementCredential['credentialSubject'] = {
    ...(input.recipient.did ? {id: input.recipient.did} : {}),
    type: ['AchievementSubject'],
    identifier,
    achievement: input.achievement,
    ...(input.results?.length ? {result: input.results} : {}),
  };
  return {
    '@context': [VC_V2_CONTEXT, OB_CONTEXT],
    id: input.id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: input.issuer,
    name: input.achievement.name,
    validFrom: input.validFrom,
    ...(input.validUntil ? {validUntil: input.validUntil} : {}),
    ...(input.awardedDate ? {awardedDate: input.awardedDate} : {}),
    credentialSubject: subject,
    ...(input.evidence?.length ? {evidence: input.evidence.map(e => ({type: ['Evidence'], ...e}))} : {}),
    ...(input.credentialStatus?.length ? {credentialStatus: input.credentialStatus} : {}),
  };
}
