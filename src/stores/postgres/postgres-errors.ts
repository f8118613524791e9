import { BatonError } from '../../core/index.js';

// SQLSTATE classes and codes that mean "the database cannot serve now" rather than a bug:
// connection exceptions (08), insufficient resources (53), operator intervention (57: shutdown,
// cannot connect now, statement timeout), and a read-only or recovering server (25006, 40001 is
// not here: one-statement rotations do not serialise).
const UNAVAILABLE_STATE = /^(08|53|57)|^25006$/;
// Driver-level failures without a SQLSTATE: refused or dropped connections, pool timeouts.
const UNAVAILABLE_CODE =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|EAI_AGAIN)$/;
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Cannot use a pool after calling end|connection is closed/i;

/** True when `error` means PostgreSQL cannot be reached or cannot serve now. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return (
    (typeof code === 'string' && (UNAVAILABLE_STATE.test(code) || UNAVAILABLE_CODE.test(code))) ||
    UNAVAILABLE_MESSAGE.test(message)
  );
}

/** Rethrows `error`, as `ERR_STORE_UNAVAILABLE` when the database cannot serve now. */
export function unavailable(error: unknown): never {
  if (error instanceof BatonError) throw error;
  if (isUnavailable(error)) {
    const code = (error as { code?: unknown }).code;
    throw new BatonError('ERR_STORE_UNAVAILABLE', 'the store is unavailable', {
      detail: typeof code === 'string' ? code : error instanceof Error ? error.message : 'error',
      cause: error,
    });
  }
  throw error;
}
