import Database from 'better-sqlite3';
import { existsSync, readFileSync, statSync } from 'node:fs';

/** Resident set size of process `pid` in bytes (VmRSS of /proc/<pid>/status), if readable. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** The server's V8 heap in use, from its Prometheus metrics (prom-client's default metric). */
export async function heapUsedBytes(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    const match = /^baton_nodejs_heap_size_used_bytes\s+([0-9.e+]+)$/m.exec(text);
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Bytes of a SQLite database: the file and its WAL, as they stand (no checkpoint forced). */
export function databaseBytes(path: string): { file: number; wal: number } {
  const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
  return { file: size(path), wal: size(`${path}-wal`) };
}

/**
 * Counts live sessions in a SQLite store file (the store's own rule: neither revoked, past
 * expiry nor idle) through a read-only connection, which in WAL mode never blocks the server.
 */
export function createLiveCounter(path: string): {
  count(): number;
  close(): void;
  readonly open: boolean;
} {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const statement = db.prepare<[number, number], { n: number }>(
    `SELECT count(*) AS n FROM sessions
       WHERE revoked_at IS NULL AND expires_at > ? AND last_active_at + idle_ttl > ?`,
  );
  return {
    count() {
      const now = Math.floor(Date.now() / 1000);
      return statement.get(now, now)?.n ?? 0;
    },
    close() {
      db.close();
    },
    get open() {
      return db.open;
    },
  };
}

/** Bytes of a SQLite database nobody else has open, once its WAL is checkpointed and emptied. */
export function checkpointedBytes(path: string): number {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const { file, wal } = databaseBytes(path);
  return file + wal;
}
