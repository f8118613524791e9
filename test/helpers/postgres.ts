import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server of the test machine (trust auth, database `test`). */
export const PG_URL = process.env.BATON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name, so that test files (and runs) never see each other's rows. */
export function testSchemaName(): string {
  return `baton_test_${randomBytes(6).toString('hex')}`;
}

/** Drops test schemas created by {@link testSchemaName}. */
export async function dropSchemas(names: Iterable<string>): Promise<void> {
  const list = [...names];
  if (list.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const name of list) {
      if (!/^baton_test_[0-9a-f]+$/.test(name)) throw new Error(`not a test schema: ${name}`);
      await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    }
  } finally {
    await client.end();
  }
}

/** `BATON_STORE` for a server process working in `schema` of the test database. */
export function pgStoreUrl(schema: string): string {
  return `${PG_URL}?schema=${schema}`;
}
