import { isIP } from 'node:net';
import { DIALECT_NAMES, MAX_ORIGINS, isDialectName, normaliseOrigin } from '../core/index.js';
import { HTTP_TIMEOUTS, type HttpTimeouts } from '../http/timeouts.js';
import type { DialectMount } from '../http/faces/dialects/mounts.js';
import { CONFIG_KEYS, ConfigError, type ConfigKey } from './config-keys.js';

// The parsers of single settings: each validates one value and fails with one line naming it.

export function integer(
  key: ConfigKey,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(
      `${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return Number(value);
}

export function boolean(key: ConfigKey, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${key} must be true or false (got ${JSON.stringify(value)})`);
}

export function url(
  key: ConfigKey,
  value: string | undefined,
  protocols: string[],
): string | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${key} must be a URL (got a value that is not)`);
  }
  if (!protocols.includes(parsed.protocol))
    throw new ConfigError(`${key} must be a ${protocols.join(' or ')} URL`);
  return value;
}

// Segments of unreserved characters; `.` and `..` are not segments a client can send (RFC 3986
// §5.2.4 removes them), so a mount under them could never be reached.
const PREFIX_PATTERN = /^(\/(?!\.\.?(?:\/|$))[A-Za-z0-9._~-]+)+$/;

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

export function isAddressOrRange(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

/**
 * `BATON_TRUST_PROXY`: whom to believe about the client's address (`X-Forwarded-For`). `false`
 * (the default: the socket's peer is the client), a hop count (that many proxies in front), the
 * proxies' addresses or ranges, or `true` (anyone: spoofable, warned about at start).
 */
export function trustedProxies(value: string | undefined): boolean | number | string[] {
  if (value === undefined || /^(false|no|off|0|)$/i.test(value.trim())) return false;
  if (/^(true|yes|on)$/i.test(value.trim())) return true;
  if (/^\d{1,2}$/.test(value.trim())) return Number(value.trim());
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !isAddressOrRange(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      `BATON_TRUST_PROXY must be false, a hop count (1, 2, …) or the proxies' addresses (IPs or CIDR ranges, comma-separated; or loopback, linklocal, uniquelocal); got ${JSON.stringify(bad.slice(0, 60))}`,
    );
  }
  return entries;
}

/** True for an address that means "every interface": an issuer cannot be derived from it. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]' || host === '0:0:0:0:0:0:0:0';
}

/** Edit distance of two short strings (Levenshtein), for "did you mean". */
export function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** One warning per `BATON_*` variable Baton does not know, naming the closest known one. */
export function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known: readonly string[] = CONFIG_KEYS;
  return Object.keys(env)
    .filter((name) => name.startsWith('BATON_') && !known.includes(name))
    .sort()
    .map((name) => {
      const [closest] = [...known].sort((a, b) => distance(name, a) - distance(name, b));
      const hint =
        closest !== undefined && distance(name, closest) <= 3 ? `; did you mean ${closest}?` : '';
      return `${name} is not a Baton setting and is ignored${hint}`;
    });
}

/** The three slow-client limits; the headers must not be allowed longer than the request. */
export function httpTimeouts(get: (key: ConfigKey) => string | undefined): HttpTimeouts {
  const headersTtl = integer(
    'BATON_HEADERS_TIMEOUT',
    get('BATON_HEADERS_TIMEOUT'),
    HTTP_TIMEOUTS.headersTtl,
    1,
    3600,
  );
  const requestTtl = integer(
    'BATON_REQUEST_TIMEOUT',
    get('BATON_REQUEST_TIMEOUT'),
    Math.max(HTTP_TIMEOUTS.requestTtl, headersTtl),
    1,
    3600,
  );
  if (headersTtl > requestTtl) {
    throw new ConfigError(
      `BATON_HEADERS_TIMEOUT (${headersTtl}) must not be longer than BATON_REQUEST_TIMEOUT (${requestTtl}), which includes the headers`,
    );
  }
  const keepAliveTtl = integer(
    'BATON_KEEPALIVE_TIMEOUT',
    get('BATON_KEEPALIVE_TIMEOUT'),
    HTTP_TIMEOUTS.keepAliveTtl,
    1,
    3600,
  );
  return Object.freeze({ headersTtl, requestTtl, keepAliveTtl });
}

/** `BATON_CORS_ORIGINS`: exact origins separated by commas. */
export function origins(value: string | undefined): string[] {
  if (value === undefined || value.trim() === '') return [];
  const entries = value.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => normaliseOrigin(entry) === undefined);
  if (bad !== undefined) {
    throw new ConfigError(
      `BATON_CORS_ORIGINS: ${JSON.stringify(bad.slice(0, 80))} is not an origin (scheme://host[:port], http or https, no path or wildcard)`,
    );
  }
  if (entries.length > MAX_ORIGINS)
    throw new ConfigError(`BATON_CORS_ORIGINS may list at most ${MAX_ORIGINS} origins`);
  return [...new Set(entries.map((entry) => normaliseOrigin(entry) as string))];
}

/** `BATON_DIALECTS`: `name[:/prefix]` entries separated by commas, or `all[:/prefix]`. */
export function dialects(value: string | undefined): DialectMount[] {
  if (value === undefined || value.trim() === '') return [];
  const mounts = new Map<string, DialectMount>();
  for (const entry of value.split(',')) {
    const trimmed = entry.trim();
    const colon = trimmed.indexOf(':');
    const name = colon === -1 ? trimmed : trimmed.slice(0, colon);
    const prefix = colon === -1 ? '' : trimmed.slice(colon + 1);
    if (colon !== -1 && (prefix.length > 100 || !PREFIX_PATTERN.test(prefix))) {
      throw new ConfigError(
        `BATON_DIALECTS: the prefix of ${JSON.stringify(name)} must be / and path segments of A-Z a-z 0-9 . _ ~ - (not . or ..), no trailing slash, at most 100 characters`,
      );
    }
    const names = name === 'all' ? DIALECT_NAMES : [name];
    for (const each of names) {
      if (!isDialectName(each)) {
        throw new ConfigError(
          `BATON_DIALECTS: unknown dialect ${JSON.stringify(each.slice(0, 40))} (known: ${DIALECT_NAMES.join(', ')}, or all)`,
        );
      }
      if (mounts.has(each))
        throw new ConfigError(`BATON_DIALECTS: ${each} is listed more than once`);
      mounts.set(each, { name: each, prefix });
    }
  }
  return [...mounts.values()];
}
