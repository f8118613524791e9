/**
 * What other instances must hear at once because they keep it in memory: a client changed or
 * was removed (client cache), the signing keys changed (keyring). Sessions, refresh tokens and
 * revoked access-token ids are never cached, so their revocations need no message: every
 * instance reads them from the store on each request.
 */
export type Invalidation = { type: 'client'; id: string } | { type: 'keys' };

/**
 * A channel between instances (Redis pub/sub when configured). Messages from this instance are
 * also delivered to its own subscribers; handlers must be idempotent.
 */
export interface InvalidationBus {
  publish(message: Invalidation): Promise<void>;
  /** Calls `handler` for every message from any instance; returns the unsubscribe function. */
  subscribe(handler: (message: Invalidation) => void): () => void;
}

/** The bus of a single instance: nothing to tell anyone. */
export const localInvalidationBus: InvalidationBus = {
  publish: () => Promise.resolve(),
  subscribe: () => () => {},
};
