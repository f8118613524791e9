import { afterAll, describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/core/records.js';
import type { Store } from '../../src/core/store.js';
import {
  createPostgresStore,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  HOT_STATEMENTS,
} from '../../src/stores/postgres/postgres-store.js';
import {
  loadPostgresMigrations,
  migratePostgres,
} from '../../src/stores/postgres/postgres-migrations.js';
import { dropSchemas, PG_URL, testSchemaName } from '../helpers/postgres.js';
import { describeStoreConformance } from './conformance.js';
import {
  expectLegacyTokensServed,
  LEGACY_SESSIONS,
  LEGACY_TOKENS,
  sweepLegacySessions,
} from './token-migration.js';

const schemas = new Set<string>();
afterAll(() => dropSchemas(schemas));

/** A session created at 1000, at generation 0, with the given lifetimes. */
function sessionAt(
  id: string,
  lifetimes: Pick<SessionRecord, 'expiresAt' | 'idleTtl'>,
): SessionRecord {
  return {
    id,
    subject: 'alice',
    clientId: 'default',
    scope: '',
    claims: {},
    createdAt: 1000,
    accessTtl: 900,
    rotate: true,
    lastActiveAt: 1000,
    generation: 0,
    rotatedAtMs: null,
    accessHash: null,
    revokedAt: null,
    revokeReason: null,
    ...lifetimes,
  };
}

function openInFreshSchema(schema = testSchemaName()): Promise<Store> {
  schemas.add(schema);
  return createPostgresStore({ connectionString: PG_URL, schema, poolSize: 4 });
}

describeStoreConformance('postgres', { open: () => openInFreshSchema() });

describe('postgres store', () => {
  it('migrates once when several instances start at the same time (advisory lock)', async () => {
    const schema = testSchemaName();
    const stores = await Promise.all(Array.from({ length: 5 }, () => openInFreshSchema(schema)));
    try {
      const { rows } = await queryIn(schema, 'SELECT version FROM schema_migrations');
      expect(rows.map((row) => row.version)).toEqual(
        loadPostgresMigrations().map((migration) => migration.version),
      );
      // All five work on the same tables.
      await stores[0]?.setMeta('k', 'v');
      expect(await stores[4]?.getMeta('k')).toBe('v');
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('lets exactly one of 100 concurrent rotations from three pools win', async () => {
    const schema = testSchemaName();
    const stores = await Promise.all([1, 2, 3].map(() => openInFreshSchema(schema)));
    try {
      const [first] = stores as [Store, Store, Store];
      const session = sessionAt('ses_race', { expiresAt: 9000, idleTtl: 5000 });
      const hash = (n: number): string => Buffer.alloc(32, n).toString('base64url');
      await first.createSession(session, {
        hash: hash(0),
        sessionId: session.id,
        generation: 0,
        createdAt: 1000,
      });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (stores[i % 3] as Store).rotate({
            sessionId: session.id,
            fromGeneration: 0,
            toGeneration: 1,
            at: 1001,
            atMs: 1_001_000,
            accessHash: hash(99),
            retryBox: Uint8Array.of(i),
            tokens: {
              kind: 'rotate',
              next: { hash: hash(i + 1), sessionId: session.id, generation: 1, createdAt: 1001 },
            },
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(Array.from((await first.getRetryBox(session.id, 1)) ?? [])).toEqual([winner]);
      // The winner's successor is current and the presented token is the used one; no other
      // rotation's token was stored.
      expect((await first.findRefreshToken(session.id, hash(winner + 1)))?.token.generation).toBe(
        1,
      );
      expect((await first.findRefreshToken(session.id, hash(0)))?.token.generation).toBe(0);
      const others = Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== winner);
      for (const i of others.slice(0, 10))
        expect(await first.findRefreshToken(session.id, hash(i + 1))).toBeUndefined();
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('sweeps around a session a refresh holds locked, without waiting for it', async () => {
    const schema = testSchemaName();
    const store = await openInFreshSchema(schema);
    const pg = await import('pg');
    const holder = new pg.default.Client({
      connectionString: PG_URL,
      options: `-c search_path=${schema}`,
    });
    await holder.connect();
    try {
      const ended = (id: string): SessionRecord => sessionAt(id, { expiresAt: 1001, idleTtl: 50 });
      for (const id of ['ses_locked', 'ses_free']) {
        await store.createSession(ended(id), {
          hash: Buffer.alloc(32, id.length).toString('base64url') + id,
          sessionId: id,
          generation: 0,
          createdAt: 1000,
        });
      }
      // A refresh in flight holds its session's row.
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM sessions WHERE id = 'ses_locked' FOR UPDATE");
      const started = Date.now();
      const result = await store.sweep({
        sessionsEndedBefore: 5000,
        accessTokensExpiredBefore: 0,
        eventsBefore: 0,
        keysRetiredBefore: 0,
        limit: 100,
      });
      // Waiting for the lock would have lasted until the statement timeout cancelled the sweep.
      expect(Date.now() - started).toBeLessThan(DEFAULT_STATEMENT_TIMEOUT_MS);
      expect(result.sessions).toBe(1);
      expect(await store.getSession('ses_free')).toBeUndefined();
      await holder.query('COMMIT');
      // The next sweep takes the one it skipped.
      const later = await store.sweep({
        sessionsEndedBefore: 5000,
        accessTokensExpiredBefore: 0,
        eventsBefore: 0,
        keysRetiredBefore: 0,
        limit: 100,
      });
      expect(later.sessions).toBe(1);
      expect(await store.getSession('ses_locked')).toBeUndefined();
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it('gives initMeta the value another instance is committing at the same moment', async () => {
    // Instances started together each try to store a first value (generated secret, admin token
    // hash); the loser must read the winner's value, also when the winner commits while the
    // loser's INSERT is waiting on it. Hold the winner's transaction open to make that certain.
    const schema = testSchemaName();
    const store = await openInFreshSchema(schema);
    const pg = await import('pg');
    const winner = new pg.default.Client({
      connectionString: PG_URL,
      options: `-c search_path=${schema}`,
    });
    await winner.connect();
    try {
      await winner.query('BEGIN');
      await winner.query("INSERT INTO meta (key, value) VALUES ('generated_secret', 'winner')");
      // Settled either way, so that a failure below never leaves a rejection unhandled.
      const loser = store.initMeta('generated_secret', 'loser').then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      // Let the loser's INSERT reach the row lock before the winner commits. The winner is inside
      // a transaction, where pg_stat_activity stays one snapshot, so clear it before each look.
      const waiting = async (): Promise<boolean> => {
        await winner.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await winner.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO meta%'`,
        );
        return (rows[0]?.n ?? 0) > 0;
      };
      const deadline = Date.now() + 5000;
      while (!(await waiting()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await waiting()).toBe(true);
      await winner.query('COMMIT');
      expect(await loser).toEqual({ value: 'winner' });
      expect(await store.initMeta('generated_secret', 'later')).toBe('winner');
    } finally {
      await winner.end();
      await store.close();
    }
  });

  it('answers ERR_STORE_UNAVAILABLE at once when the server cannot be reached', async () => {
    const started = Date.now();
    await expect(
      createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test' }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    // Refused at once: it did not wait out the connect timeout.
    expect(Date.now() - started).toBeLessThan(DEFAULT_CONNECT_TIMEOUT_MS);
  });

  it('serves the refresh tokens of a schema from before version 5, and sweeps them', async () => {
    const schema = testSchemaName();
    schemas.add(schema);
    const pg = await import('pg');
    const pool = new pg.default.Pool({
      connectionString: PG_URL,
      options: `-c search_path=${schema}`,
      max: 1,
    });
    try {
      await migratePostgres(
        pool,
        schema,
        loadPostgresMigrations().filter((m) => m.version < 5),
      );
      for (const s of LEGACY_SESSIONS) {
        await pool.query(
          `INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at,
             idle_ttl, access_ttl, rotate, last_active_at, generation, ends_at)
           VALUES ($1, 'alice', 'default', '', '{}', 1000, 999999, 999999, 900, $2, 1005, $3, 999999)`,
          [s.id, s.rotate, s.generation],
        );
      }
      for (const t of LEGACY_TOKENS) {
        await pool.query(
          'INSERT INTO refresh_tokens (session_id, hash, generation, created_at) VALUES ($1, $2, $3, $4)',
          [t.sessionId, Buffer.alloc(32, t.hash), t.generation, t.createdAt],
        );
      }
    } finally {
      await pool.end();
    }
    const store = await openInFreshSchema(schema);
    try {
      await expectLegacyTokensServed(store);
      await sweepLegacySessions(store);
    } finally {
      await store.close();
    }
    const { rows } = await queryIn(schema, 'SELECT count(*)::int AS n FROM refresh_tokens');
    expect(rows[0]?.n).toBe(0);
  });

  it('refuses a schema newer than this Baton', async () => {
    const schema = testSchemaName();
    const store = await openInFreshSchema(schema);
    await store.close();
    await queryIn(
      schema,
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
    );
    await expect(openInFreshSchema(schema)).rejects.toThrow(/newer than this Baton/);
  });
});

async function queryIn(schema: string, sql: string): Promise<{ rows: Record<string, number>[] }> {
  const pg = await import('pg');
  const client = new pg.default.Client({
    connectionString: PG_URL,
    options: `-c search_path=${schema}`,
  });
  await client.connect();
  try {
    return (await client.query(sql)) as { rows: Record<string, number>[] };
  } finally {
    await client.end();
  }
}

describe('postgres store at scale', () => {
  it('keeps every statement of a refresh an index lookup with 200,000 sessions', async () => {
    const schema = testSchemaName();
    const store = await openInFreshSchema(schema);
    await store.close();
    await queryIn(
      schema,
      `INSERT INTO sessions (id, subject, client_id, scope, claims, created_at, expires_at, idle_ttl,
         access_ttl, rotate, last_active_at, generation, ends_at, token_hash, token_generation,
         token_created_at)
       SELECT 'ses_' || i, 'user' || (i % 5000), 'default', '', '{}', 1000, 999999, 5000, 900, true,
         1000, 3, 999999, decode(md5(i::text) || md5(i::text), 'hex'), 3, 1000
       FROM generate_series(1, 200000) AS i;
       ANALYZE sessions;`,
    );
    const plan = async (statement: string, values: unknown[]): Promise<string> => {
      const literal = (value: unknown): string =>
        value === null
          ? 'NULL'
          : typeof value === 'number' || typeof value === 'boolean'
            ? String(value)
            : Buffer.isBuffer(value)
              ? `'\\x${value.toString('hex')}'::bytea`
              : `'${String(value).replace(/'/g, "''")}'`;
      const sql = statement.replace(/\$(\d+)/g, (_, n: string) => literal(values[Number(n) - 1]));
      const { rows } = await queryIn(schema, `EXPLAIN ${sql}`);
      return rows.map((row) => Object.values(row).join('')).join('\n');
    };
    const hash = Buffer.from('00'.repeat(32), 'hex');
    const plans = [
      await plan(HOT_STATEMENTS.findToken, ['ses_123456', hash]),
      await plan(HOT_STATEMENTS.getSession, ['ses_123456']),
      await plan(HOT_STATEMENTS.getRetryBox, ['ses_123456', 3]),
      await plan(HOT_STATEMENTS.rotate, [
        'ses_123456',
        3,
        4,
        2000,
        hash,
        'rotate',
        hash,
        2_000_000,
        hash,
        4,
        2000,
      ]),
      await plan(HOT_STATEMENTS.revokeSession, [
        'ses_123456',
        2000,
        'x',
        null,
        null,
        null,
        null,
        null,
        null,
        null,
      ]),
    ];
    for (const text of plans) {
      expect(text).toMatch(/Index (Only )?Scan/);
      expect(text).not.toMatch(/Seq Scan/);
    }
  }, 60_000);
});
