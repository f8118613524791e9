import { useEffect, useState } from 'preact/hooks';
import { api, segment } from './api.js';
import { ErrorText, messageOf, PageTitle } from './bits.js';
import { ClientForm, type ClientFormResult } from './client-form.js';
import { ClientTable } from './client-table.js';
import { ConfirmDialog } from './dialog.js';
import { SecretDialog } from './secret-dialog.js';
import type { Client, ClientSettings, Session } from './types.js';

/** Props of {@link ClientsPage}. */
export interface ClientsPageProps {
  announce: (message: string) => void;
  now: number;
}

type Editing = { kind: 'add' } | { kind: 'edit'; client: Client };
type Removing = { client: Client; live: number | undefined };

const SETTING_NAMES = [
  'accessTtl',
  'refreshTtl',
  'idleTtl',
  'reuseGrace',
  'rotate',
  'audience',
  'dialects',
  'allowedOrigins',
] as const satisfies readonly (keyof ClientSettings)[];

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The settings that differ from `client`'s: the body of `PATCH /admin/clients/:id`. */
function changes(client: Client, settings: ClientSettings): Partial<ClientSettings> {
  return Object.fromEntries(
    SETTING_NAMES.filter((name) => !same(client[name], settings[name])).map((name) => [
      name,
      settings[name],
    ]),
  );
}

/** The settings that are set: the body of `POST /admin/clients` takes no nulls. */
function chosen(settings: ClientSettings): Partial<ClientSettings> {
  return Object.fromEntries(
    SETTING_NAMES.filter((name) => settings[name] !== null).map((name) => [name, settings[name]]),
  );
}

/** Active sessions of a client (counted over at most 5 pages of 500). */
async function liveSessions(clientId: string): Promise<number> {
  let live = 0;
  let after: string | null = null;
  for (let page = 0; page < 5; page++) {
    const cursor: string = after === null ? '' : `&after=${segment(after)}`;
    const result: { sessions: Session[]; nextCursor: string | null } = await api(
      'GET',
      `admin/sessions?clientId=${segment(clientId)}&limit=500${cursor}`,
    );
    live += result.sessions.filter((session) => session.status === 'active').length;
    after = result.nextCursor;
    if (after === null) break;
  }
  return live;
}

/** The clients: add one (its secret shown once), edit its settings, remove it. */
export function ClientsPage({ announce, now }: ClientsPageProps) {
  const [clients, setClients] = useState<Client[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [editing, setEditing] = useState<Editing | undefined>();
  const [removing, setRemoving] = useState<Removing | undefined>();
  const [secret, setSecret] = useState<{ clientId: string; value: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>();

  async function load(): Promise<void> {
    try {
      const result = await api<{ clients: Client[] }>('GET', 'admin/clients');
      setClients(result.clients.sort((a, b) => a.id.localeCompare(b.id)));
      setError(undefined);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }

  useEffect(() => void load(), []);

  async function save(result: ClientFormResult): Promise<void> {
    if (editing === undefined) return;
    setBusy(true);
    setActionError(undefined);
    try {
      if (editing.kind === 'edit') {
        const body = changes(editing.client, result.settings);
        if (Object.keys(body).length === 0) {
          setActionError('Nothing changed.');
          return;
        }
        await api('PATCH', `admin/clients/${segment(editing.client.id)}`, body);
        setEditing(undefined);
        announce(`Saved client ${editing.client.id}.`);
      } else {
        const created = await api<{ client: Client; clientSecret?: string }>(
          'POST',
          'admin/clients',
          {
            id: result.id,
            ...(result.confidential ? { confidential: true } : {}),
            ...chosen(result.settings),
          },
        );
        setEditing(undefined);
        announce(`Added client ${created.client.id}.`);
        if (created.clientSecret !== undefined)
          setSecret({ clientId: created.client.id, value: created.clientSecret });
      }
      await load();
    } catch (caught) {
      setActionError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  async function askRemove(client: Client): Promise<void> {
    setActionError(undefined);
    setRemoving({ client, live: undefined });
    try {
      const live = await liveSessions(client.id);
      setRemoving((current) => (current?.client.id === client.id ? { client, live } : current));
    } catch (caught) {
      setActionError(messageOf(caught));
    }
  }

  async function remove(): Promise<void> {
    if (removing === undefined) return;
    setBusy(true);
    setActionError(undefined);
    try {
      const result = await api<{ revokedSessions: number }>(
        'DELETE',
        `admin/clients/${segment(removing.client.id)}`,
      );
      setRemoving(undefined);
      announce(
        `Removed client ${removing.client.id}; ${result.revokedSessions} session${result.revokedSessions === 1 ? '' : 's'} revoked.`,
      );
      await load();
    } catch (caught) {
      setActionError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="clients-title">
      <PageTitle id="clients-title">Clients</PageTitle>
      <div class="toolbar">
        <p class="muted">Blank settings take the service defaults.</p>
        <button
          type="button"
          class="button primary"
          onClick={() => {
            setActionError(undefined);
            setEditing({ kind: 'add' });
          }}
        >
          Add client
        </button>
      </div>
      <ErrorText error={error} />
      {clients === undefined ? null : (
        <ClientTable
          clients={clients}
          now={now}
          onEdit={(client) => {
            setActionError(undefined);
            setEditing({ kind: 'edit', client });
          }}
          onRemove={(client) => void askRemove(client)}
        />
      )}
      {editing === undefined ? null : (
        <ClientForm
          {...(editing.kind === 'edit' ? { client: editing.client } : {})}
          busy={busy}
          error={actionError}
          onSubmit={(result) => void save(result)}
          onCancel={() => setEditing(undefined)}
        />
      )}
      {removing === undefined ? null : (
        <ConfirmDialog
          title={`Remove client ${removing.client.id}?`}
          action={
            removing.live === undefined
              ? 'Remove client'
              : `Remove and revoke ${removing.live} session${removing.live === 1 ? '' : 's'}`
          }
          busy={busy || removing.live === undefined}
          error={actionError}
          onConfirm={() => void remove()}
          onCancel={() => setRemoving(undefined)}
        >
          <p>
            {removing.live === undefined
              ? 'Counting its sessions…'
              : `Its ${removing.live} active session${removing.live === 1 ? '' : 's'} end now, and its tokens stop working.`}
          </p>
        </ConfirmDialog>
      )}
      {secret === undefined ? null : (
        <SecretDialog
          clientId={secret.clientId}
          secret={secret.value}
          announce={announce}
          onClose={() => setSecret(undefined)}
        />
      )}
    </section>
  );
}
