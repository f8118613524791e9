import { ERROR_CODES, type ErrorCode } from '../../core/index.js';

/** When each code is answered, in a line; a code without one fails to compile. */
const WHEN: Readonly<Record<ErrorCode, string>> = {
  ERR_INVALID_REQUEST:
    'A parameter is missing, repeated, of the wrong type or malformed; the body is not valid JSON or a form; an admin body does not match its schema.',
  ERR_UNSUPPORTED_MEDIA_TYPE:
    'The body is neither `application/x-www-form-urlencoded` nor `application/json`.',
  ERR_BODY_TOO_LARGE: 'The body is larger than 16 KiB.',
  ERR_HEADERS_TOO_LARGE:
    'The request headers are too large; answered before routing, in the format of the face the path belongs to.',
  ERR_UNSUPPORTED_GRANT_TYPE:
    '`grant_type` is not `refresh_token` (sessions start through the admin API).',
  ERR_INVALID_SCOPE: "The requested `scope` is malformed or wider than the session's.",
  ERR_INVALID_CLIENT:
    "Client authentication failed: unknown client, wrong secret, a secret sent by a public client, or a confidential client's token without its credentials.",
  ERR_UNAUTHORIZED_CLIENT: '`/oauth/revoke`: the token belongs to another client (RFC 7009 §2.1).',
  ERR_REFRESH_TOKEN_UNKNOWN: 'The refresh token is malformed, was never issued, or was swept.',
  ERR_REFRESH_TOKEN_REUSED:
    'A used refresh token came back after the reuse grace or after its successor was used: the whole session is revoked. Treat as a possible theft.',
  ERR_SESSION_EXPIRED: 'The session reached its absolute expiry.',
  ERR_SESSION_IDLE: 'The session went longer than its idle lifetime without a refresh.',
  ERR_SESSION_REVOKED:
    'The session was revoked (logout, sign-out everywhere, reuse detection, client removed).',
  ERR_CLIENT_MISMATCH: 'The refresh token was issued to another client than the one calling.',
  ERR_ACCESS_TOKEN_INVALID:
    'An access token is malformed, badly signed, of an unknown key, expired, revoked, or of an earlier generation.',
  ERR_DIALECT_DISABLED:
    "The session's client does not allow this dialect; dialects answer it as their own 401 (aisquare 400).",
  ERR_ORIGIN_NOT_ALLOWED:
    "A browser's `Origin` is neither Baton's own, nor allowed for every client, nor for the session's client; refused before anything happens, with 403 on every face.",
  ERR_ADMIN_UNAUTHORIZED: 'The admin API was called without the admin token, or with a wrong one.',
  ERR_NOT_FOUND: 'No such route, session or client.',
  ERR_METHOD_NOT_ALLOWED:
    'The path exists but does not answer this method; `Allow` lists the methods it does.',
  ERR_REQUEST_TIMEOUT:
    'The request (its headers, or all of it with its body) did not arrive in time; the connection is closed.',
  ERR_CONFLICT:
    'A client with that id exists (send `replace: true`), or the `default` client was to be removed.',
  ERR_RATE_LIMITED:
    'A failing attempt after too many failures from this IP or on this session in the current window (a valid refresh credential is never refused); wait `Retry-After` seconds.',
  ERR_STORE_UNAVAILABLE:
    'The database could not be reached; nothing was changed. Retry: the same refresh token still works.',
  ERR_INVALID_CONFIG: 'Never on the wire: an invalid configuration stops start-up.',
  ERR_INTERNAL: "A fault in Baton itself, logged with its stack; never caused by a client's input.",
};

const INTRO = `Baton issues short-lived signed access tokens (RFC 9068 JWTs) and long-lived opaque refresh tokens, and makes refreshing them safe: rotation, the same answer for a retry inside the reuse grace, reuse (theft) detection, idle and absolute lifetimes, revocation. Its refresh endpoint speaks OAuth 2.0 and, side by side, the wire dialects mounted on this server.

Every response carries \`Cache-Control: no-store\`; request bodies are limited to 16 KiB.

## Errors

Every failure is one of the codes below, each with one HTTP status, one OAuth 2.0 \`error\` and one machine-readable \`reason\`. Each face writes it in its own format:

- **OAuth 2.0** (\`/oauth/*\`): \`{"error", "error_description", "reason"}\` (RFC 6749 §5.2 plus \`reason\`); a 401 carries \`WWW-Authenticate: Basic\`. Build logic on \`reason\`.
- **Admin API, operations and everything else**: \`{"error", "error_description", "code"}\`; a 401 carries \`WWW-Authenticate: Bearer\`. Build logic on \`code\`.
- **Dialects**: each in its own published shape, with 400 for a malformed request, 401 for any credential that is not valid (aisquare: 400 \`token_not_valid\`), 429, 500 and 503.

429 responses carry \`Retry-After\` (seconds until the rate-limit window ends); 503 responses carry \`Retry-After: 2\`. \`error_description\` is for people.`;

/** One error code as the API reference lists it. */
export interface ErrorCodeRow {
  code: ErrorCode;
  status: number;
  error: string;
  reason: string;
  /** When it is answered: one sentence of Markdown (backticks only). */
  when: string;
}

/** Every error code with its status, OAuth `error`, `reason` and when it is answered. */
export function errorCodeRows(): ErrorCodeRow[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => ({
    code,
    ...ERROR_CODES[code],
    when: WHEN[code],
  }));
}

/**
 * The `info.description` of the OpenAPI document: what Baton is, how each face writes errors,
 * and every error code as a Markdown table generated from `ERROR_CODES`.
 */
export function errorCatalogue(): string {
  const rows = errorCodeRows().map(
    ({ code, status, error, reason, when }) =>
      `| \`${code}\` | ${status} | \`${error}\` | \`${reason}\` | ${when} |`,
  );
  // A disclosure keeps the long table from pushing the operations off the reference's first
  // screen; the blank lines around the table let Markdown renderers parse it inside the HTML.
  return [
    INTRO,
    '',
    `<details><summary>Every error code (${rows.length})</summary>`,
    '',
    '| code | status | error | reason | when |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '</details>',
  ].join('\n');
}
