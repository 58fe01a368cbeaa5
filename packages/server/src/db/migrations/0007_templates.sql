-- Templates and renders (issue 7): an organization's certificate, diploma and badge layouts
-- (immutable versions), its uploaded images, which templates an achievement uses, and the
-- cache of rendered artifacts per credential.

-- Uploaded images (PNG or JPEG by magic bytes, never SVG), deduplicated per organization by content.
CREATE TABLE assets (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  mime             text NOT NULL CHECK (mime IN ('image/png', 'image/jpeg')),
  sha256           bytea NOT NULL,
  bytes            bytea NOT NULL,
  width            integer NOT NULL,
  height           integer NOT NULL,
  created_at       timestamptz NOT NULL,
  UNIQUE (organization_id, sha256)
);

-- A template: its name, format and current version. The format never changes (achievements pick
-- templates per format); archived templates keep rendering what already uses them but take no edits.
CREATE TABLE templates (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  name             text NOT NULL,
  format           text NOT NULL CHECK (format IN ('certificate', 'diploma', 'badge')),
  version          integer NOT NULL,
  archived_at      timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX templates_org ON templates (organization_id, created_at DESC, id DESC);
-- The renders fallback: an organization's newest active template of a format.
CREATE INDEX templates_org_format ON templates (organization_id, format, created_at DESC) WHERE archived_at IS NULL;

-- Every version of a layout, never updated: a render records the version it was made from.
CREATE TABLE template_versions (
  template_id  uuid NOT NULL REFERENCES templates(id),
  version      integer NOT NULL,
  layout       jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (template_id, version)
);

-- The templates an achievement's credentials are rendered with (none: the organization's, then the starters).
ALTER TABLE achievements ADD COLUMN certificate_template_id uuid REFERENCES templates(id);
ALTER TABLE achievements ADD COLUMN diploma_template_id uuid REFERENCES templates(id);
ALTER TABLE achievements ADD COLUMN badge_template_id uuid REFERENCES templates(id);

-- Rendered artifacts. `template_id` is a template's uuid or `starter:<key>` for a built-in one; a
-- row is used only while the template's id and version and `fingerprint` (brand, logo, locale,
-- render engine) still match, and is replaced otherwise.
CREATE TABLE renders (
  credential_id     text NOT NULL REFERENCES credentials(id),
  kind              text NOT NULL,
  template_id       text NOT NULL,
  template_version  integer NOT NULL,
  fingerprint       text NOT NULL,
  bytes             bytea NOT NULL,
  etag              text NOT NULL,
  created_at        timestamptz NOT NULL,
  PRIMARY KEY (credential_id, kind)
);
