import { callerOf } from '../../caller.js';
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { BatonError } from '../../../core/index.js';
import type { ErrorRenderer } from '../../errors.js';
import { readParams } from '../../params.js';
import type { DialectOptions } from './context.js';
import {
  dialectErrorHeaders,
  dialectErrors,
  dialectStatus,
  readCredentialHeader,
  requireTokenField,
  withoutBearer,
} from './wire.js';

// 7G `POST /User/RefreshToken`, as 7G's published API reference documents it: Bearer access
// token (genuine, same session, may be expired) and `{refreshToken}`, with `Version: 2.0`.

/** 7G's published request body: `refreshToken`, a string of at most 255 characters. */
export const sevenGRequestSchema = {
  type: 'object',
  properties: {
    refreshToken: {
      type: 'string',
      maxLength: 255,
      description: 'Valid refresh token for session extension.',
    },
  },
  required: ['refreshToken'],
} as const;

/** 7G's published response example: both tokens. */
export const sevenGResponseSchema = {
  type: 'object',
  properties: { accessToken: { type: 'string' }, refreshToken: { type: 'string' } },
  required: ['accessToken', 'refreshToken'],
} as const;

/** RFC 9457 problem details, the error body of `status`. */
const problemSchema = (status: number) => ({
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['about:blank'] },
    title: { type: 'string', enum: [STATUS_CODES[status]] },
    status: { type: 'integer', enum: [status] },
    detail: { type: 'string', description: 'what went wrong, for people' },
  },
  required: ['type', 'title', 'status', 'detail'],
});

/** The only API version Baton speaks in this dialect. */
const VERSION = '2.0';

export const renderSevenGError: ErrorRenderer = (error) => {
  const status = dialectStatus(error);
  return {
    status,
    body: { type: 'about:blank', title: STATUS_CODES[status], status, detail: error.message },
    headers: { ...dialectErrorHeaders(error, status), 'content-type': 'application/problem+json' },
  };
};

export async function sevenGFace(
  app: FastifyInstance,
  { service, metrics }: DialectOptions,
): Promise<void> {
  app.post(
    '/User/RefreshToken',
    {
      config: {
        face: 'sevenG',
        renderError: renderSevenGError,
        openapi: {
          tags: ['Dialect: sevenG'],
          operationId: 'seven-g-refresh-token',
          summary: 'Refresh tokens',
          description:
            'Exchanges a valid refresh token for new access and refresh tokens. The current access token (may be expired, same session) is required in the Authorization header; the previous access token is revoked. See docs/dialects.md.',
          // The credentials are the Authorization parameter and the body, as the published API
          // describes them.
          security: [],
          parameters: [
            {
              name: 'Authorization',
              in: 'header',
              required: true,
              description: 'Bearer {accessToken}: current access token (required for validation)',
              schema: { type: 'string' },
            },
            {
              name: 'Version',
              in: 'header',
              required: true,
              description: 'API version identifier',
              schema: { type: 'string', enum: [VERSION] },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: sevenGRequestSchema },
              'application/x-www-form-urlencoded': { schema: sevenGRequestSchema },
            },
          },
          responses: {
            '200': {
              description: 'new access and refresh tokens',
              content: { 'application/json': { schema: sevenGResponseSchema } },
            },
            ...dialectErrors(
              {
                400: 'malformed request or unsupported Version',
                401: 'access or refresh token not valid',
                429: 'too many failed refreshes; see Retry-After',
                500: 'internal error',
                503: 'store unavailable',
              },
              problemSchema,
              'application/problem+json',
            ),
          },
        },
      },
    },
    async (request, reply) => {
      const version = readCredentialHeader(request, 'version', 'Version');
      if (version !== VERSION)
        throw new BatonError('ERR_INVALID_REQUEST', `the Version header must be ${VERSION}`);
      const accessToken = withoutBearer(
        readCredentialHeader(request, 'authorization', 'Authorization'),
        'Authorization',
      );
      const refreshToken = requireTokenField(readParams(request.body), 'refreshToken', 255);
      const { tokens } = await metrics.refresh('sevenG', () =>
        service.refresh({ refreshToken, accessToken, dialect: 'sevenG', ...callerOf(request) }),
      );
      // Without rotation (an operator's choice) the presented refresh token stays the one to keep.
      return reply.send({
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken ?? refreshToken,
      });
    },
  );
}
