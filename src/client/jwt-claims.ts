/** The claims of a JWT the client reads: expiry (epoch seconds) and session id. */
export interface JwtClaims {
  exp?: number;
  sid?: string;
}

/**
 * The payload of a JWT, unverified (the client only schedules by it; resource servers verify).
 * Empty when the token is not a JWT.
 */
export function jwtClaims(token: string): JwtClaims {
  try {
    const part = token.split('.')[1] ?? '';
    const claims: unknown = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof claims === 'object' && claims !== null ? (claims as JwtClaims) : {};
  } catch {
    return {};
  }
}
