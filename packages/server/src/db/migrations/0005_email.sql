-- Branded email (issue 5, services/mail/): one row per message to one recipient, per-organization
-- template overrides, and unsubscribed addresses. The brand colour of an organization's emails.

ALTER TABLE organizations ADD COLUMN brand_color text;

-- One message to one recipient. `sending` is committed before the SMTP conversation starts; a
-- delivery still `sending` when its job runs again was cut off by a crash and becomes `unknown`
-- (never resent automatically: at most one email each). `attempts` counts SMTP attempts.
CREATE TABLE email_deliveries (
  id               text PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  credential_id    text NOT NULL REFERENCES credentials(id),
  kind             text NOT NULL CHECK (kind IN ('credential_issued', 'expiry_reminder')),
  manual           boolean NOT NULL DEFAULT false,
  batch_id         text,
  recipient        text NOT NULL,
  locale           text NOT NULL,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'bounced', 'failed', 'unknown')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  message_id       text,
  queued_at        timestamptz NOT NULL,
  sending_at       timestamptz,
  finished_at      timestamptz
);
-- Automatic sends are enqueued with ON CONFLICT DO NOTHING on this index: never twice per credential
-- and kind, whatever retries the issuing or the sweep go through. Manual resends are not limited.
CREATE UNIQUE INDEX email_deliveries_once ON email_deliveries (credential_id, kind) WHERE NOT manual;
CREATE INDEX email_deliveries_credential ON email_deliveries (credential_id, queued_at);
-- Progress of a batch upload (counts per status).
CREATE INDEX email_deliveries_batch ON email_deliveries (batch_id, status) WHERE batch_id IS NOT NULL;

-- An organization's own subject and bodies for a kind and locale; without a row the built-in one is used.
CREATE TABLE email_templates (
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  kind             text NOT NULL,
  locale           text NOT NULL,
  subject          text NOT NULL,
  html             text NOT NULL,
  text             text NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (organization_id, kind, locale)
);

-- Unsubscribed addresses per organization: SHA-256 of the normalised (trimmed, lower-case) address,
-- so the address itself is never stored a second time.
CREATE TABLE email_suppressions (
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  address_hash     bytea NOT NULL,
  created_at       timestamptz NOT NULL,
  PRIMARY KEY (organization_id, address_hash)
);
