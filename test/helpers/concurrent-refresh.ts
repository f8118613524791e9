import { decodeJwt } from 'jose';
import { expect } from 'vitest';
import {
  refreshAt,
  type HttpResult,
  type MintedSession,
  type ServerProcess,
  type TokenResponse,
} from './server-process.js';

/** Fires all refreshes at once: the i-th one goes to servers[i % servers.length]. */
export function refreshTogether(
  servers: ServerProcess[],
  refreshToken: string,
  count: number,
): Promise<HttpResult[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      refreshAt((servers[i % servers.length] as ServerProcess).url, refreshToken),
    ),
  );
}

/**
 * All answers are 200 with one and the same body, a rotation to generation 1 of `minted`.
 * `context` adds e.g. the servers' logs to a failure message.
 */
export function expectOneAnswer(
  results: HttpResult[],
  minted: MintedSession,
  context: () => string = () => '',
): TokenResponse {
  const statuses = results.map((r) => r.status);
  expect(statuses, `statuses\n${context()}`).toEqual(results.map(() => 200));
  expect(new Set(results.map((r) => r.text)).size).toBe(1);
  const body = (results[0] as HttpResult).json as TokenResponse;
  expect(body.refresh_token).toMatch(/^rt_/);
  expect(body.refresh_token).not.toBe(minted.refreshToken);
  expect(decodeJwt(body.access_token)).toMatchObject({ sid: minted.sessionId, gen: 1 });
  return body;
}

/**
 * Fires `perToken` refreshes of each minted session's token, all at once, spread over `servers`
 * (the i-th refresh of session s goes to servers[(i + s) % servers.length]), and expects each
 * session to have rotated exactly once with one answer for all its refreshes, and the sessions'
 * successors to differ: no answer crossed over to another session.
 */
export async function expectEachRotatedOnce(
  servers: ServerProcess[],
  sessions: MintedSession[],
  perToken: number,
  context: () => string = () => '',
): Promise<void> {
  const requests = sessions.flatMap((minted, s) =>
    Array.from({ length: perToken }, (_, i) => ({
      session: s,
      server: servers[(i + s) % servers.length] as ServerProcess,
      refreshToken: minted.refreshToken,
    })),
  );
  expect(requests).toHaveLength(sessions.length * perToken);
  const results = await Promise.all(
    requests.map((request) => refreshAt(request.server.url, request.refreshToken)),
  );
  const refreshTokens = new Set<string>();
  sessions.forEach((minted, s) => {
    const own = results.filter((_, i) => requests[i]?.session === s);
    expect(own).toHaveLength(perToken);
    refreshTokens.add(expectOneAnswer(own, minted, context).refresh_token);
  });
  expect(refreshTokens.size).toBe(sessions.length);
}
