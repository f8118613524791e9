import type { ServiceContext } from './context.js';
import { BatonError } from './errors.js';
import type { ClientRecord } from './records.js';

/** Most origins one list may hold (a client's, or the service-wide one). */
export const MAX_ORIGINS = 50;

/**
 * The serialised origin (RFC 6454 §6.2) of an `http(s)` URL given as `scheme://host[:port]`,
 * lower-cased, default port dropped; `undefined` for anything else (a path, a query, a
 * wildcard, credentials, another scheme).
 */
export function normaliseOrigin(value: string): string | undefined {
  if (value.length > 255 || !/^https?:\/\/[^/?#@\s]+\/?$/i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.hostname.includes('*')) return undefined;
  return url.origin === 'null' ? undefined : url.origin;
}

/**
 * Validates a list of browser origins (operator input); throws `ERR_INVALID_REQUEST` naming the
 * first bad entry. Returns them normalised, without duplicates.
 */
export function parseOriginList(value: unknown, name = 'allowedOrigins'): string[] {
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
    throw new BatonError('ERR_INVALID_REQUEST', `${name} must be an array of origins`);
  if (value.length > MAX_ORIGINS)
    throw new BatonError('ERR_INVALID_REQUEST', `${name} may hold at most ${MAX_ORIGINS} origins`);
  const origins = new Set<string>();
  for (const entry of value as string[]) {
    const origin = normaliseOrigin(entry);
    if (origin === undefined) {
      throw new BatonError(
        'ERR_INVALID_REQUEST',
        `${name}: ${JSON.stringify(entry.slice(0, 80))} is not an origin (scheme://host[:port], http or https, no path or wildcard)`,
      );
    }
    origins.add(origin);
  }
  return [...origins];
}

/**
 * Whether a browser on `origin` may call Baton's public endpoints at all: Baton's own origin,
 * an origin of the service-wide list (`BATON_CORS_ORIGINS`), or one some client allows.
 */
export async function isOriginAllowed(ctx: ServiceContext, origin: string): Promise<boolean> {
  const normal = normaliseOrigin(origin);
  if (normal === undefined) return false;
  if (normal === ctx.options.issuerOrigin || ctx.options.corsOrigins.includes(normal)) return true;
  return ctx.clients.someAllowOrigin(normal);
}

/**
 * Throws `ERR_ORIGIN_NOT_ALLOWED` unless a browser on `origin` may refresh sessions of `client`:
 * Baton's own origin, the service-wide list, or the client's own `allowedOrigins`. No origin (a
 * server, a native app) is always allowed.
 */
export function checkClientOrigin(
  ctx: ServiceContext,
  client: ClientRecord,
  origin: string | undefined,
): void {
  if (origin === undefined) return;
  const normal = normaliseOrigin(origin);
  const allowed =
    normal !== undefined &&
    (normal === ctx.options.issuerOrigin ||
      ctx.options.corsOrigins.includes(normal) ||
      (client.allowedOrigins?.includes(normal) ?? false));
  if (!allowed) {
    throw new BatonError(
      'ERR_ORIGIN_NOT_ALLOWED',
      'this origin may not refresh the sessions of this client',
      { detail: `client ${client.id}` },
    );
  }
}
