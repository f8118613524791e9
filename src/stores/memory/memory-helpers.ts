import { BatonError, type SessionRecord, type Store } from '../../core/index.js';

/** Freezes `value` and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

// Claims never change after sign-in: they are copied and frozen once, then shared. The rest of
// the record is copied on the way in and out, like rows of a real database.
/** A copy of a session record as a database row read would give it. */
export const copySession = (session: SessionRecord): SessionRecord => ({ ...session });

/** `store`, refusing every call but `close` once `isClosed()`, like a real database. */
export function refuseAfterClose(store: Store, isClosed: () => boolean): Store {
  return Object.fromEntries(
    Object.entries(store).map(([name, value]) => [
      name,
      typeof value !== 'function' || name === 'close'
        ? value
        : (...args: unknown[]) =>
            isClosed()
              ? Promise.reject(
                  new BatonError('ERR_STORE_UNAVAILABLE', 'the store is unavailable', {
                    detail: 'closed',
                  }),
                )
              : (value as (...a: unknown[]) => Promise<unknown>).apply(store, args),
    ]),
  ) as unknown as Store;
}
