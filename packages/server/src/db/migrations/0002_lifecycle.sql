-- Credential lifecycle: Bitstring Status Lists (revocation and suspension),
-- status on credentials, renewal links, and bulk revocations.

-- A status list pair: one index space, published as two BitstringStatusListCredentials
-- (revocation and suspension) signed by `issuer_did`. `version` moves on every bit change;
-- the published documents are those of `published_version`.
CREATE TABLE status_lists (
  id                 text PRIMARY KEY,
  organization_id    uuid NOT NULL REFERENCES organizations(id),
  issuer_did         text NOT NULL,
  size               integer NOT NULL,
  full_at            timestamptz,
  version            bigint NOT NULL DEFAULT 1,
  published_version  bigint NOT NULL DEFAULT 0,
  published_at       timestamptz,
  revocation_doc     text,
  suspension_doc     text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
-- One open (not full) list per issuer DID: concurrent creators meet on this index.
CREATE UNIQUE INDEX status_lists_open ON status_lists (organization_id, issuer_did) WHERE full_at IS NULL;
CREATE INDEX status_lists_dirty ON status_lists (version, published_version);

-- One slot per issued credential. The primary key makes an index impossible to hand out twice.
-- `credential_id` is Laurel's credential id; `external_id` the `id` of a caller-signed credential (VC-API).
CREATE TABLE status_entries (
  list_id          text NOT NULL REFERENCES status_lists(id),
  idx              integer NOT NULL,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  credential_id    text UNIQUE,
  external_id      text,
  revoked          boolean NOT NULL DEFAULT false,
  suspended        boolean NOT NULL DEFAULT false,
  PRIMARY KEY (list_id, idx)
);
CREATE INDEX status_entries_external ON status_entries (organization_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX status_entries_set ON status_entries (list_id) WHERE revoked OR suspended;

ALTER TABLE credentials ADD COLUMN status_list_id text;
ALTER TABLE credentials ADD COLUMN status_index integer;
ALTER TABLE credentials ADD COLUMN status_reason text;
ALTER TABLE credentials ADD COLUMN status_reason_public boolean NOT NULL DEFAULT false;
ALTER TABLE credentials ADD COLUMN status_changed_at timestamptz;
ALTER TABLE credentials ADD COLUMN suspended_until timestamptz;
ALTER TABLE credentials ADD COLUMN renewed_from text;
ALTER TABLE credentials ADD COLUMN renewed_by text;
ALTER TABLE credentials ADD COLUMN expiry_reminded_at timestamptz;
ALTER TABLE credentials ADD CONSTRAINT credentials_status CHECK (status IN ('active', 'revoked', 'suspended'));
CREATE INDEX credentials_org_valid_until ON credentials (organization_id, valid_until) WHERE valid_until IS NOT NULL;
CREATE INDEX credentials_suspended_until ON credentials (suspended_until) WHERE status = 'suspended' AND suspended_until IS NOT NULL;

-- Bulk revocations run as a background job; this is their record and progress.
CREATE TABLE bulk_revocations (
  id               text PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  filter           jsonb NOT NULL,
  reason           text NOT NULL,
  reason_public    boolean NOT NULL,
  actor            jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  matched          integer,
  revoked          integer NOT NULL DEFAULT 0,
  error            text,
  created_at       timestamptz NOT NULL,
  finished_at      timestamptz
);
