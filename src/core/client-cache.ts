import type { Clock } from './clock.js';
import type { ClientRecord } from './records.js';
import type { Store } from './store.js';

/** Seconds a client record is served from memory before it is read again. */
export const CLIENT_CACHE_TTL = 5;

/**
 * Clients change rarely and are read on every refresh, so they are kept briefly in memory.
 * Changes made through this instance take effect at once; others within {@link CLIENT_CACHE_TTL}.
 */
export interface ClientCache {
  get(id: string): Promise<ClientRecord | undefined>;
  /** Whether some client lists `origin` among its `allowedOrigins` (the union, kept as briefly). */
  someAllowOrigin(origin: string): Promise<boolean>;
  /** Forgets a client after a local change. */
  invalidate(id: string): void;
}

/** Creates a {@link ClientCache} over the store. */
export function createClientCache(store: Store, clock: Clock): ClientCache {
  const entries = new Map<string, { client: ClientRecord | undefined; loadedAt: number }>();
  let origins: { set: ReadonlySet<string>; loadedAt: number } | undefined;
  return {
    async get(id) {
      const now = clock.now();
      const entry = entries.get(id);
      if (entry !== undefined && now - entry.loadedAt < CLIENT_CACHE_TTL) return entry.client;
      const client = await store.getClient(id);
      // Unknown ids are not cached: anyone can send them, and the map must stay small.
      if (client === undefined) entries.delete(id);
      else entries.set(id, { client, loadedAt: now });
      return client;
    },
    async someAllowOrigin(origin) {
      const now = clock.now();
      if (origins === undefined || now - origins.loadedAt >= CLIENT_CACHE_TTL) {
        const clients = await store.listClients();
        origins = { set: new Set(clients.flatMap((c) => c.allowedOrigins ?? [])), loadedAt: now };
      }
      return origins.set.has(origin);
    },
    invalidate(id) {
      entries.delete(id);
      origins = undefined;
    },
  };
}
