/** Request schemas (zod): every field from a client is validated here, at the edge. */
import {ACHIEVEMENT_TYPES} from '@laurel/core';
import {z} from 'zod';

const text = (max: number) => z.string().trim().min(1).max(max);
const httpUrl = z.string().max(2048).refine(v => {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');
const dateTime = z.string().max(64).refine(v => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)),
  'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:00:00Z');
const did = z.string().max(2048).regex(/^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$/, 'must be a DID, e.g. did:key:z6Mk…');
const slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, 'lower-case letters, digits and hyphens, 1–48 characters');
/** A colour as `#rrggbb` (stored lower-case). */
const brandColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour as #rrggbb, e.g. #2457c5').transform(v => v.toLowerCase());
/** Per-recipient template fields (`{{fields.<name>}}`): the names and limits of the batch `fields`. */
const TemplateFields = z.record(z.string().regex(/^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_]{0,63}$/,
  'a template field name is letters, digits and _, up to 64, not starting with a digit'), z.string().max(4096))
  .refine(f => Object.keys(f).length <= 50, 'at most 50 template fields');
/** An organization's logo: an https/http URL or the id of an uploaded image (POST /api/v1/assets). */
const logo = z.union([z.uuid().transform(v => v.toLowerCase()), httpUrl], {error: 'must be an http(s) URL or an asset id from POST /api/v1/assets'});
const domain = z.string().max(253).toLowerCase()
  .regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a DNS host name such as certs.example.edu');

/** POST /api/v1/organizations. */
export const CreateOrganization = z.strictObject({
  name: text(200),
  slug: slug.optional(),
  didMethod: z.enum(['web', 'key']).optional(),
  domain: domain.optional(),
  url: httpUrl.optional(),
  email: z.email().max(320).optional(),
  logo: logo.optional(),
  linkedinOrganizationId: z.string().regex(/^\d{1,20}$/, 'must be LinkedIn\'s numeric organization id').optional(),
  brandColor: brandColor.optional(),
  brandSecondaryColor: brandColor.optional(),
});

/** The cryptosuites Laurel signs with. */
const Cryptosuite = z.enum(['eddsa-rdfc-2022', 'eddsa-jcs-2022']);

const achievementType = z.union([z.enum(ACHIEVEMENT_TYPES), z.string().regex(/^ext:[A-Za-z0-9._-]+$/)],
  {error: `must be one of ${ACHIEVEMENT_TYPES.join(', ')}, or ext:<Name>`});

const Alignment = z.strictObject({
  targetName: text(500),
  targetUrl: httpUrl,
  targetDescription: text(2000).optional(),
  targetFramework: text(500).optional(),
  targetCode: text(200).optional(),
  targetType: z.union([z.enum(['ceasn:Competency', 'ceterms:Credential', 'CFItem', 'CFRubric', 'CFRubricCriterion',
    'CFRubricCriterionLevel', 'CTDL']), z.string().regex(/^ext:[A-Za-z0-9._-]+$/)]).optional(),
});

/** Achievement fields (create and full update). */
export const AchievementBody = z.strictObject({
  name: text(200),
  description: text(5000),
  criteria: z.strictObject({narrative: text(10000).optional(), url: httpUrl.optional()})
    .refine(c => c.narrative !== undefined || c.url !== undefined, 'criteria needs a narrative, a url, or both'),
  image: z.strictObject({url: httpUrl, caption: text(500).optional()}).optional(),
  achievementType: achievementType.optional(),
  /** The proof's cryptosuite for credentials of this achievement (default eddsa-rdfc-2022). */
  cryptosuite: Cryptosuite.optional(),
  alignment: z.array(Alignment).max(100).optional(),
  tags: z.array(text(100)).max(50).optional(),
  creditsAvailable: z.number().finite().min(0).max(100000).optional(),
  humanCode: text(100).optional(),
  fieldOfStudy: text(200).optional(),
  specialization: text(200).optional(),
  validityMonths: z.number().int().min(1).max(1200).optional(),
  /** The templates its credentials render with, per format (absent: unchanged; null: none). */
  templates: z.strictObject({
    certificate: z.uuid().nullable().optional(),
    diploma: z.uuid().nullable().optional(),
    badge: z.uuid().nullable().optional(),
  }).optional(),
});

