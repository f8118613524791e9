import type { SchemaObject } from 'ajv';

// JSON schemas of the five wire dialects, transcribed by hand from the vendors' published API
// reference pages (cited per dialect below) and, where a page is silent, from docs/dialects.md.
// They are deliberately NOT imported from src/: the tests hold the implementation to the
// published APIs. Every `$ref` of a page is resolved inline; titles and descriptions are kept as
// published.

// ---------------------------------------------------------------------------------------------
// payabli: POST /api/User/authrefresh, Payabli's API reference, "Refresh token for User",
// https://docs.payabli.com/developers/api-reference/user/refresh-token-for-user
// ---------------------------------------------------------------------------------------------

/**
 * Payabli's API reference, `components.schemas["type_:PayabliApiResponseUserMfa"]`, the 200
 * schema, with `type_:IsSuccess`, `type_:Responsedatanonobject` and `type_:ResponseText`
 * resolved inline.
 */
export const payabliResponseUserMfa: SchemaObject = {
  type: 'object',
  properties: {
    inactiveTokenTime: { type: 'integer' },
    isSuccess: { type: 'boolean' },
    remaining: { type: 'integer' },
    responseData: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    responseText: { type: 'string' },
  },
  required: ['responseText'],
};

/**
 * Payabli's API reference, the `requestToken` header parameter (`in: header`, `required: true`,
 * `schema: {type: string}`).
 */
export const payabliRequestTokenParameter = {
  name: 'requestToken',
  in: 'header',
  required: true,
  schema: { type: 'string' },
} as const;

/** Payabli's API reference lists 400, 401, 500 and 503; docs/dialects.md adds 429. */
export const payabliErrorStatuses = [400, 401, 429, 500, 503] as const;

/**
 * docs/dialects.md "payabli": the error body, `{"isSuccess": false, "responseText": "…"}` (the
 * published error responses have `content: {}`; Baton answers Payabli's own response shape).
 */
export const payabliErrorBody: SchemaObject = {
  type: 'object',
  properties: {
    isSuccess: { const: false },
    responseText: { type: 'string', minLength: 1 },
  },
  required: ['isSuccess', 'responseText'],
  additionalProperties: false,
};

/**
 * docs/dialects.md "payabli": what Baton puts in the published 200 schema: `isSuccess: true`,
 * `responseText: "Success"`, the new access token as a string, and both numbers.
 */
export const payabliBatonSuccess: SchemaObject = {
  type: 'object',
  properties: {
    isSuccess: { const: true },
    responseText: { const: 'Success' },
    responseData: { type: 'string', minLength: 1 },
    inactiveTokenTime: { type: 'integer', minimum: 0 },
    remaining: { type: 'integer', minimum: 0 },
  },
  required: ['isSuccess', 'responseText', 'responseData', 'inactiveTokenTime', 'remaining'],
  additionalProperties: false,
};

// ---------------------------------------------------------------------------------------------
// transak: GET /api/v2/auth/refresh, Transak's API reference, "Refresh User Access Token",
// https://docs.transak.com/api/whitelabel/user/refresh-user-access-token
// ---------------------------------------------------------------------------------------------

/**
 * Transak's API reference, `User_refresh-user-access-token_Response_200`, with
 * `ApiV2AuthRefreshGetResponsesContentApplicationJsonSchemaData` resolved inline.
 */
export const transakResponse200: SchemaObject = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: {
        accessToken: { type: 'string' },
      },
      required: ['accessToken'],
      title: 'ApiV2AuthRefreshGetResponsesContentApplicationJsonSchemaData',
    },
  },
  required: ['data'],
  title: 'User_refresh-user-access-token_Response_200',
};

/**
 * Transak's API reference, `Refresh-user-access-tokenRequestInternalServerError`, with
 * `ApiV2AuthRefreshGetResponsesContentApplicationJsonSchemaError` resolved inline. docs/dialects.md
 * uses it for every transak error.
 */
