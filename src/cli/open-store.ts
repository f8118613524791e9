import type { StoreLocation } from '../stores/open-store.js';
import { ConfigError } from './config.js';

export { migrateStore, openStore, type StoreLocation } from '../stores/open-store.js';

/** Baton's own query parameters of a PostgreSQL URL; the others go to the driver. */
const POSTGRES_OPTIONS = ['schema', 'pool'];

function parsePostgres(value: string): StoreLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('BATON_STORE: not a valid postgres:// URL');
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(
      'BATON_STORE: schema must be 1-63 letters, digits or _ and start with a letter or _',
    );
  }
  const pool = url.searchParams.get('pool') ?? '10';
  if (!/^\d+$/.test(pool) || Number(pool) < 1 || Number(pool) > 1000)
    throw new ConfigError('BATON_STORE: pool must be an integer from 1 to 1000');
  for (const name of POSTGRES_OPTIONS) url.searchParams.delete(name);
  return {
    kind: 'postgres',
    connectionString: url.toString(),
    ...(schema === undefined ? {} : { schema }),
    poolSize: Number(pool),
  };
}

/**
 * Parses `BATON_STORE`: `memory:`, `sqlite:<path>` (optionally `?synchronous=full`), or
 * `postgres://user@host:port/db` (optionally `?schema=name&pool=n`, plus any driver option).
 */
export function parseStoreLocation(value: string): StoreLocation {
  if (value === 'memory:' || value === 'memory') return { kind: 'memory' };
  if (value.startsWith('sqlite:')) {
    const [rawPath = '', query = ''] = value.slice('sqlite:'.length).split('?', 2);
    const path = rawPath.startsWith('//') ? rawPath.slice(2) : rawPath;
    if (path === '')
      throw new ConfigError('BATON_STORE: sqlite: needs a file path, e.g. sqlite:./baton.db');
    const params = new URLSearchParams(query);
    for (const key of params.keys()) {
      if (key !== 'synchronous')
        throw new ConfigError(`BATON_STORE: unknown sqlite option ${JSON.stringify(key)}`);
    }
    const synchronous = params.get('synchronous') ?? 'normal';
    if (synchronous !== 'normal' && synchronous !== 'full') {
      throw new ConfigError('BATON_STORE: synchronous must be normal or full');
    }
    return { kind: 'sqlite', path, synchronous };
  }
  if (/^postgres(ql)?:\/\//.test(value)) return parsePostgres(value);
  throw new ConfigError(
    `BATON_STORE must be memory:, sqlite:<path> or postgres://… (got ${JSON.stringify(value.slice(0, 40))})`,
  );
}