/** PATCH: any subset of the fields. */
export const AchievementPatch = AchievementBody.partial();

const Evidence = z.strictObject({
  id: httpUrl.optional(),
  name: text(500).optional(),
  description: text(5000).optional(),
  narrative: text(10000).optional(),
  genre: text(200).optional(),
  audience: text(200).optional(),
}).refine(e => Object.keys(e).length > 0, 'evidence needs at least one field');

const Result = z.strictObject({
  resultDescription: httpUrl.optional(),
  value: text(200).optional(),
  status: z.enum(['Completed', 'Enrolled', 'Failed', 'InProgress', 'OnHold', 'Provisional', 'Withdrew']).optional(),
  achievedLevel: httpUrl.optional(),
}).refine(r => Object.keys(r).length > 0, 'a result needs at least one field');

/** POST /api/v1/credentials. */
export const IssueCredential = z.strictObject({
  achievementId: text(100),
  recipient: z.strictObject({name: text(500), email: z.email().max(320).optional(), did: did.optional()}),
  validFrom: dateTime.optional(),
  validUntil: dateTime.optional(),
  evidence: z.array(Evidence).max(50).optional(),
  results: z.array(Result).max(50).optional(),
  options: z.strictObject({cryptosuite: Cryptosuite.optional()}).optional(),
  sendEmail: z.boolean().optional(),
  locale: z.enum(['en', 'sv']).optional(),
  /** Per-recipient values for the certificate template's `{{fields.<name>}}`. */
  fields: TemplateFields.optional(),
});

/** Pagination shared by list endpoints. */
const Page = {
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

/** GET /api/v1/credentials query. */
export const ListCredentialsQuery = z.strictObject({
  achievementId: z.string().max(100).optional(),
  status: z.enum(['active', 'expired', 'revoked', 'suspended']).optional(),
  /** Active credentials that expire within this many days. */
  expiring: z.coerce.number().int().min(1).max(3660).optional(),
  q: z.string().trim().min(1).max(200).optional(),
  ...Page,
});

/** POST /api/v1/batches query. */
export const BatchQuery = z.strictObject({dryRun: z.enum(['true', 'false']).default('false').transform(v => v === 'true')});

const DuplicatePolicy = z.enum(['flag', 'allow', 'reject']);
const Locale = z.enum(['en', 'sv']);

/** The multipart fields of POST /api/v1/batches (text, before the file part). */
export const BatchFields = z.strictObject({
  achievementId: text(100),
  /** JSON: Laurel field → column header. Absent: guessed from the header row. */
  mapping: z.string().min(2).max(64 * 1024).optional(),
  sendEmail: z.enum(['true', 'false']).default('true').transform(v => v === 'true'),
  duplicatePolicy: DuplicatePolicy.default('flag'),
  locale: Locale.optional(),
});

/** POST /api/v1/batches with JSON rows. */
export const BatchJson = z.strictObject({
  achievementId: text(100),
  rows: z.array(z.strictObject({
    name: z.string().max(4096).optional(),
    email: z.string().max(4096).optional(),
    did: z.string().max(4096).optional(),
    validFrom: z.string().max(4096).optional(),
    validUntil: z.string().max(4096).optional(),
    evidenceUrl: z.string().max(4096).optional(),
    fields: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(4096)).optional(),
  })).min(1, 'send at least one row').max(200_000),
  sendEmail: z.boolean().default(true),
  duplicatePolicy: DuplicatePolicy.default('flag'),
  locale: Locale.optional(),
});

/** GET /api/v1/batches query. */
export const ListBatchesQuery = z.strictObject({...Page});

