import { expect } from 'vitest';
import type { RotateOperation, Store } from '../../src/core/store.js';

/** A keyed hash (32 bytes) made of one repeated byte, as the store's API spells hashes. */
export const tokenHash = (n: number): string => Buffer.alloc(32, n).toString('base64url');

/**
 * Sessions and token rows as a database had them before refresh-token hashes moved into the
 * session's row, written by each store's test in its own SQL: two rotating sessions, each with
 * its current token and the one used last, and one session without rotation with its one token
 * (at generation 0 while the session moved on). `hash` is the byte of {@link tokenHash}.
 */
export const LEGACY_SESSIONS = [
  { id: 'ses_rot', rotate: true, generation: 5 },
  { id: 'ses_carry', rotate: true, generation: 2 },
  { id: 'ses_keep', rotate: false, generation: 7 },
] as const;
export const LEGACY_TOKENS = [
  { sessionId: 'ses_rot', hash: 4, generation: 4, createdAt: 1004 },
  { sessionId: 'ses_rot', hash: 5, generation: 5, createdAt: 1005 },
  { sessionId: 'ses_carry', hash: 21, generation: 1, createdAt: 1001 },
  { sessionId: 'ses_carry', hash: 22, generation: 2, createdAt: 1002 },
  { sessionId: 'ses_keep', hash: 9, generation: 0, createdAt: 1000 },
] as const;

const rotation = (
  sessionId: string,
  fromGeneration: number,
  tokens: RotateOperation['tokens'],
): RotateOperation => ({
  sessionId,
  fromGeneration,
  toGeneration: fromGeneration + 1,
  at: 1010,
  atMs: 1_010_000,
  accessHash: tokenHash(1),
  retryBox: Uint8Array.of(fromGeneration),
  tokens,
});

/**
 * Checks a store opened on the migrated {@link LEGACY_TOKENS}: each session's tokens are still
 * found, with their generations and times; a rotation of each kind moves the current token into
 * the session's row as a rotation on the new schema would have left it; and the legacy rows of a
 * rotated session vouch for nothing any more.
 */
export async function expectLegacyTokensServed(store: Store): Promise<void> {
  const found = async (sessionId: string, n: number) =>
    (await store.findRefreshToken(sessionId, tokenHash(n)))?.token;
  expect(await found('ses_rot', 5)).toMatchObject({ generation: 5, createdAt: 1005 });
  expect(await found('ses_rot', 4)).toMatchObject({ generation: 4, createdAt: 1004 });
  expect(await found('ses_keep', 9)).toMatchObject({ generation: 0, createdAt: 1000 });
  expect(await found('ses_rot', 9)).toBeUndefined();

  const next = { hash: tokenHash(6), sessionId: 'ses_rot', generation: 6, createdAt: 1010 };
  expect(await store.rotate(rotation('ses_rot', 5, { kind: 'rotate', next }))).toBe(true);
  expect(await found('ses_rot', 6)).toMatchObject({ generation: 6, createdAt: 1010 });
  expect(await found('ses_rot', 5)).toMatchObject({ generation: 5, createdAt: 1005 });
  expect(await found('ses_rot', 4)).toBeUndefined();

  expect(await store.rotate(rotation('ses_carry', 2, { kind: 'carry' }))).toBe(true);
  expect(await found('ses_carry', 22)).toMatchObject({ generation: 3, createdAt: 1002 });
  expect(await found('ses_carry', 21)).toBeUndefined();

  expect(await store.rotate(rotation('ses_keep', 7, { kind: 'keep' }))).toBe(true);
  expect(await found('ses_keep', 9)).toMatchObject({ generation: 0, createdAt: 1000 });

  // The next rotation of a moved session works on its row alone.
  const after = { hash: tokenHash(7), sessionId: 'ses_rot', generation: 7, createdAt: 1010 };
  expect(await store.rotate(rotation('ses_rot', 6, { kind: 'rotate', next: after }))).toBe(true);
  expect(await found('ses_rot', 7)).toMatchObject({ generation: 7 });
  expect(await found('ses_rot', 6)).toMatchObject({ generation: 6 });
  expect(await found('ses_rot', 5)).toBeUndefined();
}

/** Revokes every legacy session and sweeps: their token rows go with them. */
export async function sweepLegacySessions(store: Store): Promise<void> {
  for (const session of LEGACY_SESSIONS) await store.revokeSession(session.id, 2000, 'test');
  const result = await store.sweep({
    sessionsEndedBefore: 3000,
    accessTokensExpiredBefore: 0,
    eventsBefore: 0,
    keysRetiredBefore: 0,
    limit: 500,
  });
  expect(result.sessions).toBe(LEGACY_SESSIONS.length);
}
