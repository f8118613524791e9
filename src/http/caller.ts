import type { FastifyRequest } from 'fastify';

/** Who sent a request, as the core's rate limits, security events and origin checks see it. */
export interface Caller {
  /** The client IP (behind trusted proxies, as `BATON_TRUST_PROXY` says). */
  ip: string;
  /** The `Origin` header a browser sent, if any. */
  origin: string | undefined;
}

/** The {@link Caller} of a request. */
export function callerOf(request: FastifyRequest): Caller {
  return { ip: request.ip, origin: request.headers.origin };
}
