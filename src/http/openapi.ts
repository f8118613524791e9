import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { TAGS } from './docs/openapi-tags.js';
import { ERROR_CODES, type ErrorCode } from '../core/index.js';
import { errorCatalogue } from './docs/error-catalogue.js';

// How a route is documented: its `config.openapi` is an OpenAPI operation object with `tags`
// (one of TAGS below), a unique camelCase `operationId`, a `summary`, `security` (`[]` when
// public) and `responses`: the success body via `jsonContent(schema)` and the errors via the
// face's helper (`oauthErrors`, `adminErrors`, `dialectErrors`), which add the headers of 401,
// 429 and 503. Path and query parameters and a JSON body come from the route's own schema.

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's OpenAPI operation object; routes without one are not documented. */
    openapi?: Record<string, unknown>;
  }
}

/** An OpenAPI 3.1 document. */
export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, unknown>>;
};

/** A JSON Schema object as it appears in the document. */
export type JsonSchema = Record<string, unknown>;

/** Collects the documented routes as they are registered. Call before registering faces. */
export function collectRoutes(app: FastifyInstance): RouteOptions[] {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.config?.openapi !== undefined) routes.push(route);
  });
  return routes;
}

/** `{ 'application/json': { schema } }`, the usual `content` of a response or request body. */
export const jsonContent = (schema: JsonSchema, mediaType = 'application/json') => ({
  [mediaType]: { schema },
});

/** Codes that can reach the wire (an invalid configuration stops start-up instead). */
export const WIRE_ERROR_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
  (code) => code !== 'ERR_INVALID_CONFIG',
);

/** The wire codes for which `statusOf` gives `status`, e.g. every code a face answers 400 with. */
export function codesAnsweredWith(
  status: number,
  statusOf: (code: ErrorCode) => number = (code) => ERROR_CODES[code].status,
): ErrorCode[] {
  return WIRE_ERROR_CODES.filter((code) => statusOf(code) === status);
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

/** How a face writes its errors, as far as the OpenAPI document needs to know. */
export interface ErrorFormat {
  /** Media type of the error body. */
  mediaType: string;
  /** The body schema of an error answered with `status`. */
  schema: (status: number) => JsonSchema;
  /** What a 401's `WWW-Authenticate` header says; absent when the face sends none. */
  challenge?: string;
}

const RETRY_AFTER = {
  description: 'Seconds to wait before retrying',
  required: true,
  schema: { type: 'integer', minimum: 0 },
} as const;

/** What each error status means, whatever the face; a face may say it in its own words. */
const STATUS_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'The request is malformed or was refused; the body says why',
  401: 'Authentication is missing or failed',
  403: 'Not allowed',
  404: 'No such resource',
  409: 'Conflicts with the current state',
  413: 'The body is larger than 16 KiB',
  415: 'The body is neither application/x-www-form-urlencoded nor application/json',
  429: 'Too many failed attempts from this IP or on this session; retry after Retry-After seconds',
  431: 'The request headers are too large (answered before routing)',
  500: 'A fault in Baton itself (logged); never caused by the request',
  503: 'The store cannot be reached and nothing was changed; retry after Retry-After seconds',
};

/**
 * OpenAPI responses for the given error statuses in a face's format: 429 and 503 document
 * `Retry-After`, 401 the face's `WWW-Authenticate` challenge.
 *
 * @example errorResponses(OAUTH_ERROR_FORMAT, [400, 401], { 400: 'invalid grant' })
 */
export function errorResponses(
  format: ErrorFormat,
  statuses: readonly number[],
  descriptions: Readonly<Record<number, string>> = {},
): Record<string, unknown> {
  return Object.fromEntries(
    unique(statuses.map(String)).map((key) => {
      const status = Number(key);
      const headers: Record<string, unknown> = {};
      if (status === 429 || status === 503) headers['Retry-After'] = RETRY_AFTER;
      if (status === 401 && format.challenge !== undefined) {
        headers['WWW-Authenticate'] = {
          description: format.challenge,
          required: true,
          schema: { type: 'string' },
        };
      }
      return [
        key,
        {
          description:
            descriptions[status] ?? STATUS_DESCRIPTIONS[status] ?? STATUS_CODES[status] ?? key,
          ...(Object.keys(headers).length === 0 ? {} : { headers }),
          content: jsonContent(format.schema(status), format.mediaType),
        },
      ];
    }),
  );
}

