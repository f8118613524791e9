import { createHash, createHmac } from 'node:crypto';
import { SESSION_RETENTION_TTL } from '../../src/core/config.js';
import { deriveSecrets } from '../../src/core/secrets.js';

// Sessions made up by the benchmark, each one a function of (salt, index): the loader writes
// session `i` and the load generator later presents its first refresh token without anyone
// keeping ten million tokens in memory. The token format is Baton's (refresh-token.ts): `rt_`,
// the session id's 22 characters, then generation (4 bytes) | random (32) | tag (16) in
// base64url; the tag is HMAC-SHA-256 under the tag key, cut to 16 bytes.

/** Default lifetimes of a server started without overrides (seconds). */
export const REFRESH_TTL = 2_592_000;
export const IDLE_TTL = 604_800;
export const ACCESS_TTL = 900;

/** One synthetic session, ready to be written as the store writes a newly issued one. */
export interface SyntheticSession {
  id: string;
  subject: string;
  /** The current (generation 0) refresh token, as a client would present it. */
  refreshToken: string;
  /** HMAC-SHA-256 of the refresh token under the pepper (32 bytes), as stored. */
  tokenHash: Buffer;
  /** Stands in for the keyed hash of the first access token (32 bytes): same size, no match. */
  accessHash: Buffer;
}

/** The times of a batch of sessions (epoch seconds). */
export interface SessionTimes {
  createdAt: number;
  expiresAt: number;
  lastActiveAt: number;
  /** `ends_at`: the earlier of the absolute and idle ends, as a new session gets it. */
  endsAt: number;
}

/** Times of sessions issued at `now`: live for the default lifetimes. */
export function liveTimes(now: number): SessionTimes {
  return {
    createdAt: now,
    expiresAt: now + REFRESH_TTL,
    lastActiveAt: now,
    endsAt: Math.min(now + REFRESH_TTL, now + IDLE_TTL),
  };
}

/** Times of sessions that went idle long enough ago for the sweeper to delete them at `now`. */
export function endedTimes(now: number): SessionTimes {
  const createdAt = now - IDLE_TTL - SESSION_RETENTION_TTL - 86_400;
  return liveTimes(createdAt);
}

/**
 * Makes synthetic sessions for the server whose master secret (`BATON_SECRET`) is `secret`;
 * `salt` makes each run's session ids and tokens its own.
 */
export function createSessionMaker(
  secret: string,
  salt: string,
): (index: number) => SyntheticSession {
  // The server is started with BATON_SECRET set, so it derives its keys this way (sealed keys on).
  const { pepper, tokenTagKey } = deriveSecrets(secret, true);
  const body = Buffer.alloc(52);
  return (index) => {
    const material = createHash('sha512').update(salt).update(String(index)).digest();
    const sessionPart = material.subarray(0, 16).toString('base64url');
    body.writeUInt32BE(0, 0);
    material.copy(body, 4, 16, 48);
    createHmac('sha256', tokenTagKey)
      .update('baton/rt/v2:')
      .update(sessionPart)
      .update(body.subarray(0, 36))
      .digest()
      .copy(body, 36, 0, 16);
    const refreshToken = `rt_${sessionPart}${body.toString('base64url')}`;
    return {
      id: `ses_${sessionPart}`,
      subject: `user-${index}`,
      refreshToken,
      tokenHash: createHmac('sha256', pepper).update(refreshToken).digest(),
      // Filler of the right size: nothing is ever looked up by it.
      accessHash: Buffer.from(material.subarray(32, 64)),
    };
  };
}
