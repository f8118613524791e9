-- Baton schema, version 5: the keyed hash of each session's current access token (32 bytes), so
-- that a refresh presenting that very token needs no signature check.

ALTER TABLE sessions ADD COLUMN access_hash BLOB;
