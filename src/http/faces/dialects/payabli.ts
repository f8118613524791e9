import { callerOf } from '../../caller.js';
import type { FastifyInstance } from 'fastify';
import type { ErrorRenderer } from '../../errors.js';
import type { DialectOptions } from './context.js';
import {
  accessMinutes,
  dialectErrorHeaders,
  dialectErrors,
  dialectStatus,
  idleMinutes,
  ignoreBodies,
  readCredentialHeader,
  withoutBearer,
} from './wire.js';

// Payabli `POST /api/User/authrefresh`, as Payabli's API reference, "Refresh token for User",
// documents (https://docs.payabli.com/developers/api-reference/user/refresh-token-for-user): the
// access token in `requestToken`, no body.

/** Payabli's published `PayabliApiResponseUserMfa`, the 200 schema. */
export const payabliResponseSchema = {
  type: 'object',
  properties: {
    inactiveTokenTime: { type: 'integer' },
    isSuccess: { type: 'boolean' },
    remaining: { type: 'integer' },
    responseData: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    responseText: { type: 'string' },
  },
  required: ['responseText'],
} as const;

/** Baton's payabli error body: the same schema, `isSuccess: false`. */
const payabliErrorSchema = {
  type: 'object',
  properties: { isSuccess: { type: 'boolean', enum: [false] }, responseText: { type: 'string' } },
  required: ['isSuccess', 'responseText'],
} as const;

export const renderPayabliError: ErrorRenderer = (error) => {
  const status = dialectStatus(error);
  return {
    status,
    body: { isSuccess: false, responseText: error.message },
    headers: dialectErrorHeaders(error, status),
  };
};

export async function payabliFace(
  app: FastifyInstance,
  { service, metrics }: DialectOptions,
): Promise<void> {
  ignoreBodies(app);
  app.post(
    '/api/User/authrefresh',
    {
      config: {
        face: 'payabli',
        renderError: renderPayabliError,
        openapi: {
          tags: ['Dialect: payabli'],
          operationId: 'auth-refresh-user',
          summary: 'Refresh token for User',
          description:
            'Payabli-compatible refresh: the current, unexpired access token in `requestToken`; answers a new access token. See docs/dialects.md.',
          // The credential is the requestToken parameter, as the published API describes it.
          security: [],
          parameters: [
            {
              name: 'requestToken',
              in: 'header',
              required: true,
              description: 'the current, unexpired access token',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': {
              description: 'Success',
              content: { 'application/json': { schema: payabliResponseSchema } },
            },
            ...dialectErrors(
              {
                400: 'Bad request/ invalid data',
                401: 'Unauthorized request.',
                429: 'Too many failed refreshes; see Retry-After',
                500: 'Internal API Error',
                503: 'Database connection error',
              },
              payabliErrorSchema,
            ),
          },
        },
      },
    },
    async (request, reply) => {
      const accessToken = withoutBearer(
        readCredentialHeader(request, 'requesttoken', 'requestToken'),
        'requestToken',
      );
      const { tokens } = await metrics.refresh('payabli', () =>
        service.refreshByAccessToken({ accessToken, dialect: 'payabli', ...callerOf(request) }),
      );
      return reply.send({
        isSuccess: true,
        responseText: 'Success',
        responseData: tokens.accessToken,
        inactiveTokenTime: idleMinutes(tokens),
        remaining: accessMinutes(tokens),
      });
    },
  );
}
