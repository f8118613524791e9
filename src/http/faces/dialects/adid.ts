import { callerOf } from '../../caller.js';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../../../core/index.js';
import type { ErrorRenderer } from '../../errors.js';
import { readParams } from '../../params.js';
import type { DialectOptions } from './context.js';
import {
  dialectErrorCodes,
  dialectErrorHeaders,
  dialectErrors,
  dialectStatus,
  requireTokenField,
} from './wire.js';

// adid `POST /api/v1/auth/refresh`, as adid's API reference, "Exchange a refresh token for a new
// access token", documents
// (https://docs.adid.dev/api-reference/rest-api/auth/exchange-a-refresh-token-for-a-new-access-token):
// `{refreshToken}` in; the published response is an object without listed properties, Baton fills
// it with the new tokens.

/** adid's published request body. */
export const adidRequestSchema = {
  type: 'object',
  properties: { refreshToken: { type: 'string' } },
  required: ['refreshToken'],
} as const;

/** adid's published `Auth_exchangeARefreshTokenForANewAccessToken_Response_200`. */
export const adidPublishedResponseSchema = {
  type: 'object',
  properties: {},
  description: 'Empty response body',
  title: 'Auth_exchangeARefreshTokenForANewAccessToken_Response_200',
} as const;

/** What Baton puts in that object (docs/dialects.md). */
const adidResponseSchema = {
  ...adidPublishedResponseSchema,
  description:
    'New access token. The published schema lists no properties; Baton answers accessToken, refreshToken (when rotation is on) and expiresIn (seconds).',
  properties: {
    accessToken: { type: 'string' },
    refreshToken: { type: 'string' },
    expiresIn: { type: 'integer' },
  },
} as const;

/** The error body of `status`: `error` is the machine-readable reason, `message` for people. */
const adidErrorSchema = (status: number) => ({
  type: 'object',
  properties: {
    error: {
      type: 'string',
      enum: [...new Set(dialectErrorCodes(status).map((code) => ERROR_CODES[code].reason))],
    },
    message: { type: 'string' },
  },
  required: ['error', 'message'],
});

export const renderAdidError: ErrorRenderer = (error) => {
  const status = dialectStatus(error);
  return {
    status,
    body: { error: error.reason, message: error.message },
    headers: dialectErrorHeaders(error, status),
  };
};

export async function adidFace(
  app: FastifyInstance,
  { service, metrics }: DialectOptions,
): Promise<void> {
  app.post(
    '/api/v1/auth/refresh',
    {
      config: {
        face: 'adid',
        renderError: renderAdidError,
        openapi: {
          tags: ['Dialect: adid'],
          operationId: 'exchange-a-refresh-token-for-a-new-access-token',
          summary: 'Exchange a refresh token for a new access token',
          // The credential is the body's refresh token, as the published API describes it.
          security: [],
          requestBody: {
            content: {
              'application/json': { schema: adidRequestSchema },
              'application/x-www-form-urlencoded': { schema: adidRequestSchema },
            },
          },
          responses: {
            '200': {
              description: 'New access token',
              content: { 'application/json': { schema: adidResponseSchema } },
            },
            ...dialectErrors(
              {
                400: 'malformed request',
                401: 'refresh token not valid',
                429: 'too many failed refreshes; see Retry-After',
                500: 'internal error',
                503: 'store unavailable',
              },
              adidErrorSchema,
            ),
          },
        },
      },
    },
    async (request, reply) => {
      const refreshToken = requireTokenField(readParams(request.body), 'refreshToken');
      const { tokens } = await metrics.refresh('adid', () =>
        service.refresh({ refreshToken, dialect: 'adid', ...callerOf(request) }),
      );
      return reply.send(
        tokens.refreshToken === null
          ? { accessToken: tokens.accessToken, expiresIn: tokens.expiresIn }
          : {
              accessToken: tokens.accessToken,
              refreshToken: tokens.refreshToken,
              expiresIn: tokens.expiresIn,
            },
      );
    },
  );
}
