import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { createTestService, rejectionCode } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

// A refresh with an access token alone (the payabli and transak dialects) recognises the
// session's current access token by its keyed hash and skips the signature check. These tests
// hold that shortcut to the strictness of the full check: only the very token Baton minted takes
// it, and every other token, however close, gets the full verification and its answer.

const dirs = createTempDirs();

/** The token with one base64url character of its `part` (0 header, 1 payload, 2 signature) changed. */
function tamper(token: string, part: number): string {
  const parts = token.split('.');
  const target = parts[part] as string;
  const at = Math.floor(target.length / 2);
  parts[part] = target.slice(0, at) + (target[at] === 'A' ? 'B' : 'A') + target.slice(at + 1);
  return parts.join('.');
}

describe('access-token refresh recognising the current token', () => {
  let service: TokenService;
  let store: Store;
  let path: string;

  beforeEach(async () => {
    path = join(dirs.make(), 'baton.db');
    ({ service, store } = await createTestService({ store: createSqliteStore({ path }) }));
  });
  afterEach(async () => {
    await store.close();
    dirs.cleanup();
  });

  const refresh = (accessToken: string) =>
    service.refreshByAccessToken({ accessToken, dialect: 'payabli', ip: '192.0.2.9' });

  it('keeps the hash of the current access token with its session, not the token', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const session = await store.getSession(decodeJwt(issued.accessToken).sid as string);
    expect(session?.accessHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session?.accessHash).not.toContain(issued.accessToken.slice(0, 20));
    const next = await refresh(issued.accessToken);
    const after = await store.getSession(decodeJwt(issued.accessToken).sid as string);
    expect(after?.accessHash).not.toBe(session?.accessHash);
    expect(next.tokens.generation).toBe(1);
  });

  it('refreshes with the current token and then with the token it returned', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const second = await refresh(issued.accessToken);
    const third = await refresh(second.tokens.accessToken);
    expect(third.tokens.generation).toBe(2);
  });

  it('refuses the current token with a changed payload, header or signature', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    for (const part of [0, 1, 2]) {
      expect(await rejectionCode(refresh(tamper(issued.accessToken, part)))).toBe(
        'ERR_ACCESS_TOKEN_INVALID',
      );
    }
    // The genuine token still refreshes: the forgeries changed nothing.
    expect((await refresh(issued.accessToken)).tokens.generation).toBe(1);
  });

  it('refuses the current claims signed by a key Baton does not hold', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const { privateKey } = await generateKeyPair('EdDSA');
    const header = decodeProtectedHeader(issued.accessToken);
    const forged = await new SignJWT(decodeJwt(issued.accessToken))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: header.kid as string })
      .sign(privateKey);
    expect(await rejectionCode(refresh(forged))).toBe('ERR_ACCESS_TOKEN_INVALID');
    expect((await refresh(issued.accessToken)).tokens.generation).toBe(1);
  });

  it('refuses the current token once it is revoked', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    await service.revokeToken(issued.accessToken, undefined);
    expect(await rejectionCode(refresh(issued.accessToken))).toBe('ERR_ACCESS_TOKEN_INVALID');
  });

  it('treats a superseded token as before: a retry within the grace, reuse after it', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const next = await refresh(issued.accessToken);
    const retry = await refresh(issued.accessToken);
    expect(retry.replayed).toBe(true);
    expect(retry.tokens.generation).toBe(next.tokens.generation);
  });

  it('verifies the signature of a session kept before hashes were stored', async () => {
    const issued = await service.issueSession({ subject: 'alice' });
    const db = new Database(path);
    db.prepare('UPDATE sessions SET access_hash = NULL').run();
    db.close();
    expect((await refresh(issued.accessToken)).tokens.generation).toBe(1);
    expect(await rejectionCode(refresh(tamper(issued.accessToken, 2)))).toBe(
      'ERR_ACCESS_TOKEN_INVALID',
    );
  });
});
