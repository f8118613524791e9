import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { deriveSecrets } from '../../src/core/secrets.js';
import { loadSigningKey } from '../../src/core/signing-keys.js';
import { createTokenService } from '../../src/core/token-service.js';
import { createApp } from '../../src/http/app.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { ISSUER, T0 } from '../helpers/service.js';
import { createTempDirs } from '../helpers/temp-dir.js';

/**
 * Refresh tokens are stored only as keyed hashes (HMAC-SHA-256 under the server pepper, see
 * docs/refresh-rules.md), and no token is stored in plain text. This reads the raw bytes of a real
 * SQLite database (and its write-ahead log) after a realistic run through the HTTP faces, and looks
 * for every token and secret that run handled.
 */

const dirs = createTempDirs();
const SECRET = 'a-master-secret-of-at-least-32-characters';

afterEach(() => dirs.cleanup());

/** The byte strings by which a secret value could be found: whole, its random body, raw bytes. */
function needlesOf(label: string, value: string): { label: string; bytes: Buffer }[] {
  const needles = [{ label: `${label} (whole)`, bytes: Buffer.from(value) }];
  const prefixed = /^(rt_|cs_|bat_)([A-Za-z0-9_-]+)$/.exec(value);
  if (prefixed !== null) {
    const body = prefixed[2] ?? '';
    needles.push({ label: `${label} (base64url body)`, bytes: Buffer.from(body) });
    needles.push({ label: `${label} (raw bytes)`, bytes: Buffer.from(body, 'base64url') });
  }
  const jwt = value.split('.');
  if (jwt.length === 3) {
    // The header is the same for every token of a key; the payload and signature are the token.
    needles.push({ label: `${label} (payload segment)`, bytes: Buffer.from(jwt[1] ?? '') });
    needles.push({ label: `${label} (signature segment)`, bytes: Buffer.from(jwt[2] ?? '') });
    needles.push({
      label: `${label} (raw signature)`,
      bytes: Buffer.from(jwt[2] ?? '', 'base64url'),
    });
  }
  return needles;
}

function readAll(dir: string): { name: string; bytes: Buffer }[] {
  return readdirSync(dir).map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}

