import { createHmac } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, UnsecuredJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVerifier,
  type Verifier,
  type VerifierOptions,
} from '../../src/client/verifier/index.js';
import {
  admin,
  cleanupServers,
  mintSession,
  refreshAt,
  startServer,
  type ServerProcess,
  type TokenResponse,
} from '../helpers/server-process.js';
import { createLocalKey, createTestClock, signLocal, type TestClock } from './local-issuer.js';

/**
 * Baton's own tokens, from a real `baton serve`, through a verifier that fetches the real JWKS:
 * genuine tokens pass; expired, early, misaddressed and forged ones are refused with the code
 * that names why.
 */

let server: ServerProcess;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  for (const verifier of verifiers) verifier.close();
  await cleanupServers();
});

function verifierFor(options: Partial<VerifierOptions> = {}, clock: TestClock = createTestClock()) {
  const verifier = createVerifier({ issuer: server.url, clock, ...options });
  verifiers.push(verifier);
  return verifier;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('genuine tokens', () => {
  it('accepts a freshly minted token and returns its claims, custom claims included', async () => {
    const minted = await mintSession(server.url, {
      subject: 'alice',
      scope: 'read write',
      claims: { tenant: 't1' },
    });
    const claims = await verifierFor().verify(minted.accessToken);
    expect(claims).toMatchObject({
      iss: server.url,
      aud: server.url,
      sub: 'alice',
      sid: minted.sessionId,
      client_id: 'default',
      scope: 'read write',
      gen: 0,
      tenant: 't1',
    });
  });

  it('accepts the access token of a refresh (generation 1)', async () => {
    const minted = await mintSession(server.url);
    const refreshed = (await refreshAt(server.url, minted.refreshToken)).json as TokenResponse;
    const claims = await verifierFor().verify(refreshed.access_token);
    expect(claims.gen).toBe(1);
    expect(claims.sid).toBe(minted.sessionId);
  });

  it('verifies many tokens with one JWKS fetch', async () => {
    let jwksFetches = 0;
    const verifier = verifierFor({
      fetch: (url, init) => {
        if (url.endsWith('/.well-known/jwks.json')) jwksFetches += 1;
        return fetch(url, init);
      },
    });
    const tokens = await Promise.all([1, 2, 3].map(() => mintSession(server.url)));
    for (const { accessToken } of tokens) await verifier.verify(accessToken);
    await Promise.all(tokens.map(({ accessToken }) => verifier.verify(accessToken)));
    expect(jwksFetches).toBe(1);
  });
});

describe('time', () => {
  it('refuses a token past exp beyond the leeway, and accepts it inside the leeway', async () => {
    const { accessToken } = await mintSession(server.url, { subject: 'alice', accessTtl: 60 });
    const { exp } = decodeJwt(accessToken) as { exp: number };
    const clock = createTestClock(exp * 1000 + 4_000);
    const verifier = verifierFor({ leeway: 5 }, clock);
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ exp });
    clock.advance(2);
    expect(await codeOf(verifier.verify(accessToken))).toBe('expired');
  });

  it('refuses a token issued in the future beyond the leeway as not_yet_valid', async () => {
    const { accessToken } = await mintSession(server.url);
    const { iat } = decodeJwt(accessToken) as { iat: number };
    const clock = createTestClock((iat - 6) * 1000);
    const verifier = verifierFor({ leeway: 5 }, clock);
    expect(await codeOf(verifier.verify(accessToken))).toBe('not_yet_valid');
    clock.advance(2);
    await expect(verifier.verify(accessToken)).resolves.toMatchObject({ iat });
  });
});

describe('audience and issuer', () => {
  it('checks aud against the issuer by default, which is what Baton uses without a client audience', async () => {
    const created = await admin(server.url, 'POST', '/admin/clients', {
      id: 'orders',
      audience: 'https://orders.example',
    });
    expect(created.status).toBe(201);
    const { accessToken } = await mintSession(server.url, { subject: 'bob', clientId: 'orders' });
    expect(decodeJwt(accessToken).aud).toBe('https://orders.example');
    expect(await codeOf(verifierFor().verify(accessToken))).toBe('wrong_audience');
    await expect(
      verifierFor({ audience: ['https://billing.example', 'https://orders.example'] }).verify(
        accessToken,
      ),
    ).resolves.toMatchObject({ sub: 'bob', client_id: 'orders' });
  });

  it('refuses a token of the default audience when the verifier expects another one', async () => {
    const { accessToken } = await mintSession(server.url);
    expect(
      await codeOf(verifierFor({ audience: 'https://orders.example' }).verify(accessToken)),
    ).toBe('wrong_audience');
  });

  it('refuses a token whose iss is not the configured issuer', async () => {
    const { accessToken } = await mintSession(server.url);
    const verifier = createVerifier({
      issuer: 'https://auth.other.example',
      audience: server.url,
      jwksUri: `${server.url}/.well-known/jwks.json`,
    });
    verifiers.push(verifier);
    expect(await codeOf(verifier.verify(accessToken))).toBe('wrong_issuer');
  });
});

