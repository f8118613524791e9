-- Baton schema for PostgreSQL, version 1 (the SQLite schema's versions 1-2 in one step).
-- Times are epoch seconds (bigint); durations are seconds.

CREATE TABLE meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE clients (
  id text PRIMARY KEY,
  secret_hash text,
  access_ttl integer,
  refresh_ttl integer,
  idle_ttl integer,
  reuse_grace integer,
  rotate boolean,
  audience text,
  dialects text,
  created_at bigint NOT NULL
);

-- A session is the refresh-token family; every refresh updates its row, never an indexed column,
-- so the free space left in each page (fillfactor) lets those updates stay heap-only (HOT).
-- ends_at is a lower bound of when the session ends; the sweeper moves it.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  subject text NOT NULL,
  client_id text NOT NULL,
  scope text NOT NULL,
  claims text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  idle_ttl integer NOT NULL,
  access_ttl integer NOT NULL,
  rotate boolean NOT NULL,
  last_active_at bigint NOT NULL,
  generation integer NOT NULL,
  rotated_at bigint,
  retry_box bytea,
  revoked_at bigint,
  revoke_reason text,
  ends_at bigint NOT NULL
) WITH (fillfactor = 70);

CREATE INDEX sessions_by_subject ON sessions (subject, id);
CREATE INDEX sessions_by_client ON sessions (client_id, id);
CREATE INDEX sessions_by_end ON sessions (ends_at);

-- Refresh tokens only as HMAC-SHA-256 keyed hashes (32 bytes). A token names its session, so one
-- key serves the lookup (session, hash) and the sweep (session).
CREATE TABLE refresh_tokens (
  session_id text NOT NULL,
  hash bytea NOT NULL,
  generation integer NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (session_id, hash)
);

CREATE TABLE revoked_access_tokens (
  jti text PRIMARY KEY,
  expires_at bigint NOT NULL
);

CREATE INDEX revoked_access_tokens_by_expiry ON revoked_access_tokens (expires_at);

CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  public_jwk text,
  private_key text NOT NULL,
  created_at bigint NOT NULL,
  retired_at bigint
);

CREATE TABLE events (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  at bigint NOT NULL,
  session_id text,
  subject text,
  client_id text,
  ip text,
  detail text
);

CREATE INDEX events_by_type ON events (type, id);
CREATE INDEX events_by_time ON events (at);
