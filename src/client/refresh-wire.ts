// How each face of Baton is asked for a refresh, and how its answer reads (docs/dialects.md).

/** The face a client refreshes through: Baton's OAuth 2.0 endpoint or one of the dialects. */
export type Dialect = 'oauth' | 'payabli' | 'transak' | 'sevenG' | 'aisquare' | 'adid';

/** The credentials a refresh presents. */
export interface HeldTokens {
  accessToken: string;
  refreshToken?: string | undefined;
}

/** What a successful refresh answered: `expiresIn` in seconds when the face says it. */
export interface RefreshedTokens {
  accessToken: unknown;
  refreshToken?: unknown;
  expiresIn?: unknown;
}

type Body = Record<string, unknown>;

/** One face: its path, its request, its success body, and which refusals end the session. */
export interface RefreshWire {
  path: string;
  /** Refreshes with the access token (payabli, transak): an expired one cannot refresh. */
  byAccessToken?: true;
  request(held: HeldTokens, client: { clientId: string; basic?: string | undefined }): RequestInit;
  read(body: Body): RefreshedTokens;
  /** Why the session ended, when this refusal is final. */
  ended(status: number, body: Body): string | undefined;
}

const json = (body: Body, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

// The dialects other than adid answer a refused credential without a reason.
const refused401 = (status: number): string | undefined =>
  status === 401 ? 'rejected' : undefined;

/**
 * `application/x-www-form-urlencoded` with the client's identity: HTTP Basic for a confidential
 * client (RFC 6749 §2.3.1), `client_id` in the body for a public one.
 */
export function formRequest(
  fields: Record<string, string>,
  client: { clientId: string; basic?: string | undefined },
): RequestInit {
  const body = new URLSearchParams(fields);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (client.basic === undefined) body.set('client_id', client.clientId);
  else headers.authorization = client.basic;
  return { method: 'POST', headers, body: body.toString() };
}

/** The wire of every face, by dialect name. */
export const REFRESH_WIRES: Record<Dialect, RefreshWire> = {
  oauth: {
    path: '/oauth/token',
    request: (held, client) =>
      formRequest({ grant_type: 'refresh_token', refresh_token: held.refreshToken ?? '' }, client),
    read: (b) => ({
      accessToken: b.access_token,
      refreshToken: b.refresh_token,
      expiresIn: b.expires_in,
    }),
    ended: (status, b) =>
      status === 400 && b.error === 'invalid_grant' ? String(b.reason ?? 'unknown') : undefined,
  },
  payabli: {
    path: '/api/User/authrefresh',
    byAccessToken: true,
    request: (held) => ({ method: 'POST', headers: { requestToken: held.accessToken } }),
    read: (b) => ({ accessToken: b.responseData }),
    ended: refused401,
  },
  transak: {
    path: '/api/v2/auth/refresh',
    byAccessToken: true,
    request: (held) => ({ headers: { authorization: held.accessToken } }),
    read: (b) => ({ accessToken: (b.data as Body | undefined)?.accessToken }),
    ended: refused401,
  },
  sevenG: {
    path: '/User/RefreshToken',
    request: (held) =>
      json(
        { refreshToken: held.refreshToken },
        { authorization: `Bearer ${held.accessToken}`, version: '2.0' },
      ),
    read: (b) => ({ accessToken: b.accessToken, refreshToken: b.refreshToken }),
    ended: refused401,
  },
  aisquare: {
    path: '/api/v1/token/refresh/',
    request: (held) => json({ refresh: held.refreshToken }),
    read: (b) => ({ accessToken: b.access, refreshToken: b.refresh }),
    ended: (status, b) => (status === 400 && b.code === 'token_not_valid' ? 'rejected' : undefined),
  },
  adid: {
    path: '/api/v1/auth/refresh',
    request: (held) => json({ refreshToken: held.refreshToken }),
    read: (b) => ({
      accessToken: b.accessToken,
      refreshToken: b.refreshToken,
      expiresIn: b.expiresIn,
    }),
    ended: (status, b) => (status === 401 ? String(b.error ?? 'rejected') : undefined),
  },
};
