import { Badge, Time } from './bits.js';
import { duration } from './time.js';
import type { Client } from './types.js';

const seconds = (value: number | null) =>
  value === null ? (
    <span class="muted">default</span>
  ) : (
    <span title={`${value} s`}>{duration(value)}</span>
  );

const list = (values: string[] | null, none: string) =>
  values === null ? (
    <span class="muted">{none}</span>
  ) : values.length === 0 ? (
    <span class="muted">none</span>
  ) : (
    <ul class="plain">
      {values.map((value) => (
        <li key={value}>{value}</li>
      ))}
    </ul>
  );

/** Props of {@link ClientTable}. */
export interface ClientTableProps {
  clients: Client[];
  now: number;
  onEdit: (client: Client) => void;
  onRemove: (client: Client) => void;
}

/** The clients as a table, with Edit and Remove (not for `default`); cards on a phone. */
export function ClientTable({ clients, now, onEdit, onRemove }: ClientTableProps) {
  return (
    <table class="data clients">
      <caption class="visually-hidden">Registered clients</caption>
      <thead>
        <tr>
          <th scope="col">Client</th>
          <th scope="col">Type</th>
          <th scope="col">Access</th>
          <th scope="col">Session</th>
          <th scope="col">Idle</th>
          <th scope="col">Grace</th>
          <th scope="col">Rotate</th>
          <th scope="col">Dialects</th>
          <th scope="col">Origins</th>
          <th scope="col">Added</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {clients.map((client) => (
          <tr key={client.id} data-client={client.id}>
            <td data-label="Client">
              <code class="id">{client.id}</code>
              {client.audience === null ? null : <span class="sub">aud {client.audience}</span>}
            </td>
            <td data-label="Type">
              <Badge tone={client.confidential ? 'info' : 'muted'}>
                {client.confidential ? 'confidential' : 'public'}
              </Badge>
            </td>
            <td data-label="Access">{seconds(client.accessTtl)}</td>
            <td data-label="Session">{seconds(client.refreshTtl)}</td>
            <td data-label="Idle">{seconds(client.idleTtl)}</td>
            <td data-label="Grace">{seconds(client.reuseGrace)}</td>
            <td data-label="Rotate">
              {client.rotate === null ? (
                <span class="muted">default</span>
              ) : client.rotate ? (
                'yes'
              ) : (
                'no'
              )}
            </td>
            <td data-label="Dialects">{list(client.dialects, 'default')}</td>
            <td data-label="Origins">{list(client.allowedOrigins, 'none')}</td>
            <td data-label="Added">
              <Time at={client.createdAt} now={now} past />
            </td>
            <td class="actions">
              <button
                type="button"
                class="button small"
                aria-label={`Edit client ${client.id}`}
                onClick={() => onEdit(client)}
              >
                Edit
              </button>
              {client.id === 'default' ? null : (
                <button
                  type="button"
                  class="button small danger-outline"
                  aria-label={`Remove client ${client.id}`}
                  onClick={() => onRemove(client)}
                >
                  Remove
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
