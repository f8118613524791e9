import { useEffect, useRef, useState } from 'preact/hooks';
import { saveAdminToken } from './admin-token.js';
import { api, ApiError } from './api.js';
import { ErrorText } from './bits.js';

/** Props of {@link SignIn}. */
export interface SignInProps {
  /** Why the operator is here again (the token stopped being accepted). */
  notice: string | undefined;
  onSignedIn: () => void;
}

/** What a refused sign-in tells the operator. */
function refusal(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Signing in failed.';
  if (error.status === 401) return 'That is not the admin token. Check it and try again.';
  return error.message;
}

/**
 * Sign-in with the admin token. The token is checked with one admin call and kept in this tab's
 * sessionStorage; the field is emptied at once, so it is never left in the page.
 */
export function SignIn({ notice, onSignedIn }: SignInProps) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => field.current?.focus(), []);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const input = field.current;
    if (input === null) return;
    const token = input.value.trim();
    if (token === '') {
      setError('Enter the admin token.');
      input.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await api('GET', 'admin/stats', undefined, token);
      input.value = '';
      saveAdminToken(token);
      onSignedIn();
    } catch (caught) {
      input.value = '';
      setError(refusal(caught));
      setBusy(false);
      input.focus();
    }
  }

  return (
    <main id="main" class="sign-in">
      <form class="card sign-in-card" onSubmit={(event) => void submit(event)} noValidate>
        <h1>Baton console</h1>
        <p class="muted">
          Sign in with the admin token (<code>BATON_ADMIN_TOKEN</code>, or the one Baton printed at
          its first start). It is kept in this tab only, until you sign out or close it.
        </p>
        {notice === undefined ? null : (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <label for="admin-token">Admin token</label>
        <input
          ref={field}
          id="admin-token"
          name="admin-token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          aria-describedby={error === undefined ? undefined : 'sign-in-error'}
          aria-invalid={error === undefined ? undefined : true}
        />
        <div id="sign-in-error">
          <ErrorText error={error} />
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
