import { useState } from 'preact/hooks';
import { Dialog } from './dialog.js';

/**
 * The one place the console shows a credential: a new client's secret, right after creation.
 * Baton keeps only its hash; closing the dialog forgets it here too.
 */
export function SecretDialog({
  clientId,
  secret,
  announce,
  onClose,
}: {
  clientId: string;
  secret: string;
  announce: (message: string) => void;
  onClose: () => void;
}) {
  const [copied, setCopied] = useState<string | undefined>();

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard (a page served over plain HTTP): select the text for a manual copy.
      const node = document.getElementById('client-secret');
      const selection = window.getSelection();
      if (node !== null && selection !== null) {
        selection.selectAllChildren(node);
        setCopied('Selected: press Ctrl+C (⌘C) to copy.');
      }
    }
  }

  return (
    <Dialog title={`Secret of ${clientId}`} onClose={onClose}>
      <p>
        This is the only time the secret is shown: Baton keeps only a hash of it. Copy it into the
        client's configuration now.
      </p>
      <p>
        <code id="client-secret" class="secret">
          {secret}
        </code>
      </p>
      <p role="status" class="muted">
        {copied ?? ''}
      </p>
      <div class="dialog-actions">
        <button type="button" class="button" onClick={() => void copy()}>
          Copy secret
        </button>
        <button
          type="button"
          class="button primary"
          onClick={() => {
            announce(`The secret of ${clientId} is no longer shown.`);
            onClose();
          }}
        >
          I have stored it
        </button>
      </div>
    </Dialog>
  );
}
