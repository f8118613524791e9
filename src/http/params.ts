import { BatonError } from '../core/index.js';

/** Longest accepted value of any OAuth parameter, in characters. */
export const MAX_PARAM_LENGTH = 4096;

/**
 * Reads request parameters from a parsed form or JSON body: the body must be an object and
 * every parameter read must be a string (RFC 6749 parameters are strings, even in JSON).
 */
export function readParams(body: unknown): (name: string) => string | undefined {
  if (body === undefined || body === null) return () => undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new BatonError('ERR_INVALID_REQUEST', 'the request body must be a form or a JSON object');
  }
  const record = body as Record<string, unknown>;
  return (name) => {
    if (!Object.hasOwn(record, name)) return undefined;
    const value = record[name];
    if (typeof value !== 'string')
      throw new BatonError('ERR_INVALID_REQUEST', `${name} must be a string`);
    if (value.length > MAX_PARAM_LENGTH)
      throw new BatonError('ERR_INVALID_REQUEST', `${name} is too long`);
    return value;
  };
}

/** Reads a required parameter; a missing or empty one is `invalid_request`. */
export function requireParam(read: (name: string) => string | undefined, name: string): string {
  const value = read(name);
  if (value === undefined || value === '')
    throw new BatonError('ERR_INVALID_REQUEST', `${name} is required`);
  return value;
}
