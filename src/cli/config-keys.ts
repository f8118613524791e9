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

/** One of {@link CONFIG_KEYS}. */
export type ConfigKey = (typeof CONFIG_KEYS)[number];