describe.each([
  ['without a master secret', undefined],
  ['with a master secret', SECRET],
] as const)('a SQLite database at rest, %s', (_label, secret) => {
  it('holds no refresh token, access token, client secret or admin token, in the file or its WAL', async () => {
    const dir = dirs.make();
    const path = join(dir, 'baton.db');
    const clock = createManualClock(T0);
    const store = createSqliteStore({ path });
    const service = await createTokenService({
      issuer: ISSUER,
      store,
      clock,
      ...(secret === undefined ? {} : { secret }),
    });
    const app: FastifyInstance = await createApp({ service, logger: false });
    const adminToken = service.generatedAdminToken;
    if (adminToken === undefined) throw new Error('expected a generated admin token');
    const admin = { authorization: `Bearer ${adminToken}` };
    const handled: { label: string; value: string }[] = [
      { label: 'admin token', value: adminToken },
    ];
    const keep = (label: string, value: unknown): string => {
      expect(typeof value).toBe('string');
      handled.push({ label, value: value as string });
      return value as string;
    };

    const mint = async (subject: string, clientId?: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/admin/sessions',
        headers: admin,
        payload: {
          subject,
          scope: 'read write',
          claims: { tenant: 'acme' },
          ...(clientId ? { clientId } : {}),
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      const body = response.json<{
        sessionId: string;
        accessToken: string;
        refreshToken: string;
      }>();
      keep(`${subject} first access token`, body.accessToken);
      keep(`${subject} first refresh token`, body.refreshToken);
      return body;
    };
    const refresh = async (refreshToken: string, headers: Record<string, string> = {}) => {
      const response = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers,
        payload: { grant_type: 'refresh_token', refresh_token: refreshToken },
      });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json<{ access_token: string; refresh_token: string }>();
      keep('refreshed access token', body.access_token);
      keep('refreshed refresh token', body.refresh_token);
      return body;
    };

    // Sessions, refreshed twice each, with a retry inside the reuse grace.
    const alice = await mint('alice-at-rest');
    const bob = await mint('bob-at-rest');
    clock.advance(5);
    const alice1 = await refresh(alice.refreshToken);
    const retried = await refresh(alice.refreshToken);
    expect(retried).toEqual(alice1);
    clock.advance(30);
    const alice2 = await refresh(alice1.refresh_token);
    const bob1 = await refresh(bob.refreshToken);

    // A logout by refresh token, and a single access token revoked by jti.
    const logout = await app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      payload: { token: bob1.refresh_token },
    });
    expect(logout.statusCode).toBe(200);
    expect((await service.getSession(bob.sessionId))?.status).toBe('revoked');
    const revokeAccess = await app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      payload: { token: alice2.access_token },
    });
    expect(revokeAccess.statusCode).toBe(200);
    expect(await service.introspect(alice2.access_token, 'admin')).toEqual({ active: false });

    // A confidential client, its session, a refresh with HTTP Basic and an introspection.
    const created = await app.inject({
      method: 'POST',
      url: '/admin/clients',
      headers: admin,
      payload: { id: 'backend', confidential: true },
    });
    expect(created.statusCode, created.body).toBe(201);
    const clientSecret = keep(
      'client secret',
      created.json<{ clientSecret: string }>().clientSecret,
    );
    const basic = {
      authorization: `Basic ${Buffer.from(`backend:${clientSecret}`).toString('base64')}`,
    };
    const carol = await mint('carol-at-rest', 'backend');
    clock.advance(5);
    const carol1 = await refresh(carol.refreshToken, basic);
    const introspected = await app.inject({
      method: 'POST',
      url: '/oauth/introspect',
      headers: basic,
      payload: { token: carol1.access_token },
    });
    expect(introspected.json()).toMatchObject({ active: true, sub: 'carol-at-rest' });

    // With a master secret the private signing key is sealed: it must not be readable either.
    // Without one it is stored as plain JSON (documented), which makes it a control below: a
    // string stored in a table is found by this search.
    let plainPrivateKey: string | undefined;
    if (secret === undefined) {
      const [record] = await store.listKeys();
      plainPrivateKey = (JSON.parse(record?.privateKey ?? '{}') as { d?: string }).d;
      expect(plainPrivateKey?.length).toBeGreaterThan(20);
    } else {
      const [record] = await store.listKeys();
      const keyEncryptionKey = deriveSecrets(secret, true).keyEncryptionKey;
      if (record === undefined || keyEncryptionKey === null) throw new Error('no sealed key');
      const loaded = loadSigningKey(record, keyEncryptionKey);
      const d = (loaded.signingKey.export({ format: 'jwk' }) as { d?: string }).d ?? '';
      expect(d.length).toBeGreaterThan(20);
      handled.push({ label: 'private signing key (d)', value: d });
    }

    const walWhileOpen = [`${path}-wal`, `${path}-shm`]
      .filter((file) => existsSync(file))
      .map((file) => ({ name: `${file} (while open)`, bytes: readFileSync(file) }));
    expect(walWhileOpen.map((file) => file.name)).toContain(`${path}-wal (while open)`);
    await app.close();
    await service.close();
    const files = [...readAll(dir), ...walWhileOpen];

    // Controls: the data of this run is in these bytes, in a form the search can find.
    const everything = Buffer.concat(files.map((file) => file.bytes));
    const visibles = [alice.sessionId, bob.sessionId, 'carol-at-rest', 'session.revoked'];
    if (plainPrivateKey !== undefined) visibles.push(plainPrivateKey);
    for (const visible of visibles) {
      expect(everything.includes(Buffer.from(visible)), visible).toBe(true);
    }
    expect(readAll(dir).find((file) => file.name === 'baton.db')?.bytes.length).toBeGreaterThan(0);

    const found: string[] = [];
    for (const { label, value } of handled) {
      for (const needle of needlesOf(label, value)) {
        for (const file of files) {
          if (file.bytes.includes(needle.bytes)) found.push(`${needle.label} in ${file.name}`);
        }
      }
    }
    expect(found).toEqual([]);
    expect(handled.length).toBeGreaterThanOrEqual(15);
  });
});
