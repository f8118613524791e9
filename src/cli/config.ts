import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  DIALECT_NAMES,
  MAX_ACCESS_TTL,
  MAX_ORIGINS,
  MAX_REFRESH_TTL,
  MAX_REUSE_GRACE,
  SERVICE_DEFAULTS as defaults,
  SIGNING_ALGS,
  isDialectName,
  normaliseOrigin,
  type SigningAlg,
} from '../core/index.js';
import { HTTP_TIMEOUTS, type HttpTimeouts } from '../http/timeouts.js';
import type { DialectMount } from '../http/faces/dialects/mounts.js';

/** A configuration problem: start-up stops with this one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Every configuration key, as an environment variable or a key of the `--config` JSON file. */
export const CONFIG_KEYS = [
  'BATON_HOST',
  'BATON_PORT',
  'BATON_ISSUER',
  'BATON_STORE',
  'BATON_REDIS_URL',
  'BATON_ADMIN_TOKEN',
  'BATON_SECRET',
  'BATON_DIALECTS',
  'BATON_ACCESS_TTL',
  'BATON_REFRESH_TTL',
  'BATON_IDLE_TTL',
  'BATON_REUSE_GRACE',
  'BATON_ROTATE',
  'BATON_ALG',
  'BATON_WEBHOOK_URL',
  'BATON_WEBHOOK_SECRET',
  'BATON_CORS_ORIGINS',
  'BATON_LOG_LEVEL',
  'BATON_TRUST_PROXY',
  'BATON_RATE_LIMIT_IP',
  'BATON_RATE_LIMIT_SESSION',
  'BATON_HEADERS_TIMEOUT',
  'BATON_REQUEST_TIMEOUT',
  'BATON_KEEPALIVE_TIMEOUT',
] as const;

