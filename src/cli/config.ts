import { readFileSync } from 'node:fs';
import {
  MAX_ACCESS_TTL,
  MAX_REFRESH_TTL,
  MAX_REUSE_GRACE,
  SERVICE_DEFAULTS as defaults,
  SIGNING_ALGS,
  type SigningAlg,
} from '../core/index.js';
import type { HttpTimeouts } from '../http/timeouts.js';
import type { DialectMount } from '../http/faces/dialects/mounts.js';
import { CONFIG_KEYS, ConfigError, type ConfigKey } from './config-keys.js';
import {
  boolean,
  dialects,
  httpTimeouts,
  integer,
  isWildcardHost,
  origins,
  trustedProxies,
  unknownVariables,
  url,
} from './config-values.js';

export { CONFIG_KEYS, ConfigError } from './config-keys.js';

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
