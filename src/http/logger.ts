import type { FastifyServerOptions } from 'fastify';

/** Log fields that may carry a token or secret; pino replaces them with `[redacted]`. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.requesttoken',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.requesttoken',
  'refresh_token',
  'refreshToken',
  'access_token',
  'accessToken',
  'token',
  'client_secret',
  'clientSecret',
  '*.refresh_token',
  '*.refreshToken',
  '*.refresh',
  '*.access',
  '*.access_token',
  '*.accessToken',
  '*.token',
  '*.client_secret',
  '*.clientSecret',
  '*.password',
];

/** Logger options of the server: pino with redaction, and URLs logged without their query. */
export function loggerOptions(level: string): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Only what identifies the request: a query string could carry a token.
      req: (request: { method: string; url: string; ip?: string }) => ({
        method: request.method,
        url: request.url.split('?')[0] ?? '',
        ip: request.ip,
      }),
    },
  };
}
