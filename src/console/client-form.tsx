import { useState } from 'preact/hooks';
import { ErrorText } from './bits.js';
import { Dialog } from './dialog.js';
import { duration } from './time.js';
import { DIALECTS, type Client, type ClientSettings } from './types.js';

/** What the form submits: a new client's id and type, and the settings. */
export interface ClientFormResult {
  id: string;
  confidential: boolean;
  settings: ClientSettings;
}

/** Props of {@link ClientForm}. */
export interface ClientFormProps {
  /** The client edited; a new one when absent. */
  client?: Client;
  busy: boolean;
  error: string | undefined;
  onSubmit: (result: ClientFormResult) => void;
  onCancel: () => void;
}

const LIFETIMES = [
  ['accessTtl', 'Access-token lifetime', 'seconds; a JWT lives this long'],
  ['refreshTtl', 'Absolute session lifetime', 'seconds; refreshing never extends it'],
  ['idleTtl', 'Idle lifetime', 'seconds without a refresh before the session ends'],
  ['reuseGrace', 'Reuse grace', 'seconds a retried refresh gets the same answer; 0 for strict'],
] as const;

type Lifetime = (typeof LIFETIMES)[number][0];

const text = (value: number | string | boolean | null | undefined): string =>
  value === null || value === undefined ? '' : String(value);

/** A setting's field text as an integer, `null` for blank; a message when it is not one. */
function integer(label: string, value: string): number | null | string {
  if (value.trim() === '') return null;
  if (!/^[0-9]{1,10}$/.test(value.trim())) return `${label} must be a whole number of seconds.`;
  return Number(value.trim());
}

/**
 * The settings of a client, for adding one (with its id and type) or editing one. Blank fields
 * take the service defaults.
 */
