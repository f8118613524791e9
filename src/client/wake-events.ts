import { browser, type EventTargetLike } from './browser-globals.js';

/**
 * Calls `check` whenever a page may have slept: it becomes visible, is shown again from the
 * back/forward cache, comes back online, or resumes after the browser froze it. Background tabs
 * throttle and frozen tabs stop timers, so a timer alone would wake too late. Returns the
 * function that removes the listeners; does nothing outside browsers.
 */
export function onWake(check: () => void): () => void {
  const win = browser.addEventListener === undefined ? undefined : (browser as EventTargetLike);
  const targets: [EventTargetLike | undefined, string[]][] = [
    [browser.document, ['visibilitychange', 'resume']],
    [win, ['pageshow', 'online']],
  ];
  const each = (method: 'addEventListener' | 'removeEventListener'): void => {
    for (const [target, types] of targets) for (const type of types) target?.[method](type, check);
  };
  each('addEventListener');
  return () => each('removeEventListener');
}
