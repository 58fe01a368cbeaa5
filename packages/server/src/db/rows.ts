/** Row types of Laurel's tables, as the repositories return them. */

export interface OrganizationRow {
  id: string;
  slug: string;
  name: string;
  did_method: 'web' | 'key';
  domain: string | null;
  url: string | null;
  email: string | null;
  logo: string | null;
  /** LinkedIn's numeric organization id, for "Add to profile" links. */
  linkedin_organization_id: string | null;
  /** The brand colour of emails (`#rrggbb`), or null for Laurel's default. */
  brand_color: string | null;
  /** The second brand colour of certificates and badges (`#rrggbb`), or null for Laurel's default. */
  brand_secondary_color?: string | null;
  created_at: Date;
}

export interface SigningKeyRow {
  id: string;
  organization_id: string;
  fragment: string;
  public_key: Uint8Array;
  encrypted_secret: Uint8Array;
  valid_from: Date;
  valid_until: Date | null;
}

export interface AchievementRow {
  id: string;
  organization_id: string;
  name: string;
  data: Record<string, unknown>;
  validity_months: number | null;
  status: 'active' | 'archived';
  created_at: Date;
  updated_at: Date;
  /** The templates its credentials render with, per format (migration 0007). */
  certificate_template_id?: string | null;
  diploma_template_id?: string | null;
  badge_template_id?: string | null;
}

export interface CredentialRow {
  id: string;
  organization_id: string;
  achievement_id: string;
  recipient_name: string;
  recipient_email: string | null;
  recipient_did: string | null;
  status: 'active' | 'revoked' | 'suspended';
  valid_from: Date;
  valid_until: Date | null;
  issued_at: Date;
  document: string;
  status_list_id: string | null;
  status_index: number | null;
  status_reason: string | null;
  status_reason_public: boolean;
  status_changed_at: Date | null;
  suspended_until: Date | null;
  renewed_from: string | null;
  renewed_by: string | null;
  /** Per-recipient template fields (`{{fields.<name>}}`), or null. */
  fields?: Record<string, string> | null;
  /** Set when the recipient hid the credential from public view. */
  hidden_at?: Date | null;
}

export interface ApiKeyRow {
  id: string;
  organization_id: string;
  name: string;
  prefix: string;
  secret_hash: Uint8Array;
  created_at: Date;
  revoked_at: Date | null;
}

export interface InstanceKeyRow {
  id: string;
  public_key: Uint8Array;
  encrypted_secret: Uint8Array;
  created_at: Date;
}

/** An audit entry as read back: `at` as text with microseconds, so an edit below the millisecond shows. */
export interface AuditEntryRow {
  organization_id: string;
  seq: number;
  at_text: string;
  actor: unknown;
  action: string;
  subject_type: string;
  subject_id: string;
  before: unknown;
  after: unknown;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

export interface AuditHeadRow {
  organization_id: string;
  seq: number;
  hash: Uint8Array;
  signature: Uint8Array | null;
  key_id: string | null;
}