export const transakInternalServerError: SchemaObject = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        statusCode: { type: 'integer' },
        message: { type: 'string' },
      },
      required: ['statusCode', 'message'],
      title: 'ApiV2AuthRefreshGetResponsesContentApplicationJsonSchemaError',
    },
  },
  required: ['error'],
  title: 'Refresh-user-access-tokenRequestInternalServerError',
};

/**
 * docs/dialects.md "transak": the published error schema for an answer of HTTP `status`, whose
 * `statusCode` "repeats the HTTP status".
 */
export function transakErrorBody(status: number): SchemaObject {
  return {
    allOf: [
      transakInternalServerError,
      { properties: { error: { properties: { statusCode: { const: status } } } } },
    ],
  };
}

/**
 * Transak's API reference, the `authorization` header parameter (`required: true`,
 * `schema: {type: string}`).
 */
export const transakAuthorizationParameter = {
  name: 'authorization',
  in: 'header',
  required: true,
  schema: { type: 'string' },
} as const;

/** Transak's API reference lists 500; docs/dialects.md: 400, 401, 429, 500, 503. */
export const transakErrorStatuses = [400, 401, 429, 500, 503] as const;

// ---------------------------------------------------------------------------------------------
// sevenG: POST /User/RefreshToken, 7G's published API reference
// ---------------------------------------------------------------------------------------------

/**
 * 7G's published API reference, "Request Body": `refreshToken`, `string(255)`, "Valid refresh
 * token for session extension." The page's "Required" column shows no marker; the token is the
 * whole request ("Refresh token provided in request body is used to generate new
 * tokens"), so it is required.
 */
export const sevenGRequestBody: SchemaObject = {
  type: 'object',
  properties: {
    refreshToken: {
      type: 'string',
      maxLength: 255,
      description: 'Valid refresh token for session extension.',
    },
  },
  required: ['refreshToken'],
};

/**
 * 7G's published API reference, "Response Examples": `{accessToken, refreshToken}`, both
 * strings, both present.
 */
export const sevenGResponse: SchemaObject = {
  type: 'object',
  properties: {
    accessToken: { type: 'string' },
    refreshToken: { type: 'string' },
  },
  required: ['accessToken', 'refreshToken'],
};

/**
 * 7G's published API reference, "Required Headers": Authorization (`Bearer {accessToken}`) and
 * Version (`2.0`); docs/dialects.md makes both required.
 */
export const sevenGHeaderNames = ['Authorization', 'Version'] as const;

/**
 * docs/dialects.md "sevenG" (7G's API reference shows no error body): RFC 9457 problem details,
 * `{type, title, status, detail}`, `application/problem+json`, `status` the HTTP status.
 */
export function sevenGProblemDetails(status: number): SchemaObject {
  return {
    type: 'object',
    properties: {
      type: { type: 'string', const: 'about:blank' },
      title: { type: 'string', minLength: 1 },
      status: { type: 'integer', const: status },
      detail: { type: 'string', minLength: 1 },
    },
    required: ['type', 'title', 'status', 'detail'],
  };
}

/** docs/dialects.md "sevenG": 400, 401, 429, 500, 503. */
export const sevenGErrorStatuses = [400, 401, 429, 500, 503] as const;

// ---------------------------------------------------------------------------------------------
// aisquare: POST /api/v1/token/refresh/, AISquare Studio's API reference, "Refresh JWT Token",
// https://docs.aisquare.studio/api-reference/ai-square-studio-api/token/refresh-create
// ---------------------------------------------------------------------------------------------

/** AISquare Studio's API reference, `components.schemas.TokenRefresh`, the request body. */
export const aisquareTokenRefresh: SchemaObject = {
  type: 'object',
  properties: {
    access: { type: 'string' },
    refresh: { type: 'string' },
  },
  required: ['access', 'refresh'],
  title: 'TokenRefresh',
};

/** AISquare Studio's API reference, the 200 and 400 response schemas: "Any type". */
export const aisquareAnyType: SchemaObject = { description: 'Any type' };

/**
 * docs/dialects.md "aisquare": the 200 body, `{access, refresh}` (`refresh` only when rotation
 * is on).
 */
