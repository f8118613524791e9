// The few browser APIs the client uses, described structurally: the project compiles without the
// DOM library, and every one of them is feature-detected at run time (Node has none of the
// first three, and Node's BroadcastChannel only reaches threads of one process).

/** The part of the Web Locks API (`navigator.locks`) the client uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    callback: () => Promise<T>,
  ): Promise<T>;
}

/** The part of `BroadcastChannel` the client uses (`unref` is Node's). */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  unref?(): void;
}

/** The part of the Web Storage API (`localStorage`) the client uses. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** `window` and `document` as event targets. */
export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
  visibilityState?: string;
}

/** What the client may find on `globalThis`. */
export interface BrowserGlobals {
  navigator?: { locks?: LockManagerLike };
  BroadcastChannel?: new (name: string) => BroadcastChannelLike;
  localStorage?: WebStorageLike;
  document?: EventTargetLike;
  addEventListener?: EventTargetLike['addEventListener'];
  removeEventListener?: EventTargetLike['removeEventListener'];
}

/** `globalThis`, seen through {@link BrowserGlobals}. */
export const browser = globalThis as unknown as BrowserGlobals;
