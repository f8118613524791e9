import { BatonError } from './errors.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
/** Longest accepted scope string, in characters. */
export const MAX_SCOPE_LENGTH = 1024;

/** Validates a scope string (empty means no scope); throws `ERR_INVALID_SCOPE`. */
export function checkScope(scope: string): string {
  if (scope === '') return scope;
  if (scope.length > MAX_SCOPE_LENGTH || !SCOPE_PATTERN.test(scope)) {
    throw new BatonError(
      'ERR_INVALID_SCOPE',
      'scope must be space-separated scope tokens (RFC 6749 §3.3)',
    );
  }
  return scope;
}

/**
 * The scope of a refreshed access token: the session's scope, or the narrower `requested` one
 * (RFC 6749 §6). Throws `ERR_INVALID_SCOPE` when `requested` asks for more than was granted.
 */
export function narrowScope(granted: string, requested: string | undefined): string {
  if (requested === undefined) return granted;
  checkScope(requested);
  const allowed = new Set(granted.split(' '));
  for (const item of requested.split(' ')) {
    if (!allowed.has(item)) {
      throw new BatonError(
        'ERR_INVALID_SCOPE',
        'the requested scope exceeds the scope granted to the session',
      );
    }
  }
  return requested;
}
