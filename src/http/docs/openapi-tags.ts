/** Tags in the order the reference shows them, each with what it groups. */
export const TAGS: readonly { name: string; description: string }[] = [
  {
    name: 'OAuth 2.0',
    description:
      'The standard face: the refresh grant (RFC 6749 §6), revocation (RFC 7009), introspection (RFC 7662), metadata (RFC 8414) and the JWKS. Errors are `{error, error_description, reason}`.',
  },
  {
    name: 'Dialect: payabli',
    description:
      'Payabli-compatible refresh with the access token in `requestToken`. Errors are `{isSuccess: false, responseText}`.',
  },
  {
    name: 'Dialect: transak',
    description:
      'Transak-compatible refresh with the access token in `authorization`. Errors are `{error: {statusCode, message}}`.',
  },
  {
    name: 'Dialect: sevenG',
    description:
      '7G-compatible refresh with the access and the refresh token. Errors are RFC 9457 problem details.',
  },
  {
    name: 'Dialect: aisquare',
    description:
      'AISquare-compatible refresh (Django REST framework simplejwt). Errors are `{detail, code?}` or field errors.',
  },
  {
    name: 'Dialect: adid',
    description: 'adid-compatible refresh with the refresh token. Errors are `{error, message}`.',
  },
  {
    name: 'Admin',
    description:
      'Sessions, subjects, keys, security events and clients, behind the admin token. Errors are `{error, error_description, code}`.',
  },
  {
    name: 'Operations',
    description:
      'Health, readiness, Prometheus metrics, this document and its reference page. Unauthenticated: keep them on an internal network.',
  },
];
