-- Baton schema for PostgreSQL, version 4: the keyed hash of each session's current access token
-- (32 bytes), so that a refresh presenting that very token needs no signature check. Not indexed,
-- so refreshes stay heap-only updates.

ALTER TABLE sessions ADD COLUMN access_hash bytea;
