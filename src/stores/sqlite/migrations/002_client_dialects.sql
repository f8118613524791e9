-- Baton schema, version 2: the per-client dialect switch. NULL keeps the default (every dialect
-- for a public client, none for a confidential one); otherwise a JSON array of dialect names.

ALTER TABLE clients ADD COLUMN dialects TEXT;
