-- The recipient portfolio (issue 8): recipients sign in by a magic link sent to their
-- email and see every credential issued to that address on this instance. Secrets are
-- stored only as SHA-256 hashes (tokens have 256 random bits), requesters only as a keyed
-- hash of their address (never a raw IP). Addresses are compared normalised: trimmed and
-- lower-cased, the form kept in these tables.

-- One row per recipient who has signed in: the public profile settings.
CREATE TABLE recipient_profiles (
  email           text PRIMARY KEY,
  handle          text UNIQUE,
  display_name    text,
  profile_public  boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);

-- Sign-in links: single use, short-lived. Rows also count requests for the rate limits.
CREATE TABLE magic_links (
  token_hash      bytea PRIMARY KEY,
  email           text NOT NULL,
  requester_hash  bytea NOT NULL,
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz,
  created_at      timestamptz NOT NULL
);
CREATE INDEX magic_links_email ON magic_links (email, created_at);
CREATE INDEX magic_links_requester ON magic_links (requester_hash, created_at);
CREATE INDEX magic_links_created ON magic_links (created_at);

-- Signed-in browsers: the cookie's hash, and the secret that every form of the session carries.
CREATE TABLE recipient_sessions (
  token_hash   bytea PRIMARY KEY,
  email        text NOT NULL,
  csrf_secret  text NOT NULL,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX recipient_sessions_email ON recipient_sessions (email);
CREATE INDEX recipient_sessions_expires ON recipient_sessions (expires_at);

-- A recipient's credentials across organizations, newest first (the portfolio and the export).
CREATE INDEX credentials_recipient ON credentials (lower(btrim(recipient_email)), issued_at DESC, id DESC)
  WHERE recipient_email IS NOT NULL;