export const aisquareBatonSuccess: SchemaObject = {
  type: 'object',
  properties: {
    access: { type: 'string', minLength: 1 },
    refresh: { type: 'string', minLength: 1 },
  },
  required: ['access'],
  additionalProperties: false,
};

/**
 * docs/dialects.md "aisquare" (the API reference's "400 Invalid token"): any token that is not
 * valid, `{"detail": "Token is invalid or expired", "code": "token_not_valid"}`.
 */
export const aisquareTokenNotValid: SchemaObject = {
  type: 'object',
  properties: {
    detail: { const: 'Token is invalid or expired' },
    code: { const: 'token_not_valid' },
  },
  required: ['detail', 'code'],
  additionalProperties: false,
};

/**
 * docs/dialects.md "aisquare": a malformed body answers Django REST framework field errors,
 * e.g. `{"refresh": ["This field is required."]}` or `{"non_field_errors": ["…"]}`: field names
 * to lists of messages.
 */
export const aisquareFieldErrors: SchemaObject = {
  type: 'object',
  minProperties: 1,
  additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
};

/**
 * docs/dialects.md "aisquare": DRF's other errors, `{"detail": "…"}`: a body that is not valid
 * JSON, too large or of another content type (400), 429 throttled, 500.
 */
export const aisquareDetail: SchemaObject = {
  type: 'object',
  properties: { detail: { type: 'string', minLength: 1 } },
  required: ['detail'],
  additionalProperties: false,
};

/** docs/dialects.md "aisquare": the 503, `{"detail": "…", "code": "temporarily_unavailable"}`. */
export const aisquareUnavailable: SchemaObject = {
  type: 'object',
  properties: {
    detail: { type: 'string', minLength: 1 },
    code: { const: 'temporarily_unavailable' },
  },
  required: ['detail', 'code'],
  additionalProperties: false,
};

/** docs/dialects.md "aisquare": 400 (malformed and not-valid tokens), 429, 500, 503. */
export const aisquareErrorStatuses = [400, 429, 500, 503] as const;

// ---------------------------------------------------------------------------------------------
// adid: POST /api/v1/auth/refresh, adid's API reference, "Exchange a refresh token for a new
// access token",
// https://docs.adid.dev/api-reference/rest-api/auth/exchange-a-refresh-token-for-a-new-access-token
// ---------------------------------------------------------------------------------------------

/** adid's API reference, the `requestBody` schema. */
export const adidRequestBody: SchemaObject = {
  type: 'object',
  properties: {
    refreshToken: { type: 'string' },
  },
  required: ['refreshToken'],
};

/** adid's API reference, `Auth_exchangeARefreshTokenForANewAccessToken_Response_200`. */
export const adidResponse200: SchemaObject = {
  type: 'object',
  properties: {},
  description: 'Empty response body',
  title: 'Auth_exchangeARefreshTokenForANewAccessToken_Response_200',
};

/**
 * docs/dialects.md "adid": what Baton puts in the published (property-less) 200 object:
 * `{accessToken, refreshToken, expiresIn}`, `refreshToken` only when rotation is on, `expiresIn`
 * in seconds.
 */
export const adidBatonSuccess: SchemaObject = {
  type: 'object',
  properties: {
    accessToken: { type: 'string', minLength: 1 },
    refreshToken: { type: 'string', minLength: 1 },
    expiresIn: { type: 'integer', minimum: 0 },
  },
  required: ['accessToken', 'expiresIn'],
  additionalProperties: false,
};

/**
 * docs/dialects.md "adid": the error body, `{"error": "<reason>", "message": "…"}`, `reason` the
 * machine-readable reason of docs/errors.md.
 */
export const adidErrorBody: SchemaObject = {
  type: 'object',
  properties: {
    error: { type: 'string', pattern: '^[a-z_]+$' },
    message: { type: 'string', minLength: 1 },
  },
  required: ['error', 'message'],
  additionalProperties: false,
};

/** docs/dialects.md "adid": 400, 401, 429, 500, 503. */
export const adidErrorStatuses = [400, 401, 429, 500, 503] as const;