export function ClientForm({ client, busy, error, onSubmit, onCancel }: ClientFormProps) {
  const editing = client !== undefined;
  const [id, setId] = useState('');
  const [confidential, setConfidential] = useState(false);
  const [lifetimes, setLifetimes] = useState<Record<Lifetime, string>>({
    accessTtl: text(client?.accessTtl),
    refreshTtl: text(client?.refreshTtl),
    idleTtl: text(client?.idleTtl),
    reuseGrace: text(client?.reuseGrace),
  });
  const [rotate, setRotate] = useState(text(client?.rotate));
  const [audience, setAudience] = useState(text(client?.audience));
  const [defaultDialects, setDefaultDialects] = useState(
    client === undefined || client.dialects === null,
  );
  const [dialects, setDialects] = useState<string[]>(client?.dialects ?? []);
  const [origins, setOrigins] = useState((client?.allowedOrigins ?? []).join('\n'));
  const [problem, setProblem] = useState<string | undefined>();

  function submit(event: Event): void {
    event.preventDefault();
    const parsed: Partial<Record<Lifetime, number | null>> = {};
    for (const [name, label] of LIFETIMES) {
      const value = integer(label, lifetimes[name]);
      if (typeof value === 'string') {
        setProblem(value);
        document.getElementById(`client-${name}`)?.focus();
        return;
      }
      parsed[name] = value;
    }
    if (!editing && id.trim() === '') {
      setProblem('Give the client an id.');
      document.getElementById('client-id')?.focus();
      return;
    }
    setProblem(undefined);
    const originList = origins
      .split(/[\s,]+/)
      .map((origin) => origin.trim())
      .filter((origin) => origin !== '');
    onSubmit({
      id: editing ? client.id : id.trim(),
      confidential,
      settings: {
        accessTtl: parsed.accessTtl ?? null,
        refreshTtl: parsed.refreshTtl ?? null,
        idleTtl: parsed.idleTtl ?? null,
        reuseGrace: parsed.reuseGrace ?? null,
        rotate: rotate === '' ? null : rotate === 'true',
        audience: audience.trim() === '' ? null : audience.trim(),
        dialects: defaultDialects ? null : DIALECTS.filter((name) => dialects.includes(name)),
        allowedOrigins: originList.length === 0 ? null : originList,
      },
    });
  }

  return (
    <Dialog title={editing ? `Edit client ${client.id}` : 'Add a client'} onClose={onCancel}>
      <form class="client-form" onSubmit={submit} noValidate>
        {editing ? (
          <p class="muted">
            The secret stays as it is. Lifetimes and rotation apply to sessions started from now on;
            the other settings to every session at its next refresh.
          </p>
        ) : (
          <>
            <div class="field">
              <label for="client-id">Client id</label>
              <input
                id="client-id"
                value={id}
                required
                maxLength={64}
                autocomplete="off"
                spellcheck={false}
                aria-describedby="client-id-hint"
                onInput={(event) => setId(event.currentTarget.value)}
              />
              <p id="client-id-hint" class="hint">
                1–64 characters: letters, digits, <code>. _ ~ -</code>
              </p>
            </div>
            <div class="field check">
              <input
                id="client-confidential"
                type="checkbox"
                checked={confidential}
                aria-describedby="client-confidential-hint"
                onChange={(event) => setConfidential(event.currentTarget.checked)}
              />
              <label for="client-confidential">Confidential (issue a secret)</label>
              <p id="client-confidential-hint" class="hint">
                A confidential client must authenticate; its secret is shown once.
              </p>
            </div>
          </>
        )}
        <div class="grid-2">
          {LIFETIMES.map(([name, label, hint]) => {
            const seconds = Number(lifetimes[name]);
            const human =
              lifetimes[name].trim() !== '' && Number.isSafeInteger(seconds) && seconds >= 60
                ? ` (${duration(seconds)})`
                : '';
            return (
              <div class="field" key={name}>
                <label for={`client-${name}`}>{label}</label>
                <input
                  id={`client-${name}`}
                  inputMode="numeric"
                  value={lifetimes[name]}
                  placeholder="service default"
                  autocomplete="off"
                  aria-describedby={`client-${name}-hint`}
                  onInput={(event) =>
                    setLifetimes({ ...lifetimes, [name]: event.currentTarget.value })
                  }
                />
                <p id={`client-${name}-hint`} class="hint">
                  {hint}
                  {human}
                </p>
              </div>
            );
          })}
          <div class="field">
            <label for="client-rotate">Refresh-token rotation</label>
            <select
              id="client-rotate"
              value={rotate}
              onChange={(event) => setRotate(event.currentTarget.value)}
            >
              <option value="">Service default</option>
              <option value="true">Rotate on every refresh</option>
              <option value="false">Keep the refresh token</option>
            </select>
          </div>
          <div class="field">
            <label for="client-audience">Audience</label>
            <input
              id="client-audience"
              value={audience}
              placeholder="the issuer"
              autocomplete="off"
              spellcheck={false}
              aria-describedby="client-audience-hint"
              onInput={(event) => setAudience(event.currentTarget.value)}
            />
            <p id="client-audience-hint" class="hint">
              <code>aud</code> of its access tokens
            </p>
          </div>
        </div>
        <fieldset>
          <legend>Dialects</legend>
          <div class="field check">
            <input
              id="client-dialects-default"
              type="checkbox"
              checked={defaultDialects}
              onChange={(event) => setDefaultDialects(event.currentTarget.checked)}
            />
            <label for="client-dialects-default">
              Default (every dialect for a public client, none for a confidential one)
            </label>
          </div>
          <div class="checks">
            {DIALECTS.map((name) => (
              <div class="field check" key={name}>
                <input
                  id={`client-dialect-${name}`}
                  type="checkbox"
                  disabled={defaultDialects}
                  checked={!defaultDialects && dialects.includes(name)}
                  onChange={(event) =>
                    setDialects(
                      event.currentTarget.checked
                        ? [...dialects, name]
                        : dialects.filter((other) => other !== name),
                    )
                  }
                />
                <label for={`client-dialect-${name}`}>{name}</label>
              </div>
            ))}
          </div>
        </fieldset>
        <div class="field">
          <label for="client-origins">Allowed origins</label>
          <textarea
            id="client-origins"
            rows={3}
            value={origins}
            spellcheck={false}
            aria-describedby="client-origins-hint"
            onInput={(event) => setOrigins(event.currentTarget.value)}
          />
          <p id="client-origins-hint" class="hint">
            One per line, e.g. <code>https://app.example.com</code>; browsers there may refresh this
            client's sessions.
          </p>
        </div>
        <ErrorText error={problem ?? error} />
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save changes' : 'Add client'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
