import { BatonError } from '../../core/errors.js';

// Errors that mean "the database cannot serve now" rather than a bug.
const UNAVAILABLE =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|PROTOCOL|NOMEM|NOTADB|CORRUPT)/;

/** Rethrows `error`, as `ERR_STORE_UNAVAILABLE` when it means the database cannot serve now. */
export function unavailable(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  const closed = error instanceof TypeError && /not open/.test(error.message);
  if ((typeof code === 'string' && UNAVAILABLE.test(code)) || closed) {
    throw new BatonError('ERR_STORE_UNAVAILABLE', 'the store is unavailable', {
      detail: String(code),
      cause: error,
    });
  }
  throw error;
}