describe('forgeries', () => {
  let genuine: string;
  let kid: string;
  let publishedJwk: JWK;

  beforeAll(async () => {
    genuine = (await mintSession(server.url)).accessToken;
    kid = decodeProtectedHeader(genuine).kid as string;
    const jwks = (await fetch(`${server.url}/.well-known/jwks.json`).then((r) => r.json())) as {
      keys: JWK[];
    };
    publishedJwk = jwks.keys.find((key) => key.kid === kid) as JWK;
  });

  const parts = () => genuine.split('.') as [string, string, string];
  const claims = () => decodeJwt(genuine);

  it('refuses a token whose payload was changed after signing', async () => {
    const forged = `${parts()[0]}.${b64({ ...claims(), sub: 'mallory' })}.${parts()[2]}`;
    expect(await codeOf(verifierFor().verify(forged))).toBe('bad_signature');
  });

  it('refuses alg none, whatever its spelling or signature', async () => {
    const verifier = verifierFor();
    const tokens = [
      `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${parts()[1]}.`,
      `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${parts()[1]}.${parts()[2]}`,
      `${b64({ alg: 'NONE', typ: 'at+jwt', kid })}.${parts()[1]}.`,
      new UnsecuredJWT(claims()).encode(),
    ];
    for (const token of tokens)
      expect(await codeOf(verifier.verify(token))).toBe('wrong_algorithm');
  });

  it('refuses HS256 tokens keyed with the public key (algorithm confusion)', async () => {
    const verifier = verifierFor();
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${parts()[1]}`;
    const keys = [
      Buffer.from(publishedJwk.x as string, 'base64url'),
      Buffer.from(JSON.stringify(publishedJwk)),
      Buffer.from(publishedJwk.x as string),
    ];
    for (const key of keys) {
      const mac = createHmac('sha256', key).update(input).digest('base64url');
      expect(await codeOf(verifier.verify(`${input}.${mac}`))).toBe('wrong_algorithm');
    }
  });

  it('refuses a token of a foreign key under an unknown kid', async () => {
    const foreign = await createLocalKey('EdDSA', 'foreign-kid');
    const token = await signLocal(foreign, claims());
    expect(await codeOf(verifierFor().verify(token))).toBe('unknown_key');
  });

  it('refuses a token of a foreign key that carries the real kid', async () => {
    const foreign = await createLocalKey('EdDSA', kid);
    expect(await codeOf(verifierFor().verify(await signLocal(foreign, claims())))).toBe(
      'bad_signature',
    );
  });

  it('refuses a token of another algorithm that carries the real EdDSA kid (the key’s alg is pinned)', async () => {
    const foreign = await createLocalKey('ES256', kid);
    expect(await codeOf(verifierFor().verify(await signLocal(foreign, claims())))).toBe(
      'wrong_algorithm',
    );
  });

  it('refuses a token without a kid', async () => {
    const foreign = await createLocalKey('EdDSA', 'x');
    const token = await signLocal(foreign, claims(), { kid: undefined });
    expect(decodeProtectedHeader(token).kid).toBeUndefined();
    expect(await codeOf(verifierFor().verify(token))).toBe('unknown_key');
  });

  it('refuses what is not a compact JWS as malformed', async () => {
    const verifier = verifierFor();
    for (const token of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      `${b64({ alg: 'EdDSA' }).slice(1)}.${parts()[1]}.${parts()[2]}`,
      'x'.repeat(9000),
    ])
      expect(await codeOf(verifier.verify(token))).toBe('malformed');
    expect(await codeOf(verifier.verify(42 as unknown as string))).toBe('malformed');
  });
});

describe('algorithms', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`accepts the tokens of a ${alg} Baton, and refuses them when only EdDSA is accepted`, async () => {
      const other = await startServer({ BATON_ALG: alg });
      try {
        const { accessToken } = await mintSession(other.url);
        expect(decodeProtectedHeader(accessToken).alg).toBe(alg);
        const all = createVerifier({ issuer: other.url });
        const edOnly = createVerifier({ issuer: other.url, algorithms: ['EdDSA'] });
        verifiers.push(all, edOnly);
        await expect(all.verify(accessToken)).resolves.toMatchObject({ iss: other.url });
        expect(await codeOf(edOnly.verify(accessToken))).toBe('wrong_algorithm');
      } finally {
        await other.stop();
      }
    });
  }
});

describe('key rotation', () => {
  it('accepts the tokens of a new key without a restart, and still those of the retired key', async () => {
    const clock = createTestClock();
    let jwksFetches = 0;
    const verifier = verifierFor(
      {
        jwksCooldown: 5,
        fetch: (url, init) => {
          if (url.endsWith('/.well-known/jwks.json')) jwksFetches += 1;
          return fetch(url, init);
        },
      },
      clock,
    );
    const before = (await mintSession(server.url)).accessToken;
    await verifier.verify(before);
    const rotated = await admin(server.url, 'POST', '/admin/keys/rotate');
    expect(rotated.status).toBe(201);
    const after = (await mintSession(server.url)).accessToken;
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    clock.advance(5);
    await expect(verifier.verify(after)).resolves.toMatchObject({ sub: 'alice' });
    await expect(verifier.verify(before)).resolves.toMatchObject({ sub: 'alice' });
    expect(jwksFetches).toBe(2);
  });
});