type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Validated configuration of one Baton process. Times in seconds. */
export interface BatonConfig {
  readonly host: string;
  readonly port: number;
  readonly issuer: string;
  readonly store: string;
  readonly redisUrl: string | undefined;
  readonly adminToken: string | undefined;
  readonly secret: string | undefined;
  /** Dialects to mount, each at its documented path under an optional prefix. */
  readonly dialects: readonly DialectMount[];
  readonly accessTtl: number;
  readonly refreshTtl: number;
  readonly idleTtl: number;
  readonly reuseGrace: number;
  readonly rotate: boolean;
  readonly alg: SigningAlg;
  readonly webhookUrl: string | undefined;
  /** Key of the webhook's `Baton-Signature`; set exactly when `webhookUrl` is. */
  readonly webhookSecret: string | undefined;
  /** Browser origins allowed for every client (CORS). */
  readonly corsOrigins: readonly string[];
  readonly logLevel: string;
  /** Fastify `trustProxy`: false, a hop count, the proxies' addresses, or true (any client). */
  readonly trustProxy: boolean | number | string[];
  readonly rateLimitIp: number;
  readonly rateLimitSession: number;
  /** Seconds a client may take to send its headers, its whole request; idle keep-alive. */
  readonly timeouts: HttpTimeouts;
  /** Things worth saying at start that do not stop it (unknown variables, risky settings). */
  readonly warnings: readonly string[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readConfigFile(path: string): Partial<Record<ConfigKey, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'not valid JSON';
    throw new ConfigError(`--config ${path}: ${reason}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`--config ${path}: must be a JSON object of BATON_* keys`);
  }
  const values: Partial<Record<ConfigKey, string>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key))
      throw new ConfigError(`--config ${path}: unknown key ${key}`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(`--config ${path}: ${key} must be a string, number or boolean`);
    }
    values[key as ConfigKey] = String(value);
  }
  return values;
}

function integer(
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

function boolean(key: ConfigKey, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${key} must be true or false (got ${JSON.stringify(value)})`);
}

function url(key: ConfigKey, value: string | undefined, protocols: string[]): string | undefined {
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

function isAddressOrRange(entry: string): boolean {
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
function trustedProxies(value: string | undefined): boolean | number | string[] {
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
function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]' || host === '0:0:0:0:0:0:0:0';
}

/** Edit distance of two short strings (Levenshtein), for "did you mean". */
function distance(a: string, b: string): number {
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
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
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
function httpTimeouts(get: (key: ConfigKey) => string | undefined): HttpTimeouts {
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
function origins(value: string | undefined): string[] {
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
function dialects(value: string | undefined): DialectMount[] {
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

/**
 * Reads the configuration from the environment over an optional JSON file (the environment
 * wins), validates every value and fills in the defaults (docs/configuration.md).
 */
export function loadConfig(env: NodeJS.ProcessEnv, configFile?: string): BatonConfig {
  const file = configFile === undefined ? {} : readConfigFile(configFile);
  const get = (key: ConfigKey): string | undefined => env[key] ?? file[key];

  const host = get('BATON_HOST') ?? '127.0.0.1';
  const port = integer('BATON_PORT', get('BATON_PORT'), 8080, 0, 65_535);
  const issuerHost = host.includes(':') ? `[${host}]` : host;
  const issuer =
    url('BATON_ISSUER', get('BATON_ISSUER'), ['http:', 'https:']) ?? `http://${issuerHost}:${port}`;
  const alg = get('BATON_ALG') ?? defaults.alg;
  if (!(SIGNING_ALGS as readonly string[]).includes(alg)) {
    throw new ConfigError(
      `BATON_ALG must be one of ${SIGNING_ALGS.join(', ')} (got ${JSON.stringify(alg)})`,
    );
  }
  const logLevel = get('BATON_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`BATON_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const secret = get('BATON_SECRET') || undefined;
  if (secret !== undefined && secret.length < 32)
    throw new ConfigError('BATON_SECRET must be at least 32 characters');
  const adminToken = get('BATON_ADMIN_TOKEN') || undefined;
  if (adminToken !== undefined && adminToken.length < 32) {
    throw new ConfigError('BATON_ADMIN_TOKEN must be at least 32 characters');
  }
  const webhookUrl = url('BATON_WEBHOOK_URL', get('BATON_WEBHOOK_URL'), ['http:', 'https:']);
  const webhookSecret = get('BATON_WEBHOOK_SECRET') || undefined;
  if (webhookUrl !== undefined && (webhookSecret === undefined || webhookSecret.length < 32)) {
    throw new ConfigError(
      'BATON_WEBHOOK_SECRET must be set, at least 32 characters, when BATON_WEBHOOK_URL is: every delivery is signed with it (Baton-Signature), so that receivers can tell Baton from anyone else',
    );
  }
  const trustProxy = trustedProxies(get('BATON_TRUST_PROXY'));
  const warnings = unknownVariables(env);
  if (trustProxy === true) {
    warnings.push(
      "BATON_TRUST_PROXY=true trusts the X-Forwarded-For any client sends, so a client can choose the IP that rate limits and security events see; set the proxy's addresses (e.g. 10.0.0.0/8) or its hop count (e.g. 1) instead",
    );
  }
  if (get('BATON_ISSUER') === undefined && isWildcardHost(host)) {
    throw new ConfigError(
      `BATON_ISSUER must be set when BATON_HOST is ${host}: tokens would otherwise name http://${issuerHost}:${port} as their issuer; set it to the URL clients reach Baton at, e.g. https://auth.example.com`,
    );
  }

  return Object.freeze({
    host,
    port,
    issuer,
    store: get('BATON_STORE') ?? 'sqlite:./baton.db',
    redisUrl: url('BATON_REDIS_URL', get('BATON_REDIS_URL'), ['redis:', 'rediss:']),
    adminToken,
    secret,
    dialects: dialects(get('BATON_DIALECTS')),
    accessTtl: integer(
      'BATON_ACCESS_TTL',
      get('BATON_ACCESS_TTL'),
      defaults.accessTtl,
      1,
      MAX_ACCESS_TTL,
    ),
    refreshTtl: integer(
      'BATON_REFRESH_TTL',
      get('BATON_REFRESH_TTL'),
      defaults.refreshTtl,
      1,
      MAX_REFRESH_TTL,
    ),
    idleTtl: integer('BATON_IDLE_TTL', get('BATON_IDLE_TTL'), defaults.idleTtl, 1, MAX_REFRESH_TTL),
    reuseGrace: integer(
      'BATON_REUSE_GRACE',
      get('BATON_REUSE_GRACE'),
      defaults.reuseGrace,
      0,
      MAX_REUSE_GRACE,
    ),
    rotate: boolean('BATON_ROTATE', get('BATON_ROTATE'), defaults.rotate),
    alg: alg as SigningAlg,
    webhookUrl,
    webhookSecret,
    corsOrigins: origins(get('BATON_CORS_ORIGINS')),
    logLevel,
    trustProxy,
    rateLimitIp: integer(
      'BATON_RATE_LIMIT_IP',
      get('BATON_RATE_LIMIT_IP'),
      defaults.rateLimit.ipFailures,
      0,
      1_000_000,
    ),
    rateLimitSession: integer(
      'BATON_RATE_LIMIT_SESSION',
      get('BATON_RATE_LIMIT_SESSION'),
      defaults.rateLimit.sessionFailures,
      0,
      1_000_000,
    ),
    timeouts: httpTimeouts(get),
    warnings: Object.freeze(warnings),
  });
}
