import { browser, type WebStorageLike } from './browser-globals.js';
import { TokenClientError } from './token-client-error.js';

/**
 * Where a token client keeps its session: any object with these three async methods. Values are
 * strings. Set `shared` when other tabs or processes see the same storage, so that the client
 * coordinates its refreshes with them (Web Locks or a lease in the storage, and a
 * BroadcastChannel).
 */
export interface TokenStorage {
  get(key: string): Promise<string | null | undefined>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
  readonly shared?: boolean;
}

/** A storage that lives as long as the object: the default, visible to nothing else. */
export function memoryStorage(): TokenStorage {
  const values = new Map<string, string>();
  return {
    get: async (key) => values.get(key),
    set: async (key, value) => void values.set(key, value),
    remove: async (key) => void values.delete(key),
  };
}

/**
 * `window.localStorage` as a {@link TokenStorage}, shared by every tab of the origin. Survives
 * reloads; readable by any script of the origin (see docs/client.md on XSS).
 *
 * @example createTokenClient({ baseUrl, clientId, storage: localStorageAdapter() })
 */
export function localStorageAdapter(
  store: WebStorageLike | undefined = browser.localStorage,
): TokenStorage {
  if (store === undefined)
    throw new TokenClientError('ERR_CONFIG', 'localStorage is not available');
  return {
    get: async (key) => store.getItem(key),
    set: async (key, value) => store.setItem(key, value),
    remove: async (key) => store.removeItem(key),
    shared: true,
  };
}
