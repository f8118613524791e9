import { Badge, Time } from './bits.js';
import type { Session } from './types.js';

const STATE_TONES: Record<Session['status'], string> = {
  active: 'ok',
  revoked: 'danger',
  expired: 'muted',
  idle: 'muted',
};

/** The sessions as a table; on a phone each row becomes a card (see tables.css). */
export function SessionTable({
  sessions,
  now,
  onRevoke,
}: {
  sessions: Session[];
  now: number;
  onRevoke: (session: Session) => void;
}) {
  return (
    <table class="data sessions">
      <caption class="visually-hidden">Sessions, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Session</th>
          <th scope="col">Subject</th>
          <th scope="col">Client</th>
          <th scope="col">Scope</th>
          <th scope="col">Created</th>
          <th scope="col">Last active</th>
          <th scope="col">Idle expiry</th>
          <th scope="col">Absolute expiry</th>
          <th scope="col">Generation</th>
          <th scope="col">State</th>
          <th scope="col">Revoke reason</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((session) => (
          <tr key={session.id} data-session={session.id}>
            <td data-label="Session">
              <code class="id">{session.id}</code>
            </td>
            <td data-label="Subject">{session.subject}</td>
            <td data-label="Client">{session.clientId}</td>
            <td data-label="Scope">
              {session.scope === '' ? <span class="muted">none</span> : session.scope}
            </td>
            <td data-label="Created">
              <Time at={session.createdAt} now={now} past />
            </td>
            <td data-label="Last active">
              <Time at={session.lastActiveAt} now={now} past />
            </td>
            <td data-label="Idle expiry">
              <Time at={session.idleExpiresAt} now={now} />
            </td>
            <td data-label="Absolute expiry">
              <Time at={session.expiresAt} now={now} />
            </td>
            <td data-label="Generation">{session.generation}</td>
            <td data-label="State">
              <Badge tone={STATE_TONES[session.status]}>{session.status}</Badge>
            </td>
            <td data-label="Revoke reason">
              {session.revokeReason ?? <span class="muted">—</span>}
            </td>
            <td class="actions">
              {session.status === 'active' ? (
                <button
                  type="button"
                  class="button small danger-outline"
                  aria-label={`Revoke session ${session.id}`}
                  onClick={() => onRevoke(session)}
                >
                  Revoke
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
