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

/** The server's V8 heap and the memory V8 tracks outside it, from its Prometheus metrics. */
export interface HeapMetrics {
  /** V8 heap in use. */
  used: number | undefined;
  /** V8 heap committed (what of the heap counts in RSS). */
  total: number | undefined;
  /** Memory held by JS objects outside the V8 heap (Buffers, ArrayBuffers). */
  external: number | undefined;
}

/** Reads `HeapMetrics` from the server's /metrics (prom-client's default Node.js metrics). */
export async function heapMetrics(url: string): Promise<HeapMetrics> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    const read = (name: string): number | undefined => {
      const match = new RegExp(`^${name}\\s+([0-9.e+]+)$`, 'm').exec(text);
      return match === null ? undefined : Number(match[1]);
    };
    return {
      used: read('baton_nodejs_heap_size_used_bytes'),
      total: read('baton_nodejs_heap_size_total_bytes'),
      external: read('baton_nodejs_external_memory_bytes'),
    };
  } catch {
    return { used: undefined, total: undefined, external: undefined };
  }
}

/**
 * Where a process's resident memory lies, from /proc/<pid>/smaps, in bytes: the C allocator's
 * main arena (`[heap]`, grown with brk), anonymous mappings (the V8 heap, the allocator's
 * per-thread arenas, thread stacks, native buffers), the SQLite database files mapped in (its WAL
 * index, `-shm`) and the rest of the file mappings (node's binary and shared libraries).
 * `regions` holds each anonymous mapping's RSS by its start address, so that growth can be traced
 * to one mapping.
 */
export interface MemoryMap {
  brkHeap: number;
  anonymous: number;
  database: number;
  libraries: number;
  regions: Record<string, { size: number; rss: number }>;
}

/** Parses the text of /proc/<pid>/smaps into a `MemoryMap`. */
export function parseSmaps(text: string): MemoryMap {
  const map: MemoryMap = { brkHeap: 0, anonymous: 0, database: 0, libraries: 0, regions: {} };
  let kind: 'brkHeap' | 'anonymous' | 'database' | 'libraries' = 'libraries';
  let start = '';
  let size = 0;
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      const path = header[3] ?? '';
      start = header[1] ?? '';
      size = 0;
      kind =
        path === '[heap]'
          ? 'brkHeap'
          : path === '' || path.startsWith('[')
            ? 'anonymous'
            : /\.db(-wal|-shm)?$/.test(path)
              ? 'database'
              : 'libraries';
      continue;
    }
    const field = /^(Size|Rss):\s+(\d+) kB$/.exec(line);
    if (field === null) continue;
    const bytes = Number(field[2]) * 1024;
    if (field[1] === 'Size') {
      size = bytes;
      continue;
    }
    map[kind] += bytes;
    if (kind === 'anonymous' && bytes > 0) map.regions[start] = { size, rss: bytes };
  }
  return map;
}

/** The `MemoryMap` of process `pid`, if its smaps can be read. */
export function memoryMap(pid: number): MemoryMap | undefined {
  try {
    return parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
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
