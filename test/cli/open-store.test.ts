import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/cli/config.js';
import { openStore, parseStoreLocation } from '../../src/cli/open-store.js';

describe('BATON_STORE', () => {
  it.each([
    ['memory:', { kind: 'memory' }],
    ['sqlite:./baton.db', { kind: 'sqlite', path: './baton.db', synchronous: 'normal' }],
    [
      'sqlite:/var/lib/baton.db?synchronous=full',
      { kind: 'sqlite', path: '/var/lib/baton.db', synchronous: 'full' },
    ],
  ])('parses %s', (value, expected) => {
    expect(parseStoreLocation(value)).toEqual(expected);
  });

  it.each([
    ['sqlite:', /needs a file path/],
    ['sqlite:./b.db?synchronous=off', /normal or full/],
    ['sqlite:./b.db?cache=shared', /unknown sqlite option/],
    ['postgres://localhost/test?schema=1bad', /schema must be/],
    ['postgres://localhost/test?schema=a;drop', /schema must be/],
    ['postgres://localhost/test?pool=0', /pool must be/],
    ['ftp://x', /must be memory:/],
  ])('refuses %s with one clear line', (value, message) => {
    expect(() => parseStoreLocation(value)).toThrow(ConfigError);
    expect(() => parseStoreLocation(value)).toThrow(message);
  });

  it('parses a PostgreSQL URL, keeping driver options and taking its own', () => {
    expect(
      parseStoreLocation(
        'postgres://baton:pw@db:5432/baton?schema=tenant_a&pool=20&sslmode=require',
      ),
    ).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://baton:pw@db:5432/baton?sslmode=require',
      schema: 'tenant_a',
      poolSize: 20,
    });
    expect(parseStoreLocation('postgresql://localhost/test')).toMatchObject({ poolSize: 10 });
  });

  it('names the server, without its password, and the reason when PostgreSQL cannot be reached', async () => {
    await expect(
      openStore(parseStoreLocation('postgres://baton:secret-pw@127.0.0.1:1/test'), false),
    ).rejects.toThrow(
      /cannot open the PostgreSQL store postgres:\/\/baton:\*\*\*@127\.0\.0\.1:1\/test \(ECONNREFUSED\)/,
    );
  });

  it('names the file and the reason when a SQLite store cannot be opened', async () => {
    await expect(
      openStore(parseStoreLocation('sqlite:/nonexistent-dir/baton.db'), false),
    ).rejects.toThrow(
      /cannot open the SQLite store \/nonexistent-dir\/baton\.db \(Cannot open database because the directory does not exist\)/,
    );
  });
});
