import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, pgStoreUrl, testSchemaName } from '../helpers/postgres.js';
import { runBaton } from '../helpers/server-process.js';

// `baton migrate` against PostgreSQL: the first run applies the migrations, the next finds
// nothing to do, and concurrent runs apply them once (the advisory lock).

const schemas: string[] = [];
// The migrations shipped, so adding one does not mean editing this test.
const versions = readdirSync(new URL('../../src/stores/postgres/migrations/', import.meta.url))
  .filter((name) => name.endsWith('.sql'))
  .map((name) => Number.parseInt(name, 10))
  .sort((a, b) => a - b);
const latest = versions.at(-1) ?? 0;
const applied = `applied migrations ${versions.join(', ')}; schema version ${latest}\n`;
const upToDate = `schema is up to date (version ${latest})\n`;
afterAll(() => dropSchemas(schemas));

describe('baton migrate on PostgreSQL', () => {
  it('applies the migrations once, then reports the schema up to date', async () => {
    const schema = testSchemaName();
    schemas.push(schema);
    const env = { BATON_STORE: pgStoreUrl(schema) };
    const first = await runBaton(['migrate'], { env });
    expect(first.stderr).toBe('');
    expect(first).toMatchObject({
      code: 0,
      stdout: applied,
    });
    const again = await runBaton(['migrate'], { env });
    expect(again).toMatchObject({ code: 0, stdout: upToDate });
  });

  it('lets three concurrent runs apply each migration exactly once', async () => {
    const schema = testSchemaName();
    schemas.push(schema);
    const env = { BATON_STORE: pgStoreUrl(schema) };
    const runs = await Promise.all([1, 2, 3].map(() => runBaton(['migrate'], { env })));
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0]);
    const outputs = runs.map((run) => run.stdout).sort();
    expect(outputs).toEqual([applied, upToDate, upToDate]);
  });

  it('fails with one line naming the server, not its password, when PostgreSQL is unreachable', async () => {
    const run = await runBaton(['migrate'], {
      env: { BATON_STORE: 'postgres://baton:hunter2@127.0.0.1:1/test' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('hunter2');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /cannot open the PostgreSQL store postgres:\/\/baton:\*\*\*@127\.0\.0\.1:1\/test \(ECONNREFUSED\)/,
    );
  });
});
