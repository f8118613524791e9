import { callerOf } from '../../caller.js';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { INVALID_JSON, type ErrorRenderer } from '../../errors.js';
import type { DialectOptions } from './context.js';
import { dialectErrorHeaders, dialectErrors, dialectStatus, MAX_TOKEN_LENGTH } from './wire.js';

// AISquare `POST /api/v1/token/refresh/`, as AISquare Studio's API reference, "Refresh JWT Token",
// documents (https://docs.aisquare.studio/api-reference/ai-square-studio-api/token/refresh-create):
// a Django REST framework simplejwt endpoint, `{refresh}` in, `{access, refresh}` out, 400
// `token_not_valid` for any invalid token.

/** AISquare's published `TokenRefresh` schema (its server reads only `refresh`). */
export const aisquareTokenRefreshSchema = {
  type: 'object',
  properties: { access: { type: 'string' }, refresh: { type: 'string' } },
  required: ['access', 'refresh'],
  title: 'TokenRefresh',
} as const;

/** AISquare's published response schema: any type. */
const anyType = { description: 'Any type' } as const;

/**
 * Baton's body for the statuses AISquare's API reference does not list: Django REST framework's
 * `detail`.
 */
const detailSchema = {
  type: 'object',
  required: ['detail'],
  properties: {
    detail: { type: 'string' },
    code: { type: 'string', enum: ['temporarily_unavailable'] },
  },
} as const;

export const renderAisquareError: ErrorRenderer = (error) => {
  const status = dialectStatus(error, 400);
  const headers = dialectErrorHeaders(error, status);
  if (error.code === 'ERR_RATE_LIMITED') {
    const wait = error.retryAfter ?? 1;
    return {
      status,
      headers,
      body: { detail: `Request was throttled. Expected available in ${wait} seconds.` },
    };
  }
  if (error.detail === INVALID_JSON)
    return { status, headers, body: { detail: `JSON parse error - ${error.message}` } };
  if (error.code === 'ERR_UNSUPPORTED_MEDIA_TYPE') {
    return {
      status,
      headers,
      body: {
        detail:
          'Unsupported media type in request; send application/json or application/x-www-form-urlencoded.',
      },
    };
  }
  if (error.code === 'ERR_STORE_UNAVAILABLE')
    return { status, headers, body: { detail: error.message, code: 'temporarily_unavailable' } };
  // Any credential that is not valid, whatever the reason: simplejwt's one answer.
  if (dialectStatus(error) === 401) {
    return {
      status,
      headers,
      body: { detail: 'Token is invalid or expired', code: 'token_not_valid' },
    };
  }
  return { status, headers, body: { detail: error.message } };
};

/** A field error in Django REST framework's shape. */
function fieldError(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send({ refresh: [message] });
}

export async function aisquareFace(
  app: FastifyInstance,
  { service, metrics }: DialectOptions,
): Promise<void> {
  app.post(
    '/api/v1/token/refresh/',
    {
      config: {
        face: 'aisquare',
        renderError: renderAisquareError,
        openapi: {
          tags: ['Dialect: aisquare'],
          operationId: 'refresh-create',
          summary: 'Refresh JWT Token',
          description:
            'Refreshes an existing JWT token. Send `refresh`; `access` is accepted and ignored. See docs/dialects.md.',
          // The credential is the body's refresh token, as the published API describes it.
          security: [],
          requestBody: {
            content: {
              'application/json': { schema: aisquareTokenRefreshSchema },
              'application/x-www-form-urlencoded': { schema: aisquareTokenRefreshSchema },
            },
          },
          responses: {
            '200': {
              description: 'Token refreshed successfully',
              content: { 'application/json': { schema: anyType } },
            },
            ...dialectErrors(
              {
                400: 'Invalid token: `{"detail", "code": "token_not_valid"}`, a field error such as `{"refresh": ["This field is required."]}`, or `{"detail"}` for a malformed request',
                429: 'Too many failed refreshes; see Retry-After',
                500: 'Internal error',
                503: 'Store unavailable',
              },
              (status) => (status === 400 ? anyType : detailSchema),
            ),
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (
        body !== undefined &&
        body !== null &&
        (typeof body !== 'object' || Array.isArray(body))
      ) {
        const got = Array.isArray(body) ? 'list' : typeof body === 'string' ? 'str' : typeof body;
        return reply.code(400).send({
          non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`],
        });
      }
      const record = (body ?? {}) as Record<string, unknown>;
      const value = Object.hasOwn(record, 'refresh') ? record.refresh : undefined;
      if (value === undefined) return fieldError(reply, 'This field is required.');
      if (value === null) return fieldError(reply, 'This field may not be null.');
      if (typeof value !== 'string') return fieldError(reply, 'Not a valid string.');
      const refreshToken = value.trim();
      if (refreshToken === '') return fieldError(reply, 'This field may not be blank.');
      if (refreshToken.length > MAX_TOKEN_LENGTH)
        return fieldError(
          reply,
          `Ensure this field has no more than ${MAX_TOKEN_LENGTH} characters.`,
        );
      const { tokens } = await metrics.refresh('aisquare', () =>
        service.refresh({ refreshToken, dialect: 'aisquare', ...callerOf(request) }),
      );
      return reply.send(
        tokens.refreshToken === null
          ? { access: tokens.accessToken }
          : { access: tokens.accessToken, refresh: tokens.refreshToken },
      );
    },
  );
}
