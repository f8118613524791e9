import type { VerifierCredentials } from './options.js';

/** application/x-www-form-urlencoded encoding of one value (RFC 6749 §2.3.1, Appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * The `Authorization` header value for {@link VerifierCredentials}: HTTP Basic over the
 * form-urlencoded client id and secret (RFC 6749 §2.3.1), or `Bearer <admin token>`.
 */
export function authorizationFor(credentials: VerifierCredentials): string {
  if ('adminToken' in credentials) return `Bearer ${credentials.adminToken}`;
  // After form encoding both parts are ASCII, which is what btoa takes.
  return `Basic ${btoa(`${formEncode(credentials.clientId)}:${formEncode(credentials.clientSecret)}`)}`;
}
