-- Laurel's initial schema: organizations (issuers), their keys and API keys,
-- achievements, issued credentials, and idempotency records.

CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  slug        text NOT NULL UNIQUE,
  name        text NOT NULL,
  did_method  text NOT NULL CHECK (did_method IN ('web', 'key')),
  domain      text UNIQUE,
  url         text,
  email       text,
  logo        text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Ed25519 signing keys. The secret is AES-256-GCM encrypted under the master key.
-- A key is active while valid_until is null; a rotated key keeps its window.
CREATE TABLE signing_keys (
  id                uuid PRIMARY KEY,
  organization_id   uuid NOT NULL REFERENCES organizations(id),
  fragment          text NOT NULL,
  public_key        bytea NOT NULL,
  encrypted_secret  bytea NOT NULL,
  valid_from        timestamptz NOT NULL,
  valid_until       timestamptz,
  UNIQUE (organization_id, fragment)
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (organization_id) WHERE valid_until IS NULL;

-- API keys are stored as SHA-256 of a 256-bit random secret: never the secret.
CREATE TABLE api_keys (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  name             text NOT NULL,
  prefix           text NOT NULL,
  secret_hash      bytea NOT NULL UNIQUE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz
);

CREATE TABLE achievements (
  id               text PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  name             text NOT NULL,
  data             jsonb NOT NULL,
  validity_months  integer,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX achievements_org ON achievements (organization_id, created_at DESC, id DESC);

-- Issued credentials. `document` is the signed JSON exactly as returned to the client.
CREATE TABLE credentials (
  id               text PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  achievement_id   text NOT NULL REFERENCES achievements(id),
  recipient_name   text NOT NULL,
  recipient_email  text,
  recipient_did    text,
  status           text NOT NULL DEFAULT 'active',
  valid_from       timestamptz NOT NULL,
  valid_until      timestamptz,
  issued_at        timestamptz NOT NULL,
  document         text NOT NULL
);
CREATE INDEX credentials_org_issued ON credentials (organization_id, issued_at DESC, id DESC);
CREATE INDEX credentials_org_achievement ON credentials (organization_id, achievement_id, issued_at DESC);

-- Idempotency-Key records: the same key and body replay the first response.
CREATE TABLE idempotency_keys (
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  key              text NOT NULL,
  request_hash     text NOT NULL,
  status_code      integer,
  response         text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, key)
);
