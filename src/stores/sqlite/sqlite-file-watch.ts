import { statSync } from 'node:fs';
import { BatonError } from '../../core/index.js';

/** Milliseconds between two checks of the database file on the hot path. */
const CHECK_INTERVAL_MS = 1000;

/**
 * Notices a database file deleted or replaced under an open connection. SQLite keeps writing to
 * the unlinked file, so refreshes would keep succeeding against data that is gone at the next
 * restart; once the file is not the one opened, every operation fails with
 * `ERR_STORE_UNAVAILABLE` instead, and stays failed.
 */
export interface FileWatch {
  /** Throws when the file is gone; stats it at most once a second unless `now` is set. */
  check(now?: boolean): void;
}

/** A watch over `path`, as it is now (`:memory:` is never checked). */
export function watchDatabaseFile(path: string): FileWatch {
  if (path === ':memory:') return { check: () => undefined };
  const opened = statSync(path);
  let checkedAt = Date.now();
  let vanished = false;
  return {
    check(now = false) {
      if (!vanished && (now || Date.now() - checkedAt >= CHECK_INTERVAL_MS)) {
        checkedAt = Date.now();
        const current = statSync(path, { throwIfNoEntry: false });
        vanished = current?.ino !== opened.ino || current.dev !== opened.dev;
      }
      if (vanished) {
        throw new BatonError('ERR_STORE_UNAVAILABLE', 'the store is unavailable', {
          detail: `the database file ${path} was deleted or replaced while open; restart Baton on a database`,
        });
      }
    },
  };
}
