import { useState } from 'preact/hooks';
import { Badge, PageTitle, Time } from './bits.js';
import type { FeedFilters, FeedState } from './event-feed.js';
import { EVENT_TYPES, type SecurityEvent } from './types.js';

/** Props of {@link EventsPage}. */
export interface EventsPageProps {
  events: SecurityEvent[];
  state: FeedState;
  filters: FeedFilters;
  setFilters: (filters: FeedFilters) => void;
  now: number;
}

const TONES: Record<string, string> = {
  'refresh_token.reused': 'alert',
  'session.revoked': 'warn',
  'access_token.revoked': 'warn',
  'refresh.failed': 'muted',
  'key.rotated': 'info',
  'client.created': 'info',
  'client.deleted': 'info',
};

/** The status line of the stream, in words. */
function stateText(state: FeedState): string {
  switch (state.kind) {
    case 'connecting':
      return 'Connecting…';
    case 'live':
      return 'Live: new events appear here within a second or two.';
    case 'waiting':
      return `${state.reason} Reconnecting in ${state.seconds} s.`;
  }
}

/** The security events, live, with filters; a reuse detection stands out and links its session. */
export function EventsPage({ events, state, filters, setFilters, now }: EventsPageProps) {
  const [draft, setDraft] = useState(filters);

  return (
    <section aria-labelledby="events-title">
      <PageTitle id="events-title">Security events</PageTitle>
      <form
        class="filters"
        aria-label="Filter events"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({
            type: draft.type,
            subject: draft.subject.trim(),
            clientId: draft.clientId.trim(),
          });
        }}
      >
        <div class="field">
          <label for="filter-type">Type</label>
          <select
            id="filter-type"
            value={draft.type}
            onChange={(event) => setDraft({ ...draft, type: event.currentTarget.value })}
          >
            <option value="">Every type</option>
            {EVENT_TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-subject">Subject</label>
          <input
            id="filter-subject"
            value={draft.subject}
            autocomplete="off"
            spellcheck={false}
            onInput={(event) => setDraft({ ...draft, subject: event.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="filter-client">Client</label>
          <input
            id="filter-client"
            value={draft.clientId}
            autocomplete="off"
            spellcheck={false}
            onInput={(event) => setDraft({ ...draft, clientId: event.currentTarget.value })}
          />
        </div>
        <div class="field field-button">
          <button type="submit" class="button primary">
            Apply filters
          </button>
        </div>
      </form>
      <p class={`stream-state stream-${state.kind}`} role="status">
        <span class="dot" aria-hidden="true" />
        {stateText(state)}
      </p>
      {events.length === 0 ? (
        <p class="muted">No events yet{state.kind === 'live' ? ' for these filters' : ''}.</p>
      ) : (
        <table class="data events">
          <caption class="visually-hidden">Security events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">Subject</th>
              <th scope="col">Client</th>
              <th scope="col">Session</th>
              <th scope="col">IP</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr
                key={event.id}
                data-event={event.id}
                class={event.type === 'refresh_token.reused' ? 'reused' : undefined}
              >
                <td data-label="When">
                  <Time at={event.at} now={now} past />
                </td>
                <td data-label="Type">
                  <Badge tone={TONES[event.type] ?? 'muted'}>
                    {event.type === 'refresh_token.reused' ? 'Reuse detected' : event.type}
                  </Badge>
                  {event.type === 'refresh_token.reused' ? (
                    <span class="visually-hidden"> (refresh_token.reused)</span>
                  ) : null}
                </td>
                <td data-label="Subject">{event.subject ?? <span class="muted">—</span>}</td>
                <td data-label="Client">{event.clientId ?? <span class="muted">—</span>}</td>
                <td data-label="Session">
                  {event.sessionId === null ? (
                    <span class="muted">—</span>
                  ) : (
                    <a
                      href={`#/sessions?q=${encodeURIComponent(event.sessionId)}`}
                      aria-label={`Open session ${event.sessionId}`}
                    >
                      <code class="id">{event.sessionId}</code>
                    </a>
                  )}
                </td>
                <td data-label="IP">{event.ip ?? <span class="muted">—</span>}</td>
                <td data-label="Detail">{event.detail ?? <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
