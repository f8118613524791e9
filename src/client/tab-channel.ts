import { browser, type BroadcastChannelLike } from './browser-globals.js';
import type { StoredSession } from './stored-session.js';

/** What tabs tell each other: a refresh started, its tokens, it failed, the session ended. */
export type TabMessage =
  | { k: 'start' }
  | { k: 'tokens'; session: StoredSession }
  | { k: 'failed' }
  | { k: 'end'; reason: string };

/** A BroadcastChannel between the tabs of one session (and nothing where there is none). */
export interface TabChannel {
  post(message: TabMessage): void;
  /**
   * Resolves once a refresh a peer announced has had its outcome told, or after `PEER_WAIT_MS`;
   * at once when no peer announced one.
   */
  peerSettled(): Promise<void>;
  close(): void;
}

// The lock, the storage and the channel reach other tabs by separate ways and in no fixed order,
// so a tab granted the lock may not yet see what the previous holder wrote or said.
const PEER_WAIT_MS = 500;

/** Opens the channel `name`; `receive` gets every message of the other tabs. */
export function openTabChannel(name: string, receive: (message: TabMessage) => void): TabChannel {
  let channel: BroadcastChannelLike | undefined;
  let busy = false;
  let settled: (() => void) | undefined;
  if (browser.BroadcastChannel !== undefined) {
    channel = new browser.BroadcastChannel(name);
    // Node: the channel must not keep the process alive.
    channel.unref?.();
    channel.onmessage = ({ data }) => {
      const message = data as TabMessage;
      busy = message.k === 'start';
      if (!busy) settled?.();
      receive(message);
    };
  }
  return {
    post: (message) => channel?.postMessage(message),
    peerSettled: async () => {
      if (!busy) return;
      await new Promise<void>((resolve) => {
        settled = resolve;
        setTimeout(resolve, PEER_WAIT_MS);
      });
      busy = false;
    },
    close: () => channel?.close(),
  };
}