/** A reason for a status change; `reasonPublic` shows it to verifiers. */
const Reason = {
  reason: text(500),
  reasonPublic: z.boolean().optional(),
};

/** POST /api/v1/credentials/:id/revoke. */
export const RevokeCredential = z.strictObject(Reason);

/** POST /api/v1/credentials/:id/suspend. */
export const SuspendCredential = z.strictObject({...Reason, until: dateTime.optional()});

/** POST /api/v1/credentials/:id/renew. */
export const RenewCredential = z.strictObject({validUntil: dateTime.optional(), revokeOld: z.boolean().optional()});

/** POST /api/v1/credentials/revocations: bulk revocation by filter (at least one criterion). */
export const BulkRevoke = z.strictObject({
  filter: z.strictObject({
    achievementId: text(100).optional(),
    issuedFrom: dateTime.optional(),
    issuedUntil: dateTime.optional(),
    ids: z.array(z.string().min(1).max(2048)).min(1).max(100_000).optional(),
  }).refine(f => Object.keys(f).length > 0, 'give at least one of achievementId, issuedFrom, issuedUntil, ids'),
  ...Reason,
});

/** GET /api/v1/achievements query. */
export const ListAchievementsQuery = z.strictObject({
  status: z.enum(['active', 'archived']).optional(),
  ...Page,
});

/** POST /credentials/issue (VC-API). Unknown options are ignored, as the W3C suites send some. */
export const VcApiIssue = z.object({
  credential: z.record(z.string(), z.unknown()),
  options: z.looseObject({cryptosuite: Cryptosuite.optional()}).optional(),
});

/** POST /credentials/verify (VC-API). */
export const VcApiVerify = z.object({
  verifiableCredential: z.record(z.string(), z.unknown()),
  options: z.record(z.string(), z.unknown()).optional(),
});

/** POST /presentations/verify (VC-API). Other verifier options are accepted and ignored. */
export const VcApiVerifyPresentation = z.object({
  verifiablePresentation: z.record(z.string(), z.unknown()),
  options: z.object({
    challenge: z.string().min(1).max(1024).optional(),
    domain: z.string().min(1).max(1024).optional(),
  }).optional(),
});

/** Idempotency-Key header value. */
export const IdempotencyKey = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** POST /api/v1/verify: exactly one of a credential, a JWT (vc+jwt) or a URL. */
export const VerifyRequest = z.union([
  z.strictObject({credential: z.record(z.string(), z.unknown())}),
  z.strictObject({jwt: z.string().min(1).max(1024 * 1024)}),
  z.strictObject({url: z.string().min(1).max(2048)}),
], {error: 'send exactly one of {"credential": {…}}, {"jwt": "…"} or {"url": "https://…"}'});

/** PATCH /api/v1/organization: the settings to change; null clears an optional one. */
export const UpdateOrganization = z.strictObject({
  name: text(200).optional(),
  url: httpUrl.nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  logo: logo.nullable().optional(),
  /** LinkedIn's numeric organization id, used in "Add to profile" links. */
  linkedinOrganizationId: z.string().regex(/^\d{1,20}$/, 'must be LinkedIn\'s numeric organization id').nullable().optional(),
  /** The colour of emails' header bar and button, `#rrggbb`. */
  brandColor: brandColor.nullable().optional(),
  /** The second colour of certificates and badges (`brand.secondary` in templates), `#rrggbb`. */
  brandSecondaryColor: brandColor.nullable().optional(),
});

/** POST /api/v1/api-keys. */
export const CreateApiKey = z.strictObject({
  name: text(100),
});

