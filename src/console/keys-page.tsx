import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { Badge, ErrorText, messageOf, PageTitle, Time } from './bits.js';
import { ConfirmDialog } from './dialog.js';
import { duration, nowSeconds } from './time.js';
import type { SigningKey } from './types.js';

/** Props of {@link KeysPage}. */
export interface KeysPageProps {
  announce: (message: string) => void;
  now: number;
}

/** The signing keys with their state and age; rotating the active one, after a confirmation. */
export function KeysPage({ announce, now }: KeysPageProps) {
  const [keys, setKeys] = useState<SigningKey[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [rotateError, setRotateError] = useState<string | undefined>();

  async function load(): Promise<void> {
    try {
      const result = await api<{ keys: SigningKey[] }>('GET', 'admin/keys');
      // The active key first, then the retired ones, newest first.
      setKeys(
        result.keys.sort(
          (a, b) =>
            Number(b.status === 'active') - Number(a.status === 'active') ||
            b.createdAt - a.createdAt,
        ),
      );
      setError(undefined);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }

  useEffect(() => void load(), []);

  async function rotate(): Promise<void> {
    setBusy(true);
    setRotateError(undefined);
    try {
      const { key } = await api<{ key: SigningKey }>('POST', 'admin/keys/rotate');
      setConfirming(false);
      announce(`Rotated: ${key.kid} (${key.alg}) now signs new access tokens.`);
      await load();
    } catch (caught) {
      setRotateError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  const active = keys?.find((key) => key.status === 'active');

  return (
    <section aria-labelledby="keys-title">
      <PageTitle id="keys-title">Signing keys</PageTitle>
      <div class="toolbar">
        <p class="muted">
          One key signs new access tokens; retired keys stay in the JWKS until every token they
          signed has expired.
        </p>
        <button
          type="button"
          class="button primary"
          onClick={() => {
            setRotateError(undefined);
            setConfirming(true);
          }}
        >
          Rotate signing key
        </button>
      </div>
      <ErrorText error={error} />
      {keys === undefined ? null : (
        <table class="data keys">
          <caption class="visually-hidden">Signing keys, the active one first</caption>
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Algorithm</th>
              <th scope="col">State</th>
              <th scope="col">Age</th>
              <th scope="col">Retired</th>
              <th scope="col">In the JWKS until</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.kid} data-kid={key.kid}>
                <td data-label="Key id">
                  <code class="id">{key.kid}</code>
                </td>
                <td data-label="Algorithm">{key.alg}</td>
                <td data-label="State">
                  <Badge tone={key.status === 'active' ? 'ok' : 'muted'}>{key.status}</Badge>
                </td>
                <td data-label="Age">{duration(Math.max(0, nowSeconds() - key.createdAt))}</td>
                <td data-label="Retired">
                  <Time at={key.retiredAt} now={now} past />
                </td>
                <td data-label="In the JWKS until">
                  {key.publishedUntil === null ? (
                    <span class="muted">while active</span>
                  ) : (
                    <Time at={key.publishedUntil} now={now} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirming ? (
        <ConfirmDialog
          title="Rotate the signing key?"
          action="Rotate key"
          busy={busy}
          error={rotateError}
          onConfirm={() => void rotate()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            A new key signs every access token from now on. The current key
            {active === undefined ? '' : ` (${active.kid})`} is retired; it stays in the JWKS, so
            tokens it signed keep verifying until they expire. Resource servers pick up the new key
            from the JWKS.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