/**
 * The body schema of the admin (and default) error format, `{error, error_description, code}`,
 * with `error` and `code` narrowed to what `status` can carry.
 */
export function adminErrorSchema(status: number): JsonSchema {
  const codes = codesAnsweredWith(status);
  return {
    type: 'object',
    required: ['error', 'error_description', 'code'],
    properties: {
      error: { type: 'string', enum: unique(codes.map((code) => ERROR_CODES[code].error)) },
      error_description: { type: 'string', description: 'for people; never parse it' },
      code: { type: 'string', enum: codes, description: 'machine-readable; see the error codes' },
    },
  };
}

/** The admin API's (and the default) error format. */
export const ADMIN_ERROR_FORMAT: ErrorFormat = {
  mediaType: 'application/json',
  schema: adminErrorSchema,
  challenge: 'Bearer realm="baton-admin": the admin token is missing or wrong',
};

/**
 * Error responses in the admin (default) format, plus 431 and 500, which any request can get.
 *
 * @example adminErrors([400, 401, 404, 429, 503])
 */
export const adminErrors = (statuses: readonly number[]): Record<string, unknown> =>
  errorResponses(
    ADMIN_ERROR_FORMAT,
    [...statuses, 431, 500].sort((a, b) => a - b),
  );

interface RouteSchemas {
  body?: unknown;
  params?: { properties?: Record<string, JsonSchema> };
  querystring?: { properties?: Record<string, JsonSchema>; required?: string[] };
}

interface Parameter {
  name: string;
  in: string;
}

/** Path parameters from the URL (typed by the route's params schema) and query parameters. */
function routeParameters(route: RouteOptions): Parameter[] {
  const schema = route.schema as RouteSchemas | undefined;
  const path = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => {
    const name = match[1] as string;
    return {
      name,
      in: 'path',
      required: true,
      schema: schema?.params?.properties?.[name] ?? { type: 'string' },
    };
  });
  const required = new Set(schema?.querystring?.required ?? []);
  const query = Object.entries(schema?.querystring?.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
  return [...path, ...query];
}

/**
 * The generated parameters, each completed by a documented one of the same name and place (a
 * description, a narrower schema), then the documented ones the route's schema does not know.
 */
function mergeParameters(generated: Parameter[], documented: unknown): Parameter[] {
  const own = (Array.isArray(documented) ? documented : []) as Parameter[];
  const key = (parameter: Parameter) => `${parameter.in}:${parameter.name.toLowerCase()}`;
  const byKey = new Map(own.map((parameter) => [key(parameter), parameter]));
  const merged = generated.map((parameter) => ({ ...parameter, ...byKey.get(key(parameter)) }));
  const known = new Set(generated.map(key));
  return [...merged, ...own.filter((parameter) => !known.has(key(parameter)))];
}

const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The OpenAPI 3.1 document of every documented route that is mounted. */
export function buildOpenApi(
  routes: RouteOptions[],
  info: { issuer: string; version: string },
): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const usedTags = new Set<string>();
  for (const route of routes) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const schema = route.schema as RouteSchemas | undefined;
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const operation: Record<string, unknown> = { ...route.config?.openapi };
      const parameters = mergeParameters(routeParameters(route), operation.parameters);
      if (parameters.length > 0) operation.parameters = parameters;
      if (schema?.body !== undefined && operation.requestBody === undefined) {
        operation.requestBody = { required: true, content: jsonContent(schema.body as JsonSchema) };
      }
      for (const tag of (operation.tags ?? []) as string[]) usedTags.add(tag);
      (paths[toOpenApiPath(route.url)] ??= {})[method.toLowerCase()] = operation;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton',
      version: info.version,
      summary: 'Token service: safe refresh, rotation, reuse detection.',
      description: errorCatalogue(),
    },
    servers: [{ url: info.issuer }],
    tags: [
      ...TAGS.filter((tag) => usedTags.has(tag.name)),
      ...[...usedTags]
        .filter((name) => !TAGS.some((tag) => tag.name === name))
        .map((name) => ({ name, description: name })),
    ],
    components: {
      securitySchemes: {
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description:
            'A confidential client: client_id and client_secret, each form-urlencoded, in HTTP Basic (RFC 6749 §2.3.1). The same credentials may be sent in the body instead.',
        },
        adminBearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The admin token (`BATON_ADMIN_TOKEN`, or the one printed at first start).',
        },
      },
    },
    paths,
  };
}
