-- Baton schema, version 5: a session's refresh tokens, as keyed hashes, in the session's own row.
-- A session holds at most two: its current token (token_*) and the one its last rotation used
-- (used_token_*), a retry of which the reuse grace may still answer. In the row, a refresh is one
-- UPDATE of one row, which PostgreSQL keeps on its page (no indexed column changes), where it
-- also inserted and deleted rows of refresh_tokens and their index entries.
--
-- Nothing is copied, so the migration is instant at any size (columns without a default change
-- no row). refresh_tokens is no longer written: a session from before it keeps being found by its
-- row there until its next rotation moves its current token into the session's row, and the
-- sweeper deletes such rows with their sessions.

ALTER TABLE sessions
  ADD COLUMN token_hash bytea,
  ADD COLUMN token_generation integer,
  ADD COLUMN token_created_at bigint,
  ADD COLUMN used_token_hash bytea,
  ADD COLUMN used_token_generation integer,
  ADD COLUMN used_token_created_at bigint;
