import { PassThrough } from 'node:stream';
import type { SecurityEvent } from '../core/index.js';

/** Milliseconds between two reads of the store: events of other instances appear this late. */
export const EVENT_POLL_MS = 1000;
/** Milliseconds between two heartbeat comments, which keep proxies from closing a quiet stream. */
export const EVENT_HEARTBEAT_MS = 15_000;
/** Events read per query; a full page is followed at once by the next. */
const PAGE_SIZE = 100;
/** Pages read per poll at most, so that a flood of events does not hold the event loop. */
const MAX_PAGES_PER_POLL = 10;

/** Options of {@link createEventStream}. */
export interface EventStreamOptions {
  /** Reads the events recorded after `afterId`, oldest first, at most `limit`. */
  list(afterId: number, limit: number): Promise<SecurityEvent[]>;
  /** Whether to send an event (the filters the store does not apply). */
  keep(event: SecurityEvent): boolean;
  /** The stream sends the events recorded after this id. */
  afterId: number;
  pollMs?: number;
  heartbeatMs?: number;
}

/** A running event stream. */
export interface EventStream {
  /** The `text/event-stream` body. */
  readonly body: PassThrough;
  /** Stops polling and ends the body; safe to call more than once. */
  stop(): void;
}

/**
 * One event in the `text/event-stream` format (WHATWG HTML, server-sent events): its id, its
 * type as the event name and the event as JSON, which never holds a line break.
 */
export function formatEvent(event: SecurityEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Follows the security events by polling `list` every `pollMs` (so that events recorded by
 * other instances appear too), writes the kept ones in the server-sent events format, and a
 * comment every `heartbeatMs`. A reader that falls behind pauses the polling until it drains.
 */
export function createEventStream(options: EventStreamOptions): EventStream {
  const pollMs = options.pollMs ?? EVENT_POLL_MS;
  const heartbeatMs = options.heartbeatMs ?? EVENT_HEARTBEAT_MS;
  const body = new PassThrough();
  let cursor = options.afterId;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const write = (chunk: string): boolean => !stopped && !body.destroyed && body.write(chunk);

  async function poll(): Promise<boolean> {
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const events = await options.list(cursor, PAGE_SIZE);
      let room = true;
      for (const event of events) {
        // The cursor passes filtered events too: a resumed stream does not read them again.
        cursor = event.id;
        if (options.keep(event)) room = write(formatEvent(event));
      }
      if (stopped || !room) return room;
      if (events.length < PAGE_SIZE) return true;
    }
    return true;
  }

  function schedule(room: boolean): void {
    if (stopped) return;
    if (room) timer = setTimeout(run, pollMs);
    else body.once('drain', () => schedule(true));
  }

  function run(): void {
    poll().then(schedule, () => {
      // The store is away (503 elsewhere): try again at the next poll, the cursor unchanged.
      schedule(true);
    });
  }

  const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
  // `retry` tells EventSource readers how long to wait before reconnecting, in milliseconds.
  write('retry: 2000\n: connected\n\n');
  run();

  return {
    body,
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
      if (!body.destroyed) body.end();
    },
  };
}
