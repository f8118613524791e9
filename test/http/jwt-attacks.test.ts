import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  sign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type JWK,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store.js';
import type { ManualClock } from '../../src/core/clock.js';
import type { SigningAlg } from '../../src/core/config.js';
import { isBatonError } from '../../src/core/errors.js';
import { KEY_RETENTION_TTL } from '../../src/core/keyring.js';
import type { TokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createTestService, ISSUER, T0 } from '../helpers/service.js';

/**
 * Forged and doctored access tokens: Baton pins the accepted JWT algorithms and rejects
 * `alg: none`, algorithm confusion and unknown `kid`s (docs/refresh-rules.md, "Signing keys").
 * Each is presented to the core (checkAccessToken, introspect) and over HTTP to /oauth/introspect
 * (as the admin) and /oauth/revoke. Every forgery carries the claims of a genuine token, jti
 * included, so a revocation that trusted it would revoke the genuine token: that is checked too.
 */

/** A copy of `claims` without `name`. */
function without(claims: JWTPayload, name: string): JWTPayload {
  return Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name));
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS over `header` and `payload`, signed by `sign` (empty signature when absent). */
function compact(
  header: Record<string, unknown>,
  payload: unknown,
  sign?: (input: Buffer) => Buffer,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign === undefined ? '' : sign(Buffer.from(input)).toString('base64url')}`;
}

/** An HS256 token whose HMAC key is `key`: the algorithm-confusion forgery. */
function hmacToken(
  header: Record<string, unknown>,
  payload: unknown,
  key: Buffer | string,
): string {
  return compact(header, payload, (input) => createHmac('sha256', key).update(input).digest());
}

/** What the forgeries are built from. */
interface Material {
  alg: SigningAlg;
  /** The server's active kid. */
  kid: string;
  /** A genuine access token and its claims. */
  genuine: string;
  claims: JWTPayload;
  /** The server's own signing key, read from the store (to isolate each non-signature check). */
  serverKey: KeyObject;
  /** The server's public key (`null` for HS256). */
  publicKey: KeyObject | null;
  /** The JWKS member of the active key (`null` for HS256). */
  publishedJwk: JWK | null;
  /** A key of the same algorithm that is not the server's. */
  foreignKey: KeyObject;
  foreignPublicJwk: JWK | null;
  /** A genuine token of another Baton deployment with the same issuer. */
  otherDeploymentToken: string;
}

/** The JWS algorithm of a foreign asymmetric key, for the asymmetric-switch forgery. */
const OTHER_ASYMMETRIC: Record<SigningAlg, Exclude<SigningAlg, 'HS256'>> = {
  EdDSA: 'ES256',
  ES256: 'RS256',
  RS256: 'EdDSA',
  HS256: 'EdDSA',
};

async function signWith(
  key: KeyObject,
  alg: string,
  header: Record<string, unknown>,
  payload: JWTPayload,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg }).sign(key);
}

/** Signs a JWS signing input with node:crypto, for headers jose refuses to produce. */
function nodeSigner(key: KeyObject, alg: SigningAlg): (input: Buffer) => Buffer {
  switch (alg) {
    case 'EdDSA':
      return (input) => sign(null, input, key);
    case 'ES256':
      return (input) => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return (input) => sign('sha256', input, key);
    case 'HS256':
      return (input) => createHmac('sha256', key).update(input).digest();
  }
}

async function foreignKeyOf(alg: SigningAlg): Promise<{ key: KeyObject; jwk: JWK | null }> {
  if (alg === 'HS256') return { key: createSecretKey(randomBytes(32)), jwk: null };
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const key = createPrivateKey({ key: (await exportJWK(privateKey)) as JsonWebKey, format: 'jwk' });
  return { key, jwk: await exportJWK(publicKey) };
}

interface Forgery {
  name: string;
  /** Algorithms of the server this forgery makes sense against. */
  against?: SigningAlg[];
  /**
   * A token with a valid signature of the server whose only fault is its session (a generation
   * that never was, a session that does not exist). Revoking its own jti is then harmless, so
   * only the status of /oauth/revoke is checked.
   */
  revocable?: true;
  forge(m: Material): Promise<string> | string;
}

const ASYMMETRIC: SigningAlg[] = ['EdDSA', 'ES256', 'RS256'];

/** The raw public key bytes: Ed25519 x, the uncompressed EC point, or the RSA modulus. */
function rawPublicBytes(m: Material): Buffer {
  const jwk = m.publishedJwk as Required<Pick<JWK, 'x' | 'y' | 'n'>> & JWK;
  if (m.alg === 'EdDSA') return Buffer.from(jwk.x, 'base64url');
  if (m.alg === 'ES256') {
    return Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x, 'base64url'),
      Buffer.from(jwk.y, 'base64url'),
    ]);
  }
  return Buffer.from(jwk.n, 'base64url');
}

const header = (m: Material, extra: Record<string, unknown> = {}) => ({
  alg: m.alg,
  typ: 'at+jwt',
  kid: m.kid,
  ...extra,
});

const FORGERIES: Forgery[] = [
  // alg: none
  {
    name: 'alg "none" with the real kid and no signature',
    forge: (m) => compact({ alg: 'none', typ: 'at+jwt', kid: m.kid }, m.claims),
  },
  {
    name: 'alg "none" built by jose UnsecuredJWT',
    forge: (m) => new UnsecuredJWT(m.claims).encode(),
  },
  {
    name: 'alg "none" keeping the genuine signature',
    forge: (m) =>
      `${b64({ alg: 'none', typ: 'at+jwt', kid: m.kid })}.${m.genuine.split('.')[1]}.${m.genuine.split('.')[2]}`,
  },
  {
    name: 'alg "None" (case variant)',
    forge: (m) => compact({ alg: 'None', typ: 'at+jwt', kid: m.kid }, m.claims),
  },
  {
    name: 'alg "NONE" (case variant)',
    forge: (m) => compact({ alg: 'NONE', typ: 'at+jwt', kid: m.kid }, m.claims),
  },
  {
    name: 'no alg at all',
    forge: (m) => compact({ typ: 'at+jwt', kid: m.kid }, m.claims),
  },
  {
    name: 'the genuine header with the signature stripped',
    forge: (m) => `${m.genuine.split('.').slice(0, 2).join('.')}.`,
  },
  // Algorithm confusion: HS256 keyed with the server's public key in every likely encoding.
  {
    name: 'HS256 keyed with the raw public key bytes',
    against: ASYMMETRIC,
    forge: (m) => hmacToken(header(m, { alg: 'HS256' }), m.claims, rawPublicBytes(m)),
  },
  {
    name: 'HS256 keyed with the JWKS member as JSON',
    against: ASYMMETRIC,
    forge: (m) => hmacToken(header(m, { alg: 'HS256' }), m.claims, JSON.stringify(m.publishedJwk)),
  },
  {
    name: 'HS256 keyed with the bare public JWK as JSON',
    against: ASYMMETRIC,
    forge: (m) =>
      hmacToken(
        header(m, { alg: 'HS256' }),
        m.claims,
        JSON.stringify(m.publicKey?.export({ format: 'jwk' })),
      ),
  },
  {
    name: 'HS256 keyed with the SPKI PEM of the public key',
    against: ASYMMETRIC,
    forge: (m) =>
      hmacToken(
        header(m, { alg: 'HS256' }),
        m.claims,
        String(m.publicKey?.export({ type: 'spki', format: 'pem' })),
      ),
  },
  {
    name: 'HS256 keyed with the SPKI PEM without its final newline',
    against: ASYMMETRIC,
    forge: (m) =>
      hmacToken(
        header(m, { alg: 'HS256' }),
        m.claims,
        String(m.publicKey?.export({ type: 'spki', format: 'pem' })).trimEnd(),
      ),
  },
  {
    name: 'HS256 keyed with the SPKI DER of the public key',
    against: ASYMMETRIC,
    forge: (m) =>
      hmacToken(
        header(m, { alg: 'HS256' }),
        m.claims,
        m.publicKey?.export({ type: 'spki', format: 'der' }) ?? Buffer.alloc(0),
      ),
  },
  {
    name: 'HS256 keyed with the kid',
    forge: (m) => hmacToken(header(m, { alg: 'HS256' }), m.claims, m.kid),
  },
  {
    name: 'HS256 keyed with an empty key',
    forge: (m) => hmacToken(header(m, { alg: 'HS256' }), m.claims, Buffer.alloc(0)),
  },
  // Foreign keys.
  {
    name: 'a foreign key of the same algorithm carrying the real kid',
    forge: (m) => signWith(m.foreignKey, m.alg, { typ: 'at+jwt', kid: m.kid }, m.claims),
  },
  {
    name: 'a foreign key of another asymmetric algorithm carrying the real kid',
    forge: async (m) => {
      const other = OTHER_ASYMMETRIC[m.alg];
      const { key } = await foreignKeyOf(other);
      return signWith(key, other, { typ: 'at+jwt', kid: m.kid }, m.claims);
    },
  },
  {
    name: 'a foreign key with an unknown kid',
    forge: (m) => signWith(m.foreignKey, m.alg, { typ: 'at+jwt', kid: 'attacker-key' }, m.claims),
  },
  {
    name: 'a foreign key with no kid',
    forge: (m) => signWith(m.foreignKey, m.alg, { typ: 'at+jwt' }, m.claims),
  },
  {
    name: 'a foreign key embedded in the header as "jwk", with the real kid',
    against: ASYMMETRIC,
    forge: (m) =>
      signWith(
        m.foreignKey,
        m.alg,
        { typ: 'at+jwt', kid: m.kid, jwk: m.foreignPublicJwk },
        m.claims,
      ),
  },
  {
    name: 'a foreign key announced by "jku", with the real kid',
    forge: (m) =>
      signWith(
        m.foreignKey,
        m.alg,
        { typ: 'at+jwt', kid: m.kid, jku: 'https://attacker.test/jwks.json' },
        m.claims,
      ),
  },
  ...['../../../etc/passwd', "' OR '1'='1", '__proto__', 'constructor', '', ' '].map(
    (kid): Forgery => ({
      name: `a foreign key with the kid ${JSON.stringify(kid)}`,
      forge: (m) => signWith(m.foreignKey, m.alg, { typ: 'at+jwt', kid }, m.claims),
    }),
  ),
  {
    name: 'a foreign key with a numeric kid',
    forge: (m) => signWith(m.foreignKey, m.alg, { typ: 'at+jwt', kid: 1 }, m.claims),
  },
  {
    name: 'a genuine token of another Baton deployment with the same issuer',
    forge: (m) => m.otherDeploymentToken,
  },
  // The server's own key, so that only the one named check can refuse the token.
  {
    name: 'the real key without a kid',
    forge: (m) => signWith(m.serverKey, m.alg, { typ: 'at+jwt' }, m.claims),
  },
  {
    name: 'the real key with an unknown kid',
    forge: (m) => signWith(m.serverKey, m.alg, { typ: 'at+jwt', kid: `${m.kid}x` }, m.claims),
  },
  {
    name: 'the real key with typ "JWT"',
    forge: (m) => signWith(m.serverKey, m.alg, { typ: 'JWT', kid: m.kid }, m.claims),
  },
  {
    name: 'the real key with no typ',
    forge: (m) => signWith(m.serverKey, m.alg, { kid: m.kid }, m.claims),
  },
  {
    name: 'the real key with typ "id_token+jwt"',
    forge: (m) => signWith(m.serverKey, m.alg, { typ: 'id_token+jwt', kid: m.kid }, m.claims),
  },
  {
    name: 'the real key with another issuer',
    forge: (m) =>
      signWith(m.serverKey, m.alg, header(m), { ...m.claims, iss: 'https://evil.test' }),
  },
  {
    name: 'the real key with the issuer plus a trailing slash',
    forge: (m) => signWith(m.serverKey, m.alg, header(m), { ...m.claims, iss: `${ISSUER}/` }),
  },
  {
    name: 'the real key with no issuer',
    forge: (m) => signWith(m.serverKey, m.alg, header(m), without(m.claims, 'iss')),
  },
  {
    name: 'the real key, expired a second ago',
    forge: (m) =>
      signWith(m.serverKey, m.alg, header(m), { ...m.claims, iat: T0 - 901, exp: T0 - 1 }),
  },
  {
    name: 'the real key, expiring right now',
    forge: (m) => signWith(m.serverKey, m.alg, header(m), { ...m.claims, exp: T0 }),
  },
  {
    name: 'the real key with no exp',
    forge: (m) => signWith(m.serverKey, m.alg, header(m), without(m.claims, 'exp')),
  },
  {
    name: 'the real key with exp as a string',
    forge: (m) =>
      signWith(m.serverKey, m.alg, header(m), {
        ...m.claims,
        exp: String(T0 + 900) as unknown as number,
      }),
  },
  {
    name: 'the real key, not valid before an hour from now',
    forge: (m) => signWith(m.serverKey, m.alg, header(m), { ...m.claims, nbf: T0 + 3600 }),
  },
  {
    name: 'the real key with gen as a string',
    forge: (m) =>
      signWith(m.serverKey, m.alg, header(m), { ...m.claims, gen: String(m.claims.gen) }),
  },
  {
    name: 'the real key with a later generation',
    revocable: true,
    forge: (m) =>
      signWith(m.serverKey, m.alg, header(m), {
        ...m.claims,
        gen: Number(m.claims.gen) + 1,
        jti: randomBytes(16).toString('base64url'),
      }),
  },
  {
    name: 'the real key with no sid',
    forge: (m) => signWith(m.serverKey, m.alg, header(m), without(m.claims, 'sid')),
  },
  {
    name: 'the real key with the sid of no session',
    revocable: true,
    forge: (m) =>
      signWith(m.serverKey, m.alg, header(m), {
        ...m.claims,
        sid: 'ses_nope',
        jti: randomBytes(16).toString('base64url'),
      }),
  },
  {
    name: 'the real key with a critical header extension it does not know',
    // jose will not sign this, so node:crypto does.
    forge: (m) =>
      compact(
        { ...header(m), crit: ['urn:attacker:ext'], 'urn:attacker:ext': true },
        m.claims,
        nodeSigner(m.serverKey, m.alg),
      ),
  },
  // Doctored genuine tokens.
  {
    name: 'the genuine token with sub changed in the payload',
    forge: (m) => {
      const [h, , s] = m.genuine.split('.');
      return `${h}.${b64({ ...m.claims, sub: 'admin' })}.${s}`;
    },
  },
  {
    name: 'the genuine token with exp pushed a year out',
    forge: (m) => {
      const [h, , s] = m.genuine.split('.');
      return `${h}.${b64({ ...m.claims, exp: T0 + 365 * 86_400 })}.${s}`;
    },
  },
  {
    name: 'the genuine token with scope widened',
    forge: (m) => {
      const [h, , s] = m.genuine.split('.');
      return `${h}.${b64({ ...m.claims, scope: 'read write admin' })}.${s}`;
    },
  },
  {
    name: 'the genuine token with one signature bit flipped',
    forge: (m) => {
      const [h, p, s] = m.genuine.split('.') as [string, string, string];
      const signature = Buffer.from(s, 'base64url');
      signature[0] = (signature[0] ?? 0) ^ 1;
      return `${h}.${p}.${signature.toString('base64url')}`;
    },
  },
  {
    name: 'the genuine token with the header re-encoded (same JSON, other bytes)',
    forge: (m) => {
      const [h, p, s] = m.genuine.split('.') as [string, string, string];
      const decoded = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as object;
      return `${Buffer.from(JSON.stringify(decoded, null, 1)).toString('base64url')}.${p}.${s}`;
    },
  },
  {
    name: 'the genuine token with a fourth segment',
    forge: (m) => `${m.genuine}.${m.genuine.split('.')[2]}`,
  },
  {
    name: 'the genuine token in JWS JSON serialization',
    forge: (m) => {
      const [h, p, s] = m.genuine.split('.');
      return JSON.stringify({ protected: h, payload: p, signature: s });
    },
  },
  {
    name: 'the genuine token with padding characters',
    forge: (m) => m.genuine.replace(/\./g, '=.'),
  },
];

describe.each(['EdDSA', 'ES256', 'RS256', 'HS256'] as const)(
  'forged access tokens against a %s service',
  (alg) => {
    let service: TokenService;
    let clock: ManualClock;
    let app: FastifyInstance;
    let material: Material;
    let ip = 0;

    beforeAll(async () => {
      let store: Store;
      ({ service, clock, store } = await createTestService({ alg }));
      app = await createApp({ service, logger: false });
      const issued = await service.issueSession({
        subject: 'victim',
        scope: 'read write',
        claims: { tenant: 't1' },
      });
      const record = (await store.listKeys()).find((key) => key.retiredAt === null);
      if (record === undefined) throw new Error('no active key');
      const serverKey =
        alg === 'HS256'
          ? createSecretKey(
              Buffer.from((JSON.parse(record.privateKey) as { k: string }).k, 'base64url'),
            )
          : createPrivateKey({ key: JSON.parse(record.privateKey) as JsonWebKey, format: 'jwk' });
      const foreign = await foreignKeyOf(alg);
      const other = await createTestService({ alg });
      const otherIssued = await other.service.issueSession({ subject: 'victim' });
      await other.service.close();
      material = {
        alg,
        kid: record.kid,
        genuine: issued.accessToken,
        claims: decodeJwt(issued.accessToken),
        serverKey,
        publicKey: alg === 'HS256' ? null : createPublicKey(serverKey),
        publishedJwk: service.jwks().keys.find((key) => key.kid === record.kid) ?? null,
        foreignKey: foreign.key,
        foreignPublicJwk: foreign.jwk,
        otherDeploymentToken: otherIssued.accessToken,
      };
    });

    afterAll(async () => {
      await app.close();
      await service.close();
    });

    async function introspectOverHttp(token: string): Promise<unknown> {
      ip += 1;
      const response = await app.inject({
        method: 'POST',
        url: '/oauth/introspect',
        remoteAddress: `10.1.0.${ip % 250}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { token },
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    }

    it('controls: the genuine token, and one re-signed with the real key, are active', async () => {
      // Without these, every refusal below could be a broken test rather than a working check.
      expect(decodeProtectedHeader(material.genuine)).toEqual({
        alg,
        typ: 'at+jwt',
        kid: material.kid,
      });
      await expect(service.checkAccessToken(material.genuine)).resolves.toBeDefined();
      const resigned = await signWith(
        material.serverKey,
        alg,
        { typ: 'at+jwt', kid: material.kid },
        material.claims,
      );
      expect(await service.introspect(resigned, 'admin')).toMatchObject({
        active: true,
        sub: 'victim',
      });
      expect(await introspectOverHttp(resigned)).toMatchObject({ active: true, sub: 'victim' });
      const nodeSigned = compact(
        { alg, typ: 'at+jwt', kid: material.kid },
        material.claims,
        nodeSigner(material.serverKey, alg),
      );
      expect(await service.introspect(nodeSigned, 'admin')).toMatchObject({
        active: true,
        sub: 'victim',
      });
    });

    const forgeries = FORGERIES.filter((forgery) => forgery.against?.includes(alg) ?? true);
    let forgeryCount = 0;
    it.each(forgeries)('$name: refused everywhere, and revokes nothing', async (forgery) => {
      const { forge } = forgery;
      clock.set(T0);
      const token = await forge(material);
      expect(token).not.toBe(material.genuine);

      const error = await service.checkAccessToken(token).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isBatonError(error, 'ERR_ACCESS_TOKEN_INVALID'), String(error)).toBe(true);
      expect(await service.introspect(token, 'admin')).toEqual({ active: false });
      expect(await introspectOverHttp(token)).toEqual({ active: false });

      const revokedBefore = await service.listEvents({ type: 'access_token.revoked', limit: 100 });
      // Each forgery from its own address: a no-op revocation spends the caller's revoke budget.
      forgeryCount += 1;
      const revoke = await app.inject({
        method: 'POST',
        url: '/oauth/revoke',
        remoteAddress: `10.2.${Math.floor(forgeryCount / 250)}.${(forgeryCount % 250) + 1}`,
        payload: { token },
      });
      // RFC 7009 §2.2: an invalid token is answered with 200, and nothing is revoked.
      expect(revoke.statusCode, revoke.body).toBe(200);
      if (forgery.revocable === true) return;
      expect(await service.listEvents({ type: 'access_token.revoked', limit: 100 })).toEqual(
        revokedBefore,
      );
      await expect(service.checkAccessToken(material.genuine)).resolves.toBeDefined();
      expect((await service.getSession(String(material.claims.sid)))?.status).toBe('active');
    });

    it('refuses the genuine token once it has expired', async () => {
      clock.set(Number(material.claims.exp) + 1);
      try {
        await expect(service.checkAccessToken(material.genuine)).rejects.toMatchObject({
          code: 'ERR_ACCESS_TOKEN_INVALID',
          message: 'the access token has expired',
        });
        expect(await introspectOverHttp(material.genuine)).toEqual({ active: false });
      } finally {
        clock.set(T0);
      }
    });
  },
);

