/** The grace Baton documents as its default, in seconds, when the server does not say. */
const DEFAULT_GRACE_SECONDS = 10;

const graces = new Map<string, Promise<number>>();

/**
 * The server's reuse grace in milliseconds: `baton_reuse_grace_seconds` from its RFC 8414
 * metadata, fetched once per `baseUrl` and kept for the life of the page or process. A fetch that
 * failed or met a 5xx is not kept, and the default stands in for it.
 */
export function serverReuseGrace(baseUrl: string, fetcher: typeof fetch): Promise<number> {
  let grace = graces.get(baseUrl);
  if (grace === undefined) {
    grace = fetcher(`${baseUrl}/.well-known/oauth-authorization-server`)
      .then(async (response) => {
        if (response.status >= 500) throw new Error('metadata unavailable');
        const seconds = response.ok
          ? ((await response.json()) as { baton_reuse_grace_seconds?: unknown })
              .baton_reuse_grace_seconds
          : undefined;
        return typeof seconds === 'number' && seconds >= 0
          ? seconds * 1000
          : DEFAULT_GRACE_SECONDS * 1000;
      })
      .catch(() => {
        graces.delete(baseUrl);
        return DEFAULT_GRACE_SECONDS * 1000;
      });
    graces.set(baseUrl, grace);
  }
  return grace;
}
