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
}

export interface CredentialRow {
  id: string;
  organization_id: string;
  achievement_id: string;
  recipient_name: string;
  recipient_email: string | null;
  recipient_did: string | null;
  status: string;
  valid_from: Date;
  valid_until: Date | null;
  issued_at: Date;
  document: string;
}
