import pg from 'pg';
import { unavailable } from './postgres-errors.js';

/** Options of `createPostgresStore`. */
export interface PostgresStoreOptions {
  /** A `postgres://` connection URL (Baton's own query parameters already removed). */
  connectionString: string;
  /** Schema to work in (created when missing); the connection's default when absent. */
  schema?: string | undefined;
  /** Connections in the pool. Default 10. */
  poolSize?: number | undefined;
  /** Milliseconds to wait for a connection before answering 503. Default 2000. */
  connectTimeoutMs?: number | undefined;
  /** Milliseconds a statement may run before it is cancelled (503). Default 5000. */
  statementTimeoutMs?: number | undefined;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean | undefined;
  /** Called with errors of idle pooled connections (a restarted server, a dropped link). */
  onIdleError?: ((error: Error) => void) | undefined;
}

/** Milliseconds to wait for a pooled connection before answering 503, unless configured. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/** Milliseconds a statement may run before it is cancelled (503), unless configured. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

const INT8 = 20;

// Epoch seconds and ids fit a double; read int8 as numbers, everything else as pg does.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A query on a pooled connection, its failures mapped to `ERR_STORE_UNAVAILABLE`. */
export type Query = <R extends pg.QueryResultRow>(
  name: string | undefined,
  text: string,
  values?: unknown[],
) => Promise<pg.QueryResult<R>>;

/** A transaction on one pooled connection. */
export type Transaction = <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/**
 * The store's pool: timeouts on connecting and on every statement, int8 read as numbers, the
 * schema as search path, and idle connections that die dropped instead of crashing the process.
 */
export function openPool(options: PostgresStoreOptions): {
  pool: pg.Pool;
  query: Query;
  transaction: Transaction;
} {
  const schema = options.schema;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    query_timeout: (options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS) + 1000,
    idle_in_transaction_session_timeout: 10_000,
    application_name: 'baton',
    keepAlive: true,
    types,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle connection that dies (server restart) must not crash the process; the pool drops it
  // and the next query opens a new one.
  pool.on('error', (error) => options.onIdleError?.(error));

  async function query<R extends pg.QueryResultRow>(
    name: string | undefined,
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await pool.query<R>(name === undefined ? { text, values } : { name, text, values });
    } catch (error) {
      return unavailable(error);
    }
  }

  async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      return unavailable(error);
    }
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => {});
      return unavailable(error);
    } finally {
      // A connection that failed mid-transaction is closed rather than handed to the next query.
      client.release(failure);
    }
  }

  return { pool, query, transaction };
}
