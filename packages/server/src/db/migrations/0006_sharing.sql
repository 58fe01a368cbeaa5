-- Recipient-facing data (issue 6): per-recipient template fields kept with each
-- credential (they fill {{fields.<name>}} in templates), a recipient's choice to hide
-- a credential from public view, and the issuer's second brand colour.
ALTER TABLE credentials ADD COLUMN fields jsonb;
ALTER TABLE credentials ADD COLUMN hidden_at timestamptz;
ALTER TABLE organizations ADD COLUMN brand_secondary_color text;
