import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, segment } from './api.js';
import { ErrorText, messageOf, PageTitle } from './bits.js';
import { ConfirmDialog } from './dialog.js';
import { SessionTable } from './session-table.js';
import type { Session } from './types.js';

/** Props of {@link SessionsPage}. */
export interface SessionsPageProps {
  /** The subject or session id searched for (`#/sessions?q=…`). */
  query: string;
  search: (query: string) => void;
  announce: (message: string) => void;
  now: number;
}

/** How every session id begins. */
const SESSION_ID_PREFIX = 'ses_';

/** Pages of `GET /admin/sessions?subject=` read at most (500 each). */
const MAX_PAGES = 10;

/** The sessions of a subject, and the session of that id if there is one. */
async function findSessions(query: string): Promise<Session[]> {
  const bySubject = (async () => {
    const found: Session[] = [];
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const cursor: string = after === null ? '' : `&after=${segment(after)}`;
      const result: { sessions: Session[]; nextCursor: string | null } = await api(
        'GET',
        `admin/sessions?subject=${segment(query)}&limit=500${cursor}`,
      );
      found.push(...result.sessions);
      after = result.nextCursor;
      if (after === null) break;
    }
    return found;
  })();
  const byId = query.startsWith(SESSION_ID_PREFIX)
    ? api<Session>('GET', `admin/sessions/${segment(query)}`).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      })
    : Promise.resolve(undefined);
  const [sessions, session] = await Promise.all([bySubject, byId]);
  if (session !== undefined && !sessions.some((s) => s.id === session.id))
    sessions.unshift(session);
  // Newest first: the session in trouble is usually the latest.
  return sessions.sort((a, b) => b.createdAt - a.createdAt);
}

type Pending =
  { kind: 'one'; session: Session } | { kind: 'subject'; subject: string; live: number };

/** Find a subject's sessions (or one session by id), and revoke one or all of them. */
export function SessionsPage({ query, search, announce, now }: SessionsPageProps) {
  const [text, setText] = useState(query);
  const [sessions, setSessions] = useState<Session[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [pending, setPending] = useState<Pending | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function load(): Promise<void> {
    if (query === '') {
      setSessions(undefined);
      return;
    }
    setLoading(true);
    setError(undefined);
    try {
      setSessions(await findSessions(query));
    } catch (caught) {
      setError(messageOf(caught));
      setSessions(undefined);
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    setText(query);
    void load();
  }, [query]);

  async function confirm(): Promise<void> {
    if (pending === undefined) return;
    setBusy(true);
    setActionError(undefined);
    try {
      if (pending.kind === 'one') {
        const result = await api<{ revoked: boolean }>(
          'DELETE',
          `admin/sessions/${segment(pending.session.id)}`,
        );
        announce(
          result.revoked
            ? `Revoked session ${pending.session.id} of ${pending.session.subject}.`
            : `Session ${pending.session.id} was already revoked.`,
        );
      } else {
        const result = await api<{ revoked: number }>(
          'DELETE',
          `admin/subjects/${segment(pending.subject)}/sessions`,
        );
        announce(
          `Revoked ${result.revoked} session${result.revoked === 1 ? '' : 's'} of ${pending.subject}.`,
        );
      }
      setPending(undefined);
      await load();
    } catch (caught) {
      setActionError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  const subjects = [...new Set((sessions ?? []).map((session) => session.subject))];
  const live = (subject: string) =>
    (sessions ?? []).filter((s) => s.subject === subject && s.status === 'active').length;

  return (
    <section aria-labelledby="sessions-title">
      <PageTitle id="sessions-title">Sessions</PageTitle>
      <form
        class="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          search(text.trim());
        }}
      >
        <label for="session-query">Subject or session id</label>
        <div class="search-row">
          <input
            id="session-query"
            type="search"
            value={text}
            onInput={(event) => setText(event.currentTarget.value)}
            placeholder="alice, or ses_…"
            autocomplete="off"
            spellcheck={false}
          />
          <button type="submit" class="button primary">
            Search
          </button>
        </div>
      </form>
      <ErrorText error={error} />
      {loading ? <p role="status">Searching…</p> : null}
      {sessions === undefined || loading ? null : sessions.length === 0 ? (
        <p role="status">No sessions of a subject or with an id “{query}”.</p>
      ) : (
        <>
          <div class="toolbar">
            <p role="status" class="summary">
              {sessions.length} session{sessions.length === 1 ? '' : 's'}
              {subjects.length === 1 ? ` of ${subjects[0] ?? ''}` : ''},{' '}
              {sessions.filter((s) => s.status === 'active').length} active
            </p>
            {subjects.map((subject) =>
              live(subject) === 0 ? null : (
                <button
                  type="button"
                  class="button danger"
                  key={subject}
                  onClick={() => {
                    setActionError(undefined);
                    setPending({ kind: 'subject', subject, live: live(subject) });
                  }}
                >
                  Revoke all of {subject}
                </button>
              ),
            )}
          </div>
          <SessionTable
            sessions={sessions}
            now={now}
            onRevoke={(session) => {
              setActionError(undefined);
              setPending({ kind: 'one', session });
            }}
          />
        </>
      )}
      {pending === undefined ? null : pending.kind === 'one' ? (
        <ConfirmDialog
          title="Revoke this session?"
          action="Revoke session"
          busy={busy}
          error={actionError}
          onConfirm={() => void confirm()}
          onCancel={() => setPending(undefined)}
        >
          <p>
            Session <code>{pending.session.id}</code> of <strong>{pending.session.subject}</strong>{' '}
            (client {pending.session.clientId}) ends now: its refresh token stops working and its
            access tokens are reported inactive.
          </p>
        </ConfirmDialog>
      ) : (
        <ConfirmDialog
          title={`Revoke all sessions of ${pending.subject}?`}
          action={`Revoke ${pending.live} session${pending.live === 1 ? '' : 's'}`}
          busy={busy}
          error={actionError}
          onConfirm={() => void confirm()}
          onCancel={() => setPending(undefined)}
        >
          <p>
            {pending.subject} is signed out everywhere: {pending.live} active session
            {pending.live === 1 ? '' : 's'} end now, on every client.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
