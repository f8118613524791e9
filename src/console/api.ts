import { readAdminToken } from './admin-token.js';

/** A refused or failed admin API call, with what the console tells the operator. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when Baton could not be reached. */
  readonly status: number;
  /** Baton's error code (`ERR_…`), when it sent one. */
  readonly code: string | undefined;
  /** Seconds to wait (429, 503), from `Retry-After`. */
  readonly retryAfter: number | undefined;

  constructor(status: number, message: string, code?: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Called when the admin token stops being accepted, so that the console signs out. */
let onUnauthorized: () => void = () => undefined;

/** Sets what happens when a call answers 401 (the token was changed or is wrong). */
export function handleUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/** Tells the console that the admin token was refused (from a call made outside {@link api}). */
export function reportUnauthorized(): void {
  onUnauthorized();
}

/** Reads `Retry-After` as seconds. */
export function retryAfterOf(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value >= 0 ? Math.ceil(value) : undefined;
}

/** The error of a non-2xx admin answer, in words for the operator. */
export async function errorOf(response: Response): Promise<ApiError> {
  let code: string | undefined;
  let description = `Baton answered ${response.status}`;
  try {
    const body = (await response.json()) as { error_description?: unknown; code?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.error_description === 'string') description = body.error_description;
  } catch {
    // not JSON: keep the status
  }
  const retryAfter = retryAfterOf(response);
  if (response.status === 429)
    description = `Too many attempts, try again in ${retryAfter ?? 60} s.`;
  else if (response.status === 503)
    description = 'Baton cannot reach its store right now; nothing was changed. Try again shortly.';
  return new ApiError(response.status, description, code, retryAfter);
}

/** The `Authorization` header of the admin API. */
export function authorization(token = readAdminToken()): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/**
 * Calls the admin API (relative to the page, so a proxy may mount Baton under a path) with the
 * admin token; answers the parsed JSON or throws an {@link ApiError}.
 *
 * @example const { keys } = await api<{ keys: SigningKey[] }>('GET', 'admin/keys')
 */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...authorization(token),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'Cannot reach Baton. Check the network and try again.');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    // A wrong token while signing in is the sign-in form's business, not a sign-out.
    if (response.status === 401 && token === undefined) onUnauthorized();
    throw error;
  }
  return (await response.json()) as T;
}

/** `encodeURIComponent`, for a path segment. */
export const segment = (value: string): string => encodeURIComponent(value);
