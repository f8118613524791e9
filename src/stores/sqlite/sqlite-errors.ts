import { BatonError } from '../../core/index.js';

// Errors that mean "the database cannot serve now" rather than a bug.
const UNAVAILABLE =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|PROTOCOL|NOMEM|NOTADB|CORRUPT)/;
// better-sqlite3's own errors (no SQLite code): a closed connection, a missing directory.
const DRIVER_UNAVAILABLE = /database connection is not open|Cannot open database/;

/** Rethrows `error`, as `ERR_STORE_UNAVAILABLE` when it means the database cannot serve now. */
export function unavailable(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if ((typeof code === 'string' && UNAVAILABLE.test(code)) || DRIVER_UNAVAILABLE.test(message)) {
    throw new BatonError('ERR_STORE_UNAVAILABLE', 'the store is unavailable', {
      detail: typeof code === 'string' ? code : message,
      cause: error,
    });
  }
  throw error;
}
