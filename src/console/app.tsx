import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ActivityPage } from './activity-page.js';
import { forgetAdminToken, readAdminToken } from './admin-token.js';
import { handleUnauthorized } from './api.js';
import { useNow } from './bits.js';
import { ClientsPage } from './clients-page.js';
import { useEventFeed, type FeedFilters } from './event-feed.js';
import { EventsPage } from './events-page.js';
import { KeysPage } from './keys-page.js';
import { PAGES, navigate, useRoute } from './route.js';
import { SessionsPage } from './sessions-page.js';
import { SignIn } from './sign-in.js';
import { nowSeconds, relative } from './time.js';
import type { SecurityEvent } from './types.js';

/** The console: the sign-in until the tab holds an accepted admin token, then the pages. */
export function App() {
  const [signedIn, setSignedIn] = useState(() => readAdminToken() !== undefined);
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(
    () =>
      handleUnauthorized(() => {
        forgetAdminToken();
        setNotice(
          'The admin token is no longer accepted (it may have been changed). Sign in again.',
        );
        setSignedIn(false);
      }),
    [],
  );

  if (!signedIn) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(undefined);
          setSignedIn(true);
        }}
      />
    );
  }
  return (
    <Shell
      onSignOut={() => {
        forgetAdminToken();
        setNotice('Signed out.');
        setSignedIn(false);
      }}
    />
  );
}

/** Reuse detections newer than this many seconds raise the banner; older ones are history. */
const ALERT_WINDOW = 120;

/** The header, the navigation, the reuse banner and the page of the route. */
function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const now = useNow();
  const [message, setMessage] = useState('');
  const [filters, setFilters] = useState<FeedFilters>({ type: '', subject: '', clientId: '' });
  const { events, state } = useEventFeed(filters);
  const [dismissed, setDismissed] = useState(0);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // A new page: its heading takes the focus (and screen readers read it), as after a page load.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      main.current?.querySelector<HTMLElement>('h1')?.focus();
      return;
    }
    setMessage('');
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route.page]);

  const alert: SecurityEvent | undefined = useMemo(
    () =>
      events.find(
        (event) =>
          event.type === 'refresh_token.reused' &&
          event.id > dismissed &&
          event.at >= nowSeconds() - ALERT_WINDOW,
      ),
    [events, dismissed],
  );

  const announce = (text: string) => setMessage(text);

  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          main.current?.querySelector<HTMLElement>('h1')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true" />
          Baton console
        </div>
        <nav aria-label="Console">
          <ul>
            {PAGES.map(([name, label]) => (
              <li key={name}>
                <a href={`#/${name}`} aria-current={route.page === name ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="button quiet" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {alert === undefined ? null : (
        <div class="alert" role="alert">
          <p>
            <strong>Reuse detected</strong> {relative(alert.at, now)}: a used refresh token of{' '}
            <strong>{alert.subject ?? 'an unknown subject'}</strong> (client {alert.clientId ?? '?'}
            ) came back, and its session was revoked.
          </p>
          <div class="alert-actions">
            {alert.sessionId === null ? null : (
              <a class="button small" href={`#/sessions?q=${encodeURIComponent(alert.sessionId)}`}>
                Open the session
              </a>
            )}
            <button type="button" class="button small quiet" onClick={() => setDismissed(alert.id)}>
              Dismiss
            </button>
          </div>
        </div>
      )}
      <main id="main" ref={main}>
        <p class="announce" role="status" aria-live="polite">
          {message}
        </p>
        {route.page === 'sessions' ? (
          <SessionsPage
            query={route.query.get('q') ?? ''}
            search={(query) => navigate('sessions', query === '' ? {} : { q: query })}
            announce={announce}
            now={now}
          />
        ) : route.page === 'events' ? (
          <EventsPage
            events={events}
            state={state}
            filters={filters}
            setFilters={setFilters}
            now={now}
          />
        ) : route.page === 'activity' ? (
          <ActivityPage latestEventId={events[0]?.id} />
        ) : route.page === 'keys' ? (
          <KeysPage announce={announce} now={now} />
        ) : (
          <ClientsPage announce={announce} now={now} />
        )}
      </main>
    </>
  );
}
