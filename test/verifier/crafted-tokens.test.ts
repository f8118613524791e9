import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, type VerifierOptions } from '../../src/client/verifier/index.js';
import {
  batonLikeClaims,
  createLocalKey,
  createTestClock,
  signLocal,
  signRaw,
  startLocalIssuer,
  type LocalIssuer,
  type LocalKey,
} from './local-issuer.js';

/**
 * Tokens Baton never signs (another `typ`, an `nbf`, missing claims, odd JWKS entries), signed
 * with keys of a small local issuer whose JWKS the verifier fetches over real HTTP.
 */

let issuer: LocalIssuer;
let ed: LocalKey;
let es: LocalKey;
const now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  ed = await createLocalKey('EdDSA', 'ed-1');
  es = await createLocalKey('ES256', 'es-1');
  issuer = await startLocalIssuer([ed, es]);
});

afterAll(async () => {
  await issuer.close();
});

function verifierFor(options: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    clock: createTestClock(now * 1000),
    ...options,
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const claims = (extra = {}) => batonLikeClaims(issuer.issuer, now, extra);

describe('typ (RFC 9068 §4)', () => {
  it('accepts at+jwt and application/at+jwt', async () => {
    const verifier = verifierFor();
    await expect(verifier.verify(await signLocal(ed, claims()))).resolves.toMatchObject({
      sub: 'alice',
    });
    await expect(
      verifier.verify(await signLocal(ed, claims(), { typ: 'application/at+jwt' })),
    ).resolves.toMatchObject({ sub: 'alice' });
  });

  it('refuses JWT, another typ and no typ at all as wrong_type', async () => {
    const verifier = verifierFor();
    for (const typ of ['JWT', 'id_token+jwt', undefined]) {
      const token = await signLocal(ed, claims(), { typ });
      expect(await codeOf(verifier.verify(token)), String(typ)).toBe('wrong_type');
    }
  });
});

describe('claims', () => {
  it('refuses an nbf beyond the leeway as not_yet_valid and accepts one inside it', async () => {
    const verifier = verifierFor({ leeway: 5 });
    expect(await codeOf(verifier.verify(await signLocal(ed, claims({ nbf: now + 6 }))))).toBe(
      'not_yet_valid',
    );
    await expect(
      verifier.verify(await signLocal(ed, claims({ nbf: now + 4 }))),
    ).resolves.toMatchObject({ nbf: now + 4 });
  });

  it('accepts an aud list naming the audience', async () => {
    const token = await signLocal(ed, claims({ aud: ['https://other.example', 'api'] }));
    await expect(verifierFor({ audience: 'api' }).verify(token)).resolves.toMatchObject({
      sub: 'alice',
    });
    expect(await codeOf(verifierFor({ audience: 'web' }).verify(token))).toBe('wrong_audience');
  });

  it('refuses a token missing any of Baton’s claims as malformed', async () => {
    const verifier = verifierFor();
    for (const name of ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id', 'gen']) {
      const token = await signLocal(ed, { ...claims(), [name]: undefined });
      expect(await codeOf(verifier.verify(token)), name).toBe('malformed');
    }
  });

  it('refuses claims of the wrong type as malformed', async () => {
    const verifier = verifierFor();
    const bad = [{ gen: '0' }, { gen: -1 }, { gen: 1.5 }, { sid: 7 }, { sub: '' }, { scope: 3 }];
    for (const extra of bad) {
      const token = await signLocal(ed, claims(extra));
      expect(await codeOf(verifier.verify(token)), JSON.stringify(extra)).toBe('malformed');
    }
    const exp = await signLocal(ed, claims({ exp: 'later' }));
    expect(await codeOf(verifier.verify(exp))).toBe('malformed');
  });

  it('refuses a payload that is not a JSON object, under a valid signature', async () => {
    const header = { alg: 'EdDSA', typ: 'at+jwt', kid: ed.kid };
    for (const payload of ['[1,2,3]', '"text"', 'not json'])
      expect(await codeOf(verifierFor().verify(signRaw(ed, header, payload))), payload).toBe(
        'malformed',
      );
  });

  it('refuses an unknown critical header parameter', async () => {
    const header = { alg: 'EdDSA', typ: 'at+jwt', kid: ed.kid, crit: ['x-baton'], 'x-baton': 1 };
    const token = signRaw(ed, header, JSON.stringify(claims()));
    expect(await codeOf(verifierFor().verify(token))).toBe('malformed');
  });
});

describe('pinned algorithms', () => {
  it('refuses an EdDSA token carrying the kid of the ES256 key', async () => {
    const impostor = { ...(await createLocalKey('EdDSA', es.kid)) };
    expect(await codeOf(verifierFor().verify(await signLocal(impostor, claims())))).toBe(
      'wrong_algorithm',
    );
  });

  it('accepts only the algorithms listed', async () => {
    const verifier = verifierFor({ algorithms: ['ES256'] });
    await expect(verifier.verify(await signLocal(es, claims()))).resolves.toMatchObject({
      sub: 'alice',
    });
    expect(await codeOf(verifier.verify(await signLocal(ed, claims())))).toBe('wrong_algorithm');
  });
});

describe('JWKS entries', () => {
  it('trusts only signing keys with their own alg, never private parts or symmetric keys', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'with-d', alg: 'EdDSA' };
    const noAlg = await createLocalKey('EdDSA', 'no-alg');
    const enc = await createLocalKey('EdDSA', 'enc');
    const twinA = await createLocalKey('EdDSA', 'twin');
    const twinB = await createLocalKey('EdDSA', 'twin');
    const own = await startLocalIssuer([]);
    own.publish({
      keys: [
        privateJwk,
        { ...noAlg.publicJwk, alg: undefined },
        { ...enc.publicJwk, use: 'enc' },
        twinA.publicJwk,
        twinB.publicJwk,
        { kty: 'oct', kid: 'hs', alg: 'HS256', k: Buffer.from('secret').toString('base64url') },
        { kty: 'EC', kid: 'bad-curve', alg: 'ES256', crv: 'P-384', x: 'AA', y: 'AA' },
        'not a key',
      ],
    });
    try {
      const verifier = createVerifier({
        issuer: own.issuer,
        jwksUri: own.jwksUri,
        clock: createTestClock(now * 1000),
      });
      const withD = { kid: 'with-d', alg: 'EdDSA', privateKey, publicJwk: privateJwk };
      await expect(
        verifier.verify(await signLocal(withD, batonLikeClaims(own.issuer, now))),
      ).resolves.toMatchObject({ sub: 'alice' });
      expect(verifier.status().jwks.kids).toEqual(['with-d']);
      for (const key of [noAlg, enc, twinA, twinB]) {
        const token = await signLocal(key, batonLikeClaims(own.issuer, now));
        expect(await codeOf(verifier.verify(token)), key.kid).toBe('unknown_key');
      }
      const hs = await new SignJWT(batonLikeClaims(own.issuer, now))
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'hs' })
        .sign(Buffer.from('secret'));
      expect(await codeOf(verifier.verify(hs))).toBe('wrong_algorithm');
    } finally {
      await own.close();
    }
  });
});
