// `baton/client`: the token client for browsers and Node (docs/client.md).
export { createTokenClient, type TokenClient } from './token-client.js';
export type { FetchLike, InitialTokens, TokenClientOptions, TokenSet } from './client-options.js';
export { localStorageAdapter, memoryStorage, type TokenStorage } from './token-storage.js';
export { TokenClientError, type TokenClientErrorCode } from './token-client-error.js';
export type { Dialect } from './refresh-wire.js';
