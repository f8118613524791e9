import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

/** Props of {@link Dialog}. */
export interface DialogProps {
  title: string;
  /** Called when the dialog closes by Escape or a button of its own. */
  onClose: () => void;
  children: ComponentChildren;
}

/**
 * A modal dialog on the native `<dialog>`: `showModal()` makes the rest of the page inert, keeps
 * focus inside and closes on Escape. Focus goes to the element marked `autofocus` (or the first
 * control), and back to what had it when the dialog closes; to the page's heading if that is
 * gone (a revoked row's button).
 */
export function Dialog({ title, onClose, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const opener = document.activeElement;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      const back =
        opener instanceof HTMLElement && opener.isConnected
          ? opener
          : document.querySelector<HTMLElement>('main h1');
      back?.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** Props of {@link ConfirmDialog}. */
export interface ConfirmDialogProps {
  title: string;
  /** What will happen, in words. */
  children: ComponentChildren;
  /** The label of the button that does it, e.g. "Revoke 3 sessions". */
  action: string;
  /** Shown while the action runs; errors from `onConfirm` are shown in the dialog. */
  busy?: boolean;
  error?: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
}

/** Asks before a destructive action; Cancel has the focus, so Enter does not destroy by accident. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <Dialog title={props.title} onClose={props.onCancel}>
      <div class="dialog-body">{props.children}</div>
      {props.error === undefined ? null : (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" class="button" autofocus onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          class="button danger"
          disabled={props.busy === true}
          onClick={props.onConfirm}
        >
          {props.busy === true ? 'Working…' : props.action}
        </button>
      </div>
    </Dialog>
  );
}
