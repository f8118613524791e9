import type { ResolvedVerifierOptions } from './options.js';
import { VerifierError } from './verifier-error.js';

/** Largest answer read from Baton, in characters: a JWKS or a revocation page is far smaller. */
const MAX_BODY_CHARS = 4 * 1024 * 1024;

/** What {@link fetchJson} sends besides the URL. */
export interface JsonRequest {
  method?: 'GET' | 'POST';
  /** `Authorization` header value. */
  authorization?: string;
  /** Form fields, sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
}

/**
 * Fetches `url` and parses its JSON answer, within the configured timeout. Any failure (network,
 * timeout, non-2xx status, not JSON) rejects with `unavailable`; the detail names the status or
 * failure, never a credential.
 */
export async function fetchJson(
  options: Pick<ResolvedVerifierOptions, 'fetch' | 'timeoutMs'>,
  url: string,
  request: JsonRequest = {},
): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  const init: RequestInit = {
    method: request.method ?? 'GET',
    headers,
    // A redirect is not followed (it would carry the credentials elsewhere) but answered as a
    // failure: 'manual' does that in every runtime, where some lack 'error'.
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs),
  };
  if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(request.form).toString();
  }
  let text: string;
  let status: number;
  try {
    const response = await options.fetch(url, init);
    status = response.status;
    text = await response.text();
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'failed';
    throw new VerifierError('unavailable', {
      detail: `${init.method} ${url} ${reason}`,
      cause: error,
    });
  }
  if (status < 200 || status > 299)
    throw new VerifierError('unavailable', { detail: `${init.method} ${url} answered ${status}` });
  if (text.length > MAX_BODY_CHARS)
    throw new VerifierError('unavailable', { detail: `${init.method} ${url}: answer too large` });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new VerifierError('unavailable', { detail: `${init.method} ${url}: answer is not JSON` });
  }
}

/** True for a non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
