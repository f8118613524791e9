import type { FastifyInstance } from 'fastify';
import { BatonError } from '../core/index.js';

/**
 * Parses `application/x-www-form-urlencoded` bodies into a plain object of strings. A parameter
 * given twice is refused (RFC 6749 §3.2: "parameters MUST NOT be included more than once").
 */
export function addFormBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [name, value] of new URLSearchParams(body as string)) {
        if (name in params) {
          done(
            new BatonError(
              'ERR_INVALID_REQUEST',
              `parameter ${JSON.stringify(name.slice(0, 64))} is repeated`,
            ),
            undefined,
          );
          return;
        }
        params[name] = value;
      }
      done(null, params);
    },
  );
}
