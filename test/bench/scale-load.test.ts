import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPostgres, openMigratedSchema } from '../../bench/scale/load-postgres.js';
import { loadSqlite, type BulkLoad } from '../../bench/scale/load-sqlite.js';
import { createSessionMaker, liveTimes } from '../../bench/scale/synthetic-sessions.js';
import type { Store } from '../../src/core/store.js';
import { createTokenService } from '../../src/core/token-service.js';
import { createPostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { dropSchemas, PG_URL, testSchemaName } from '../helpers/postgres.js';
import { createTempDirs } from '../helpers/temp-dir.js';

const SECRET = randomBytes(32).toString('base64url');
const SALT = 'scale-load-test';
const make = createSessionMaker(SECRET, SALT);
const load = (count: number): BulkLoad => ({
  make,
  from: 0,
  count,
  times: liveTimes(Math.floor(Date.now() / 1000)),
  batch: 30,
  // Loaded as after a refresh (a stand-in answer in every row), as the benchmark loads them.
  retryBox: randomBytes(875),
});

const dirs = createTempDirs('baton-scale-');
const schemas: string[] = [];
afterAll(async () => {
  dirs.cleanup();
  await dropSchemas(schemas);
});

/** Refreshes loaded sessions through the real token service over `store`. */
async function checkLoaded(store: Store): Promise<void> {
  const service = await createTokenService({
    store,
    issuer: 'http://baton.test',
    secret: SECRET,
    adminToken: 'scale-test-admin-token-0123456789abcdef',
  });
  try {
    const loaded = make(42);
    const first = await service.refresh({ refreshToken: loaded.refreshToken });
    expect(first.replayed).toBe(false);
    expect(first.tokens.sessionId).toBe(loaded.id);
    expect(first.tokens.subject).toBe('user-42');
    expect(first.tokens.generation).toBe(1);
    const rotated = first.tokens.refreshToken;
    expect(rotated).toMatch(/^rt_/);
    expect(rotated).not.toBe(loaded.refreshToken);
    const second = await service.refresh({ refreshToken: rotated as string });
    expect(second.tokens.generation).toBe(2);

    // The last loaded session refreshes too: every batch was written.
    const last = await service.refresh({ refreshToken: make(99).refreshToken });
    expect(last.tokens.sessionId).toBe(make(99).id);

    // Genuine in form (the tag verifies) but never loaded, or made with another salt: unknown.
    await expect(service.refresh({ refreshToken: make(100).refreshToken })).rejects.toMatchObject({
      code: 'ERR_REFRESH_TOKEN_UNKNOWN',
    });
    const stranger = createSessionMaker(SECRET, 'another-salt')(7);
    await expect(service.refresh({ refreshToken: stranger.refreshToken })).rejects.toMatchObject({
      code: 'ERR_REFRESH_TOKEN_UNKNOWN',
    });
    expect(await store.countLiveSessions(Math.floor(Date.now() / 1000))).toBe(100);
  } finally {
    await service.close();
  }
}

describe('bulk-loaded sessions', () => {
  it('refresh and rotate through the real SQLite store, and a wrong token fails', async () => {
    const path = join(dirs.make(), 'scale.db');
    loadSqlite(path, load(100), { cacheMib: 16 });
    await checkLoaded(createSqliteStore({ path, backgroundCheckpoints: false }));
  });

  it('refresh and rotate through the real PostgreSQL store, and a wrong token fails', async () => {
    const schema = testSchemaName();
    schemas.push(schema);
    const pool = await openMigratedSchema(PG_URL, schema);
    const client = await pool.connect();
    try {
      await loadPostgres(client, load(100));
    } finally {
      client.release();
      await pool.end();
    }
    await checkLoaded(await createPostgresStore({ connectionString: PG_URL, schema }));
  });
});
