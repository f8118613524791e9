import { BatonError } from './errors.js';
import { parseOriginList } from './origins.js';

/** JWT signing algorithms Baton can use. */
export const SIGNING_ALGS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
/** One of {@link SIGNING_ALGS}. */
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/** Longest access-token lifetime in seconds (1 day); retired keys stay published this long. */
export const MAX_ACCESS_TTL = 86_400;
/** Longest absolute session lifetime in seconds (400 days). */
export const MAX_REFRESH_TTL = 400 * 86_400;
/** Longest reuse-grace window in seconds. */
export const MAX_REUSE_GRACE = 300;
/** Seconds an ended session is kept (for `reason: revoked` answers and audits) before sweeping. */
export const SESSION_RETENTION_TTL = 86_400;
/** Seconds security events are kept. */
export const EVENT_RETENTION_TTL = 90 * 86_400;

/** Failed-refresh limits. A limit of 0 turns that limit off. */
export interface RateLimitOptions {
  /** Failed refreshes allowed per client IP per window. Default 30. */
  ipFailures?: number;
  /** Failed refreshes allowed per session per window. Default 10. */
  sessionFailures?: number;
  /** Window length in seconds. Default 60. */
  windowTtl?: number;
}

/** What a user passes to configure the token service. */
export interface ServiceOptions {
  /** `iss` of every token, e.g. `https://auth.example.com`. */
  issuer: string;
  /** Access-token lifetime in seconds. Default 900. */
  accessTtl?: number;
  /** Absolute session lifetime in seconds. Default 2,592,000 (30 days). */
  refreshTtl?: number;
  /** Idle session lifetime in seconds. Default 604,800 (7 days). */
  idleTtl?: number;
  /** Seconds during which a used refresh token gets the same answer again. Default 10. */
  reuseGrace?: number;
  /** Rotate refresh tokens on every refresh. Default true. */
  rotate?: boolean;
  /** Signing algorithm of new keys. Default EdDSA. */
  alg?: SigningAlg;
  /** Master secret (hash pepper and key encryption), at least 32 characters. */
  secret?: string;
  rateLimit?: RateLimitOptions;
  /**
   * Browser origins (`https://app.example.com`) allowed to call the public endpoints for every
   * client (CORS); clients may allow more of their own. None by default.
   */
  corsOrigins?: readonly string[];
}

/** Validated, frozen {@link ServiceOptions}. */
export interface ResolvedServiceOptions {
  readonly issuer: string;
  readonly accessTtl: number;
  readonly refreshTtl: number;
  readonly idleTtl: number;
  readonly reuseGrace: number;
  readonly rotate: boolean;
  readonly alg: SigningAlg;
  readonly secret: string | undefined;
  readonly rateLimit: Readonly<Required<RateLimitOptions>>;
  /** The issuer's origin: same-origin browser calls are always allowed. */
  readonly issuerOrigin: string;
  /** Normalised {@link ServiceOptions.corsOrigins}. */
  readonly corsOrigins: readonly string[];
}

/** Default values of {@link ServiceOptions}. */
export const SERVICE_DEFAULTS = Object.freeze({
  accessTtl: 900,
  refreshTtl: 2_592_000,
  idleTtl: 604_800,
  reuseGrace: 10,
  rotate: true,
  alg: 'EdDSA' as SigningAlg,
  rateLimit: Object.freeze({ ipFailures: 30, sessionFailures: 10, windowTtl: 60 }),
});

function invalid(message: string): BatonError {
  return new BatonError('ERR_INVALID_CONFIG', message);
}

/** Checks that `value` is an integer in [min, max]; `name` appears in the error. */
export function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

/** Validates options and fills in defaults; throws `ERR_INVALID_CONFIG` with one clear line. */
export function resolveServiceOptions(options: ServiceOptions): ResolvedServiceOptions {
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    throw invalid(`issuer must be an absolute URL (got ${JSON.stringify(options.issuer)})`);
  }
  if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:') {
    throw invalid(`issuer must be an http(s) URL (got ${JSON.stringify(options.issuer)})`);
  }
  if (issuer.search || issuer.hash) {
    throw invalid('issuer must not have a query or fragment (RFC 8414)');
  }
  const alg = options.alg ?? SERVICE_DEFAULTS.alg;
  if (!SIGNING_ALGS.includes(alg)) {
    throw invalid(`alg must be one of ${SIGNING_ALGS.join(', ')} (got ${JSON.stringify(alg)})`);
  }
  if (options.secret !== undefined && options.secret.length < 32) {
    throw invalid('secret must be at least 32 characters');
  }
  const limits = { ...SERVICE_DEFAULTS.rateLimit, ...options.rateLimit };
  let corsOrigins: string[];
  try {
    corsOrigins = parseOriginList(options.corsOrigins ?? [], 'corsOrigins');
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  return Object.freeze({
    // RFC 8414: the issuer identifier has no trailing slash when it has no path.
    issuer: options.issuer.replace(/\/+$/, ''),
    accessTtl: checkInteger(
      'accessTtl',
      options.accessTtl ?? SERVICE_DEFAULTS.accessTtl,
      1,
      MAX_ACCESS_TTL,
    ),
    refreshTtl: checkInteger(
      'refreshTtl',
      options.refreshTtl ?? SERVICE_DEFAULTS.refreshTtl,
      1,
      MAX_REFRESH_TTL,
    ),
    idleTtl: checkInteger(
      'idleTtl',
      options.idleTtl ?? SERVICE_DEFAULTS.idleTtl,
      1,
      MAX_REFRESH_TTL,
    ),
    reuseGrace: checkInteger(
      'reuseGrace',
      options.reuseGrace ?? SERVICE_DEFAULTS.reuseGrace,
      0,
      MAX_REUSE_GRACE,
    ),
    rotate: options.rotate ?? SERVICE_DEFAULTS.rotate,
    issuerOrigin: issuer.origin,
    corsOrigins: Object.freeze(corsOrigins),
    alg,
    secret: options.secret,
    rateLimit: Object.freeze({
      ipFailures: checkInteger('rateLimit.ipFailures', limits.ipFailures, 0, 1_000_000),
      sessionFailures: checkInteger(
        'rateLimit.sessionFailures',
        limits.sessionFailures,
        0,
        1_000_000,
      ),
      windowTtl: checkInteger('rateLimit.windowTtl', limits.windowTtl, 1, 86_400),
    }),
  });
}
