import { useEffect, useState } from 'preact/hooks';
import { authorization, errorOf, reportUnauthorized } from './api.js';
import { createSseParser } from './sse-parser.js';
import type { SecurityEvent } from './types.js';

/** The filters of the event stream; empty strings filter nothing. */
export interface FeedFilters {
  type: string;
  subject: string;
  clientId: string;
}

/** Where the stream stands, for the status line. */
export type FeedState =
  { kind: 'connecting' } | { kind: 'live' } | { kind: 'waiting'; seconds: number; reason: string };

/** Events the console keeps in memory, newest first. */
const KEPT = 500;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

function streamPath(filters: FeedFilters): string {
  const query = new URLSearchParams();
  if (filters.type !== '') query.set('type', filters.type);
  if (filters.subject !== '') query.set('subject', filters.subject);
  if (filters.clientId !== '') query.set('clientId', filters.clientId);
  const text = query.toString();
  return `admin/events/stream${text === '' ? '' : `?${text}`}`;
}

/**
 * Follows `GET /admin/events/stream` with the admin token in the `Authorization` header (which
 * EventSource cannot send, hence fetch), reconnecting with `Last-Event-ID` after a drop, so that
 * no event is missed or shown twice. New filters start a new stream.
 */
export function useEventFeed(filters: FeedFilters): {
  events: SecurityEvent[];
  state: FeedState;
} {
  const [events, setEvents] = useState<SecurityEvent[]>([]);
  const [state, setState] = useState<FeedState>({ kind: 'connecting' });
  const key = streamPath(filters);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let lastId: string | undefined;
    setEvents([]);

    async function follow(): Promise<number> {
      const response = await fetch(key, {
        headers: {
          ...authorization(),
          ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
        },
        signal,
        cache: 'no-store',
        credentials: 'omit',
      });
      if (!response.ok || response.body === null) {
        const error = await errorOf(response);
        if (response.status === 401) {
          reportUnauthorized();
          return -1;
        }
        const seconds = error.retryAfter ?? 5;
        setState({ kind: 'waiting', seconds, reason: error.message });
        return seconds;
      }
      setState({ kind: 'live' });
      let batch: SecurityEvent[] = [];
      const parse = createSseParser((message) => {
        if (message.id !== undefined) lastId = message.id;
        try {
          batch.push(JSON.parse(message.data) as SecurityEvent);
        } catch {
          // not an event of ours: skip it
        }
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parse(value);
        if (batch.length > 0) {
          const arrived = batch.reverse();
          batch = [];
          setEvents((kept) => [...arrived, ...kept].slice(0, KEPT));
        }
      }
      setState({ kind: 'waiting', seconds: 2, reason: 'The stream ended.' });
      return 2;
    }

    void (async () => {
      while (!signal.aborted) {
        setState({ kind: 'connecting' });
        let seconds: number;
        try {
          seconds = await follow();
        } catch {
          if (signal.aborted) return;
          seconds = 2;
          setState({ kind: 'waiting', seconds, reason: 'The connection was lost.' });
        }
        if (seconds < 0) return;
        await sleep(seconds * 1000, signal);
      }
    })();
    return () => controller.abort();
  }, [key]);

  return { events, state };
}
