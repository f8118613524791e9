import { callerOf } from '../../caller.js';
import type { FastifyInstance } from 'fastify';
import type { ErrorRenderer } from '../../errors.js';
import type { DialectOptions } from './context.js';
import {
  dialectErrorHeaders,
  dialectErrors,
  dialectStatus,
  ignoreBodies,
  readCredentialHeader,
  withoutBearer,
} from './wire.js';

// Transak `GET /api/v2/auth/refresh`, as Transak's API reference, "Refresh User Access Token",
// documents (https://docs.transak.com/api/whitelabel/user/refresh-user-access-token): the
// unexpired access token in `authorization`, raw or Bearer.

/** Transak's published `User_refresh-user-access-token_Response_200`. */
export const transakResponseSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: { accessToken: { type: 'string' } },
      required: ['accessToken'],
      title: 'ApiV2AuthRefreshGetResponsesContentApplicationJsonSchemaData',
    },
  },
  required: ['data'],
  title: 'User_refresh-user-access-token_Response_200',
} as const;

/** Transak's published `Refresh-user-access-tokenRequestInternalServerError`, for every error. */
export const transakErrorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { statusCode: { type: 'integer' }, message: { type: 'string' } },
      required: ['statusCode', 'message'],
      title: 'ApiV2AuthRefreshGetResponsesContentApplicationJsonSchemaError',
    },
  },
  required: ['error'],
  title: 'Refresh-user-access-tokenRequestInternalServerError',
} as const;

export const renderTransakError: ErrorRenderer = (error) => {
  const status = dialectStatus(error);
  return {
    status,
    body: { error: { statusCode: status, message: error.message } },
    headers: dialectErrorHeaders(error, status),
  };
};

export async function transakFace(
  app: FastifyInstance,
  { service, metrics }: DialectOptions,
): Promise<void> {
  ignoreBodies(app);
  app.get(
    '/api/v2/auth/refresh',
    {
      // A HEAD would refresh and throw the answer away, retiring the caller's access token.
      exposeHeadRoute: false,
      config: {
        face: 'transak',
        renderError: renderTransakError,
        openapi: {
          tags: ['Dialect: transak'],
          operationId: 'refresh-user-access-token',
          summary: 'Refresh User Access Token',
          description:
            'Transak-compatible refresh: the current access token (not expired) in `authorization`, raw or Bearer; an expired access token cannot be refreshed. See docs/dialects.md.',
          // The credential is the authorization parameter, as the published API describes it.
          security: [],
          parameters: [
            {
              name: 'authorization',
              in: 'header',
              description: 'the current access token, raw or as `Bearer <token>`',
              required: true,
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: '200 - Success',
              content: { 'application/json': { schema: transakResponseSchema } },
            },
            ...dialectErrors(
              {
                400: '400 - Malformed request',
                401: '401 - Access token not valid, expired or replaced',
                429: '429 - Too many failed refreshes; see Retry-After',
                500: '500 - Internal Server Error',
                503: '503 - Store unavailable',
              },
              transakErrorSchema,
            ),
          },
        },
      },
    },
    async (request, reply) => {
      const accessToken = withoutBearer(
        readCredentialHeader(request, 'authorization', 'authorization'),
        'authorization',
      );
      const { tokens } = await metrics.refresh('transak', () =>
        service.refreshByAccessToken({ accessToken, dialect: 'transak', ...callerOf(request) }),
      );
      return reply.send({ data: { accessToken: tokens.accessToken } });
    },
  );
}
