// Read by the CLI's configuration too, so this file imports nothing.

/** Limits on slow clients, in seconds. */
export interface HttpTimeouts {
  /** The request headers must arrive within this (RFC 9112 leaves it to the server). Default 10. */
  headersTtl: number;
  /** The whole request, body included, must arrive within this. Default 15. */
  requestTtl: number;
  /**
   * An idle keep-alive connection is closed after this. Default 72: longer than the 60 s idle
   * timeout of common load balancers, so that they never reuse a connection Baton just closed.
   */
  keepAliveTtl: number;
}

/** Default {@link HttpTimeouts}. */
export const HTTP_TIMEOUTS: Readonly<HttpTimeouts> = Object.freeze({
  headersTtl: 10,
  requestTtl: 15,
  keepAliveTtl: 72,
});