/** GET /api/v1/audit query. */
export const ListAuditQuery = z.strictObject({
  action: z.string().min(1).max(100).optional(),
  subjectType: z.string().min(1).max(100).optional(),
  subjectId: z.string().min(1).max(2048).optional(),
  since: dateTime.optional(),
  until: dateTime.optional(),
  /** desc: newest first (default); asc: in chain order, as a verifier reads it. */
  order: z.enum(['asc', 'desc']).default('desc'),
  /** Only entries after this seq: where a verifier reading in chain order resumes. */
  afterSeq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

/** GET /api/v1/jobs query. States are pg-boss's. */
export const ListJobsQuery = z.strictObject({
  state: z.enum(['created', 'retry', 'active', 'completed', 'cancelled', 'failed']).optional(),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'a queue name: lower-case letters, digits, ".", "_" and "-"').optional(),
  ...Page,
});

/** POST /api/v1/credentials/:id/emails/resend: optionally in another locale. */
export const ResendEmail = z.strictObject({
  locale: z.enum(['en', 'sv']).optional(),
});

/**
 * PUT /api/v1/email-templates/:kind/:locale. Only the shape is checked here; sizes, variables
 * and markup are the service's (422 EMAIL_TEMPLATE_INVALID with a problem per field).
 */
export const EmailTemplateBody = z.strictObject({
  subject: z.string().max(100_000),
  html: z.string().max(500_000),
  text: z.string().max(500_000),
});

/** POST /api/v1/email-templates/:kind/:locale/preview: a draft to render (missing parts: the saved ones). */
export const EmailTemplatePreview = EmailTemplateBody.partial();

/** The starter templates a new template may copy. */
const StarterKey = z.enum(['classic-certificate', 'modern-diploma', 'round-badge']);
const TemplateFormatParam = z.enum(['certificate', 'diploma', 'badge']);

/**
 * POST /api/v1/templates: a layout, or a copy of a starter. The layout itself is checked
 * by the render module's validateTemplate (422 TEMPLATE_INVALID with a problem per block).
 */
export const CreateTemplate = z.union([
  z.strictObject({name: text(200), layout: z.unknown().refine(v => v !== undefined, 'required')}),
  z.strictObject({name: text(200).optional(), starter: StarterKey}),
], {error: 'send {"name": "…", "layout": {…}} or {"starter": "classic-certificate" | "modern-diploma" | "round-badge"}'});

/** PUT /api/v1/templates/:id: a new version of the layout, optionally a new name. */
export const UpdateTemplate = z.strictObject({name: text(200).optional(), layout: z.unknown().refine(v => v !== undefined, 'required')});

/** POST /api/v1/templates/validate. */
export const ValidateTemplate = z.strictObject({layout: z.unknown().refine(v => v !== undefined, 'required')});

/** GET /api/v1/templates query. */
export const ListTemplatesQuery = z.strictObject({
  format: TemplateFormatParam.optional(),
  status: z.enum(['active', 'archived']).optional(),
  ...Page,
});

/** Sample values a preview may override. */
const SampleOverrides = z.strictObject({
  recipient: z.strictObject({name: text(500).optional()}).optional(),
  achievement: z.strictObject({name: text(200).optional(), description: text(5000).optional(), type: text(100).optional()}).optional(),
  issuer: z.strictObject({name: text(200).optional(), url: httpUrl.optional()}).optional(),
  issuedOn: dateTime.optional(),
  validUntil: dateTime.optional(),
  fields: TemplateFields.optional(),
  locale: z.enum(['en', 'sv']).optional(),
});

/** POST /api/v1/templates/preview: a draft layout, or a stored template (its current or a given version). */
export const PreviewTemplate = z.union([
  z.strictObject({layout: z.unknown().refine(v => v !== undefined, 'required'), sample: SampleOverrides.optional()}),
  z.strictObject({templateId: z.string().min(1).max(100), version: z.number().int().min(1).max(1_000_000).optional(), sample: SampleOverrides.optional()}),
], {error: 'send {"layout": {…}} or {"templateId": "…", "version"?: n}, optionally with "sample"'});

/** POST /api/v1/templates/preview query. */
export const PreviewQuery = z.strictObject({
  format: z.enum(['pdf', 'png', 'svg']).default('pdf'),
  /** PNG width in pixels. */
  width: z.coerce.number().int().min(64).max(4096).optional(),
});
