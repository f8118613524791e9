-- Baton schema, version 1. Times are epoch seconds; durations are seconds.

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE clients (
  id TEXT PRIMARY KEY,
  secret_hash TEXT,
  access_ttl INTEGER,
  refresh_ttl INTEGER,
  idle_ttl INTEGER,
  reuse_grace INTEGER,
  rotate INTEGER,
  audience TEXT,
  created_at INTEGER NOT NULL
) STRICT;

-- A session is the refresh-token family. ends_at is a lower bound of when the session ends
-- (revocation, absolute or idle expiry); refreshes leave it alone and the sweeper moves it.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  claims TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  idle_ttl INTEGER NOT NULL,
  access_ttl INTEGER NOT NULL,
  rotate INTEGER NOT NULL,
  last_active_at INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  rotated_at INTEGER,
  retry_box BLOB,
  revoked_at INTEGER,
  revoke_reason TEXT,
  ends_at INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_subject ON sessions (subject, id);
CREATE INDEX sessions_by_client ON sessions (client_id, id);
CREATE INDEX sessions_by_end ON sessions (ends_at);

-- Refresh tokens only as HMAC-SHA-256 keyed hashes (32 bytes). A token names its session, so one
-- key serves the lookup (session, hash) and the sweep (session); a session's tokens sit together.
CREATE TABLE refresh_tokens (
  session_id TEXT NOT NULL,
  hash BLOB NOT NULL,
  generation INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, hash)
) STRICT, WITHOUT ROWID;

CREATE TABLE revoked_access_tokens (
  jti TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX revoked_access_tokens_by_expiry ON revoked_access_tokens (expires_at);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  public_jwk TEXT,
  private_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER
) STRICT;

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  session_id TEXT,
  subject TEXT,
  client_id TEXT,
  ip TEXT,
  detail TEXT
) STRICT;

CREATE INDEX events_by_type ON events (type, id);
CREATE INDEX events_by_time ON events (at);
