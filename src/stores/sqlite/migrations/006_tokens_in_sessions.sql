-- Baton schema, version 6: a session's refresh tokens, as keyed hashes, in the session's own row.
-- A session holds at most two: its current token (token_*) and the one its last rotation used
-- (used_token_*), a retry of which the reuse grace may still answer. In the row, a refresh reads
-- and writes one row of one table, where it read and wrote rows of two (and, with millions of
-- sessions, twice the pages).
--
-- Nothing is copied, so the migration is instant at any size. refresh_tokens is no longer
-- written: a session from before it keeps being found by its row there until its next rotation
-- moves its current token into the session's row, and the sweeper deletes such rows with their
-- sessions.

ALTER TABLE sessions ADD COLUMN token_hash BLOB;
ALTER TABLE sessions ADD COLUMN token_generation INTEGER;
ALTER TABLE sessions ADD COLUMN token_created_at INTEGER;
ALTER TABLE sessions ADD COLUMN used_token_hash BLOB;
ALTER TABLE sessions ADD COLUMN used_token_generation INTEGER;
ALTER TABLE sessions ADD COLUMN used_token_created_at INTEGER;
