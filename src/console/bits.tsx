import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { exact, iso, nowSeconds, relative } from './time.js';

/** The current time in epoch seconds, updated every `seconds`, for relative times. */
export function useNow(seconds = 15): number {
  const [now, setNow] = useState(nowSeconds);
  useEffect(() => {
    const timer = setInterval(() => setNow(nowSeconds()), seconds * 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  return now;
}

/**
 * A time shown relative to the current time, the exact time in its title and `datetime`. `now`
 * (from {@link useNow}) makes it render again as time passes. A `past` time (a creation, a
 * revocation) is never shown in the future, whatever the skew of this computer's clock.
 */
export function Time({ at, past = false }: { at: number | null; now: number; past?: boolean }) {
  if (at === null) return <span class="muted">—</span>;
  const current = nowSeconds();
  return (
    <time dateTime={iso(at)} title={exact(at)}>
      {relative(past ? Math.min(at, current) : at, current)}
    </time>
  );
}

/** A small label with a colour and, for the colour-blind, always a word. */
export function Badge({ tone, children }: { tone: string; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/** The heading of a page: focused when the page opens, so that keyboards and readers start there. */
export function PageTitle({ id, children }: { id: string; children: ComponentChildren }) {
  return (
    <h1 id={id} tabIndex={-1} class="page-title">
      {children}
    </h1>
  );
}

/** An error line, read out when it appears. */
export function ErrorText({ error }: { error: string | undefined }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** The message of anything thrown, for the page. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : 'Something went wrong.';
