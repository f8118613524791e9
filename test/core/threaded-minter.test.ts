import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNING_ALGS } from '../../src/core/config.js';
import { createInlineMinter, type MintJob } from '../../src/core/mint/mint.js';
import { open, retryBoxKey } from '../../src/core/sealed-box.js';
import { createThreadedMinter } from '../../src/core/mint/threaded-minter.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createTestService, T0, verifyWithJose } from '../helpers/service.js';

function job(presentedToken: string | null): MintJob {
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })).toString(
    'base64url',
  );
  return {
    key: { kid: 'k1', alg: 'EdDSA', signingKey: KEY, encodedHeader: header },
    claims: {
      iss: 'i',
      sub: 's',
      aud: 'a',
      exp: T0 + 60,
      iat: T0,
      jti: 'j',
      sid: 'ses_x',
      client_id: 'c',
      gen: 1,
    },
    tokens: {
      tokenType: 'Bearer',
      expiresIn: 60,
      accessExpiresAt: T0 + 60,
      refreshToken: 'rt_next',
      refreshExpiresAt: T0 + 100,
      sessionExpiresAt: T0 + 1000,
      scope: '',
      sessionId: 'ses_x',
      subject: 's',
      clientId: 'c',
      generation: 1,
    },
    presentedToken,
    boxAad: 'ses_x:1',
  };
}
const KEY = generateKeyPairSync('ed25519').privateKey;

describe('minting on a worker thread', () => {
  let service: TokenService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it('mints exactly what minting inline does', async () => {
    const pepper = randomBytes(32);
    const threaded = createThreadedMinter(pepper);
    const inline = createInlineMinter(pepper);
    const [onWorker, here] = await Promise.all([
      threaded.mint(job('rt_presented')),
      inline.mint(job('rt_presented')),
    ]);
    // Ed25519 signatures are deterministic and the hash is keyed by the same pepper.
    expect(onWorker.tokens).toEqual(here.tokens);
    expect(onWorker.refreshTokenHash).toBe(here.refreshTokenHash);
    // Boxes differ by their random IV but open to the same answer.
    const opened = open(retryBoxKey('rt_presented'), onWorker.retryBox as Uint8Array, 'ses_x:1');
    expect(JSON.parse(opened?.toString() ?? 'null')).toEqual(here.tokens);
    expect((await threaded.mint(job(null))).retryBox).toBeNull();
    await threaded.close();
    // After close, minting continues on the calling thread.
    expect((await threaded.mint(job(null))).tokens).toEqual(here.tokens);
  });

  it.each(SIGNING_ALGS)(
    'serves %s sessions whose tokens verify and whose retries replay',
    async (alg) => {
      ({ service } = await createTestService({ alg, mintOnWorker: true }));
      const current = service;
      const check = async (token: string): Promise<unknown> =>
        alg === 'HS256'
          ? (await current.checkAccessToken(token)).claims.sub
          : (await verifyWithJose(current, token, T0)).sub;
      const issued = await current.issueSession({ subject: 'alice' });
      expect(await check(issued.accessToken)).toBe('alice');
      const first = await current.refresh({ refreshToken: issued.refreshToken });
      expect(await check(first.tokens.accessToken)).toBe('alice');
      const retry = await current.refresh({ refreshToken: issued.refreshToken });
      expect(retry.replayed).toBe(true);
      expect(retry.tokens).toEqual(first.tokens);
    },
  );

  it('answers 100 concurrent refreshes, each with its own token set', async () => {
    ({ service } = await createTestService({ mintOnWorker: true }));
    const current = service;
    const sessions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => current.issueSession({ subject: `user-${i}` })),
    );
    const refreshed = await Promise.all(
      sessions.map((issued) => current.refresh({ refreshToken: issued.refreshToken })),
    );
    const claims = await Promise.all(
      refreshed.map((r) => verifyWithJose(current, r.tokens.accessToken, T0)),
    );
    expect(claims.map((c) => c.sub)).toEqual(sessions.map((_, i) => `user-${i}`));
    expect(new Set(refreshed.map((r) => r.tokens.refreshToken)).size).toBe(100);
  });
});
