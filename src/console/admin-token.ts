// The admin token lives in this tab's sessionStorage only: never in a URL, a cookie or the page.
// Closing the tab forgets it; another tab signs in on its own.

const KEY = 'baton.console.adminToken';

/** The admin token of this tab, if signed in. */
export function readAdminToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the admin token for this tab. */
export function saveAdminToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

/** Forgets the admin token (sign out). */
export function forgetAdminToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: nothing was kept
  }
}
