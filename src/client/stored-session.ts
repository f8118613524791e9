import { TokenClientError } from './token-client-error.js';
import type { TokenStorage } from './token-storage.js';

/**
 * A session as a client stores it (JSON, short names to keep every tab's copy small). Times are
 * local epoch milliseconds.
 */
export interface StoredSession {
  /** the access token */
  a: string;
  /** the refresh token (absent for sessions refreshed by access token) */
  r?: string | undefined;
  /** when the access token expires */
  e: number;
  /** when the access token's lifetime started */
  s: number;
  /** version: one more than any the writer had seen, so that tabs can tell the newer copy */
  v: number;
  /** a refresh of these credentials was sent at this time, and its outcome is not known */
  p?: number | undefined;
}

/** The session stored under `key`, if there is a well-formed one. */
export async function readSession(
  storage: TokenStorage,
  key: string,
): Promise<StoredSession | undefined> {
  let text: string | null | undefined;
  try {
    text = await storage.get(key);
  } catch {
    throw new TokenClientError('ERR_STORAGE', 'the session could not be read from storage');
  }
  try {
    const found = JSON.parse(text ?? 'null') as StoredSession | null;
    return typeof found?.a === 'string' && typeof found.e === 'number' ? found : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `session` under `key`. */
export async function writeSession(
  storage: TokenStorage,
  key: string,
  session: StoredSession,
): Promise<void> {
  try {
    await storage.set(key, JSON.stringify(session));
  } catch {
    throw new TokenClientError('ERR_STORAGE', 'the session could not be written to storage');
  }
}

/**
 * When to refresh `session`'s access token (epoch ms): `skewMs` before it expires, but no sooner
 * than half-way through its life, so that short-lived tokens are not refreshed on every call.
 */
export function refreshDue(session: StoredSession, skewMs: number): number {
  return session.e - Math.min(skewMs, Math.max(0, session.e - session.s) / 2);
}
