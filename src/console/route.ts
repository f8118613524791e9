import { useEffect, useState } from 'preact/hooks';

/** The console's pages, in the order of the navigation. */
export const PAGES = [
  ['sessions', 'Sessions'],
  ['events', 'Events'],
  ['activity', 'Activity'],
  ['keys', 'Keys'],
  ['clients', 'Clients'],
] as const;

/** One of the console's pages. */
export type PageName = (typeof PAGES)[number][0];

/** Where the console is: a page and its query, from the URL's fragment (`#/sessions?q=alice`). */
export interface Route {
  page: PageName;
  query: URLSearchParams;
}

/**
 * Reads the route from `hash`. The fragment never reaches the server, and the server serves one
 * page: `/console`.
 */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const page = PAGES.find(([name]) => name === path)?.[0] ?? 'sessions';
  return { page, query: new URLSearchParams(query) };
}

/** The current route, following `hashchange` (links, back and forward). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}

/** Goes to a page (a new history entry). */
export function navigate(page: PageName, query: Record<string, string> = {}): void {
  const text = new URLSearchParams(query).toString();
  location.hash = `#/${page}${text === '' ? '' : `?${text}`}`;
}
