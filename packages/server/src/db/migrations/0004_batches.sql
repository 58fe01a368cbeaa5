-- Bulk issuance: a batch (one upload) and its rows. Rows are stored as they are read
-- (streamed, validated), then a job issues the valid ones in chunks, each chunk in one
-- transaction with its credentials, so a crash never issues a row twice.

CREATE TABLE batches (
  id                text PRIMARY KEY,
  organization_id   uuid NOT NULL REFERENCES organizations(id),
  achievement_id    text NOT NULL,
  status            text NOT NULL CHECK (status IN ('receiving', 'queued', 'running', 'completed', 'failed', 'cancelled')),
  source            text NOT NULL CHECK (source IN ('csv', 'xlsx', 'json')),
  filename          text,
  file_sha256       text,
  mapping           jsonb,
  send_email        boolean NOT NULL,
  duplicate_policy  text NOT NULL,
  locale            text,
  idempotency_key   text,
  report            jsonb,
  rows_total        integer NOT NULL DEFAULT 0,
  rows_invalid      integer NOT NULL DEFAULT 0,
  issued            integer NOT NULL DEFAULT 0,
  failed            integer NOT NULL DEFAULT 0,
  actor             jsonb NOT NULL,
  error             text,
  created_at        timestamptz NOT NULL,
  started_at        timestamptz,
  finished_at       timestamptz
);
CREATE UNIQUE INDEX batches_idempotency ON batches (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX batches_org_created ON batches (organization_id, created_at DESC, id DESC);

CREATE TABLE batch_rows (
  batch_id       text NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  row_number     integer NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'issued', 'invalid', 'failed')),
  input          jsonb NOT NULL,
  errors         jsonb,
  credential_id  text,
  PRIMARY KEY (batch_id, row_number)
);
CREATE INDEX batch_rows_pending ON batch_rows (batch_id, row_number) WHERE status = 'pending';
CREATE INDEX batch_rows_problems ON batch_rows (batch_id, row_number) WHERE status IN ('invalid', 'failed');
