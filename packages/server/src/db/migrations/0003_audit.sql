-- The audit log (services/audit.ts, core audit-chain.ts): one hash chain per organization,
-- its head signed with the instance key after every append, and that key.

-- The instance's Ed25519 keys; the secret is AES-256-GCM encrypted under the master key
-- (AAD `instance-key:<id>`), so a key row cannot be forged without the master key.
CREATE TABLE instance_keys (
  id                uuid PRIMARY KEY,
  public_key        bytea NOT NULL,
  encrypted_secret  bytea NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- hash = SHA-256(prev_hash ‖ JCS(entry)); the first entry's prev_hash is 32 zero bytes.
-- `at` holds the app clock's milliseconds, so it reads back as exactly the hashed ISO string.
CREATE TABLE audit_entries (
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  seq              bigint NOT NULL,
  at               timestamptz NOT NULL,
  actor            jsonb NOT NULL,
  action           text NOT NULL,
  subject_type     text NOT NULL,
  subject_id       text NOT NULL,
  before           jsonb,
  after            jsonb,
  prev_hash        bytea NOT NULL,
  hash             bytea NOT NULL,
  PRIMARY KEY (organization_id, seq)
);
CREATE INDEX audit_entries_subject ON audit_entries (organization_id, subject_id, seq);

-- The last entry of each chain and the instance key's signature over it. Appends lock this
-- row (FOR UPDATE), which serialises them per organization.
CREATE TABLE audit_heads (
  organization_id  uuid PRIMARY KEY REFERENCES organizations(id),
  seq              bigint NOT NULL,
  hash             bytea NOT NULL,
  signature        bytea,
  key_id           uuid REFERENCES instance_keys(id)
);

-- LinkedIn "Add to profile" organizationId (DESIGN.md §2), an organization setting.
ALTER TABLE organizations ADD COLUMN linkedin_organization_id text;