describe('a key retired long ago', () => {
  it.each(['EdDSA', 'ES256', 'RS256', 'HS256'] as const)(
    '%s: is trusted until KEY_RETENTION_TTL after its retirement, then refused and unpublished',
    async (alg) => {
      const { service, clock, store } = await createTestService({ alg });
      const app = await createApp({ service, logger: false });
      try {
        const issued = await service.issueSession({ subject: 'victim' });
        const old = (await store.listKeys())[0];
        if (old === undefined) throw new Error('no key');
        const oldKey =
          alg === 'HS256'
            ? createSecretKey(
                Buffer.from((JSON.parse(old.privateKey) as { k: string }).k, 'base64url'),
              )
            : createPrivateKey({ key: JSON.parse(old.privateKey) as JsonWebKey, format: 'jwk' });
        clock.advance(60);
        await service.rotateKeys();
        const retiredAt = T0 + 60;
        // A token signed by the old key, fresh at time `at`, for the live session.
        const signedAt = (at: number): Promise<string> =>
          signWith(
            oldKey,
            alg,
            { typ: 'at+jwt', kid: old.kid },
            {
              ...decodeJwt(issued.accessToken),
              iat: at,
              exp: at + 600,
            },
          );
        const introspect = async (token: string): Promise<unknown> =>
          (
            await app.inject({
              method: 'POST',
              url: '/oauth/introspect',
              headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
              payload: { token },
            })
          ).json();

        const lastTrusted = retiredAt + KEY_RETENTION_TTL - 1;
        clock.set(lastTrusted);
        const stillTrusted = await signedAt(lastTrusted);
        expect(await service.introspect(stillTrusted, 'admin')).toMatchObject({ active: true });
        if (alg !== 'HS256') {
          expect(service.jwks().keys.map((key) => key.kid)).toContain(old.kid);
        }

        clock.set(retiredAt + KEY_RETENTION_TTL);
        const tooLate = await signedAt(retiredAt + KEY_RETENTION_TTL);
        await expect(service.checkAccessToken(tooLate)).rejects.toMatchObject({
          code: 'ERR_ACCESS_TOKEN_INVALID',
        });
        expect(await service.introspect(tooLate, 'admin')).toEqual({ active: false });
        expect(await introspect(tooLate)).toEqual({ active: false });
        expect(await introspect(issued.accessToken)).toEqual({ active: false });
        expect(service.jwks().keys.map((key) => key.kid)).not.toContain(old.kid);
        // A reload from the store (which still holds the row) does not bring it back.
        await service.reloadKeys();
        expect(await service.introspect(tooLate, 'admin')).toEqual({ active: false });
      } finally {
        await app.close();
        await service.close();
      }
    },
  );
});
