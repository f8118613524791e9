import { afterEach, describe, expect, it } from 'vitest';
import { SIGNING_ALGS } from '../../src/core/config.js';
import { signNow } from '../../src/core/signer.js';
import { createThreadedSigner } from '../../src/core/threaded-signer.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createTestService, T0, verifyWithJose } from '../helpers/service.js';

describe('threaded signer', () => {
  let service: TokenService | undefined;
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  it.each(SIGNING_ALGS)(
    'signs %s access tokens on the worker that verify like inline ones',
    async (alg) => {
      ({ service } = await createTestService({ alg, signer: createThreadedSigner() }));
      const current = service;
      const check = async (token: string): Promise<unknown> =>
        alg === 'HS256'
          ? (await current.checkAccessToken(token)).claims.sub
          : (await verifyWithJose(current, token, T0)).sub;
      const issued = await current.issueSession({ subject: 'alice' });
      expect(await check(issued.accessToken)).toBe('alice');
      const { tokens } = await current.refresh({ refreshToken: issued.refreshToken });
      expect(await check(tokens.accessToken)).toBe('alice');
    },
  );

  it('batches concurrent requests and answers each with its own signature', async () => {
    const signer = createThreadedSigner();
    ({ service } = await createTestService({ signer }));
    const sessions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => service?.issueSession({ subject: `user-${i}` })),
    );
    const refreshed = await Promise.all(
      sessions.map((issued) => service?.refresh({ refreshToken: issued?.refreshToken ?? '' })),
    );
    const claims = await Promise.all(
      refreshed.map((r) =>
        verifyWithJose(service as TokenService, r?.tokens.accessToken ?? '', T0),
      ),
    );
    expect(claims.map((c) => c.sub)).toEqual(sessions.map((_, i) => `user-${i}`));
  });

  it('produces the same Ed25519 signature as signing inline (deterministic scheme)', async () => {
    ({ service } = await createTestService());
    const signer = createThreadedSigner();
    const { generateKeyPairSync } = await import('node:crypto');
    const key = {
      kid: 'k',
      alg: 'EdDSA' as const,
      signingKey: generateKeyPairSync('ed25519').privateKey,
    };
    const input = Buffer.from('header.payload');
    expect(await signer.sign(key, input)).toEqual(signNow(key, input));
    await signer.close();
    // After close, signing continues on the calling thread.
    expect(await signer.sign(key, input)).toEqual(signNow(key, input));
  });
});
