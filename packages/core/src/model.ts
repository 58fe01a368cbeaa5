/**
 * Open Badges 3.0 / VC 2.0 model types (OB 3.0 §B data models). Only the fields
 * Laurel reads are typed; every other field passes through untouched.
 */
import type {DataIntegrityProof} from './data-integrity.js';

/** OB 3.0 §B.1.1 AchievementType vocabulary (plus `ext:` extensions). */
export const ACHIEVEMENT_TYPES = [
  'Achievement', 'ApprenticeshipCertificate', 'Assessment', 'Assignment', 'AssociateDegree', 'Award', 'Badge',
  'BachelorDegree', 'Certificate', 'CertificateOfCompletion', 'Certification', 'CommunityService', 'Competency',
  'Course', 'CoCurricular', 'Degree', 'Diploma', 'DoctoralDegree', 'Fieldwork', 'GeneralEducationDevelopment',
  'JourneymanCertificate', 'LearningProgram', 'License', 'Membership', 'ProfessionalDoctorate',
  'QualityAssuranceCredential', 'MasterCertificate', 'MasterDegree', 'MicroCredential', 'ResearchDoctorate',
  'SecondarySchoolDiploma',
] as const;
/** One value of the OB 3.0 AchievementType vocabulary. */
export type AchievementType = typeof ACHIEVEMENT_TYPES[number];

/** OB 3.0 Alignment: a link to a skills framework entry. */
export interface Alignment {
  type: ['Alignment'];
  targetName: string;
  targetUrl: string;
  targetDescription?: string;
  targetFramework?: string;
  targetCode?: string;
  targetType?: string;
}

/** OB 3.0 Image. */
export interface Image {
  id: string;
  type: 'Image';
  caption?: string;
}

/** OB 3.0 Profile: the issuer. */
export interface Profile {
  id: string;
  type: ['Profile'];
  name: string;
  url?: string;
  email?: string;
  image?: Image;
  description?: string;
  [k: string]: unknown;
}

/** OB 3.0 Achievement. */
export interface Achievement {
  id: string;
  type: ['Achievement'];
  name: string;
  description: string;
  criteria: {id?: string; narrative?: string};
  achievementType?: string;
  image?: Image;
  alignment?: Alignment[];
  tag?: string[];
  creditsAvailable?: number;
  creator?: Profile;
  [k: string]: unknown;
}

/** OB 3.0 IdentityObject: how the recipient is identified. */
export interface IdentityObject {
  type: 'IdentityObject';
  identityHash: string;
  identityType: string;
  hashed: boolean;
  salt?: string;
}

/** OB 3.0 AchievementSubject. */
export interface AchievementSubject {
  id?: string;
  type: ['AchievementSubject'];
  achievement: Achievement;
  identifier?: IdentityObject[];
  result?: unknown[];
  [k: string]: unknown;
}

/** OB 3.0 AchievementCredential (a.k.a. OpenBadgeCredential). */
export interface AchievementCredential {
  '@context': string[];
  id: string;
  type: string[];
  issuer: Profile;
  name?: string;
  description?: string;
  validFrom: string;
  validUntil?: string;
  credentialSubject: AchievementSubject;
  evidence?: unknown[];
  credentialStatus?: unknown;
  proof?: DataIntegrityProof | DataIntegrityProof[];
  [k: string]: unknown;
}
