import { browser, type LockManagerLike } from './browser-globals.js';
import type { TokenStorage } from './token-storage.js';

/** Runs `task` while no other tab of the origin runs one under the same name. */
export type TabLock = <T>(task: () => Promise<T>) => Promise<T>;

/** How long a tab waits for another tab's lock before it takes it over, in milliseconds. */
export const LOCK_WAIT_MS = 5000;
// Time for racing lease writes to land before a tab reads back which one won.
const SETTLE_MS = 40;
const POLL_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lock across the tabs sharing `storage`: Web Locks where the browser has them, otherwise a
 * lease written to the storage. Either is taken over after {@link LOCK_WAIT_MS}: a frozen tab
 * keeps its Web Locks, and a crashed one leaves its lease behind. Taking over is safe because the
 * lock only saves requests: a second tab sending the same refresh inside the server's reuse
 * grace gets the same answer.
 */
export function createTabLock(
  name: string,
  storage: TokenStorage,
  locks: LockManagerLike | undefined = browser.navigator?.locks,
): TabLock {
  return locks === undefined ? leaseLock(name, storage) : webLock(name, locks);
}

function webLock(name: string, locks: LockManagerLike): TabLock {
  return async (task) => {
    let running: ReturnType<typeof task> | undefined;
    const run = (): ReturnType<typeof task> => (running = task());
    const waited = new AbortController();
    const timer = setTimeout(() => waited.abort(), LOCK_WAIT_MS);
    try {
      return await locks.request(name, { signal: waited.signal }, run);
    } catch (error) {
      // Once the task ran, its own outcome counts: the lock may have been stolen from under it.
      if (running !== undefined) return running;
      if (!waited.signal.aborted) throw error;
      return locks.request(name, { steal: true }, run);
    } finally {
      clearTimeout(timer);
    }
  };
}

// Lease times are the real clock of the machine, which all its tabs share.
function leaseLock(name: string, storage: TokenStorage): TabLock {
  const now = Date.now;
  const key = `${name}:lease`;
  const owner = Math.random().toString(36).slice(2);
  const holder = async (): Promise<{ o?: string; u?: number }> => {
    try {
      return JSON.parse((await storage.get(key)) ?? '{}') as { o?: string; u?: number };
    } catch {
      return {};
    }
  };
  return async (task) => {
    // Past the wait, a tab goes ahead without the lease rather than fight for it.
    for (const end = now() + LOCK_WAIT_MS; now() < end; await sleep(POLL_MS)) {
      const lease = await holder();
      if (lease.o !== undefined && (lease.u ?? 0) > now()) continue;
      await storage.set(key, JSON.stringify({ o: owner, u: now() + LOCK_WAIT_MS }));
      await sleep(SETTLE_MS);
      if ((await holder()).o === owner) break;
    }
    try {
      return await task();
    } finally {
      if ((await holder()).o === owner) await storage.remove(key);
    }
  };
}
