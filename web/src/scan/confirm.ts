/**
 * The one confirmation step of an action (issue 13 §2): a modal `<dialog>` (the browser keeps focus inside it and
 * Escape cancels), its first field or its confirm button focused on opening, the focus given back to whatever opened
 * it when it closes. The dialog stays open while the action runs and shows a refusal in its own alert line, so a
 * person can correct the form and try again; it closes on success with the action's result.
 */
import { ApiError } from '../common/api';
import { byId, fill, h } from '../common/dom';

export interface ConfirmOptions<T> {
  title: string;
  /** What will happen, in one or two sentences. */
  text: string;
  /** Form fields (labelled inputs) the action needs. */
  fields?: HTMLElement[];
  confirmLabel: string;
  /** A stop action (quarantine, report): the confirm button reads as a warning. */
  tone?: 'danger' | 'normal';
  /** Checks the fields; a message refuses (shown in the dialog, focus to the field named by `field`). */
  check?: (form: HTMLFormElement) => { message: string; field?: string } | null;
  /** Does the action (signs, posts); its result resolves the dialog. A thrown error is shown and the dialog stays. */
  run: (form: HTMLFormElement) => Promise<T>;
  /** Where the focus goes after closing (default: what had it when the dialog opened). */
  returnFocus?: HTMLElement | (() => HTMLElement | null);
}

let handoff: ((key: string) => void) | null = null;

/**
 * Where a scan that starts while a dialog is open goes (the scan box). A scanner types into whatever has the focus and
 * ends with Enter: on the dialog's Confirm button that Enter would confirm. So a printable key outside the dialog's
 * text fields cancels the dialog and is handed to the scan box with the rest of the scan: at the counter, scanning the
 * next package without confirming leaves the previous one undispensed.
 */
export function handScansTo(handler: (key: string) => void): void {
  handoff = handler;
}

/** Opens the dialog; resolves with the action's result, or null when cancelled. */
export function confirmAction<T>(options: ConfirmOptions<T>): Promise<T | null> {
  const dialog = byId<HTMLDialogElement>('action-dialog');
  const form = byId<HTMLFormElement>('action-form');
  const error = byId('action-error');
  const confirm = byId<HTMLButtonElement>('action-confirm');
  const cancel = byId<HTMLButtonElement>('action-cancel');
  const opener = document.activeElement as HTMLElement | null;
  fill(byId('action-title'), options.title);
  fill(byId('action-text'), options.text);
  fill(byId('action-fields'), ...(options.fields ?? []));
  fill(error);
  confirm.textContent = options.confirmLabel;
  confirm.className = options.tone === 'danger' ? 'danger' : '';
  confirm.disabled = false;
  dialog.dataset.action = options.confirmLabel;
  dialog.showModal();
  const first = form.querySelector<HTMLElement>('#action-fields input, #action-fields select, #action-fields textarea');
  (first ?? confirm).focus();

  return new Promise<T | null>((resolve) => {
    let result: T | null = null;
    let handedOff = false;
    const done = () => {
      form.removeEventListener('submit', submit);
      cancel.removeEventListener('click', close);
      dialog.removeEventListener('close', done);
      dialog.removeEventListener('keydown', scanStarts);
      if (!handedOff) {
        const target =
          typeof options.returnFocus === 'function' ? options.returnFocus() : (options.returnFocus ?? opener);
        (target?.isConnected ? target : opener)?.focus({ preventScroll: true });
      }
      resolve(result);
    };
    const scanStarts = (event: KeyboardEvent) => {
      if (!handoff || result !== null || confirm.disabled) return;
      if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1 || event.key === ' ') return;
      if ((event.target as Element | null)?.closest('input, textarea, select')) return;
      event.preventDefault();
      handedOff = true;
      // Closed first: while a modal dialog is open the page behind it is inert and its scan box cannot take focus.
      dialog.close();
      handoff(event.key);
    };
    const close = () => dialog.close();
    const submit = async (event: SubmitEvent) => {
      event.preventDefault();
      if (confirm.disabled) return;
      fill(error);
      const refused = options.check?.(form);
      if (refused) {
        fill(error, refused.message);
        if (refused.field) form.querySelector<HTMLElement>(`[name="${refused.field}"]`)?.focus();
        return;
      }
      confirm.disabled = true;
      const label = confirm.textContent;
      confirm.textContent = 'Recording…';
      try {
        result = await options.run(form);
        dialog.close();
      } catch (e) {
        fill(error, refusal(e));
        confirm.focus();
      } finally {
        confirm.disabled = false;
        confirm.textContent = label;
      }
    };
    form.addEventListener('submit', submit);
    cancel.addEventListener('click', close);
    dialog.addEventListener('close', done);
    dialog.addEventListener('keydown', scanStarts);
  });
}

/** A refusal in words: the server's coded error with its code, so it can be looked up (PROTOCOL §10). */
export function refusal(error: unknown): string {
  if (error instanceof ApiError) {
    const details = Array.isArray(error.details)
      ? (error.details as { message?: string }[])
          .map((d) => d?.message)
          .filter(Boolean)
          .join('; ')
      : '';
    const message = details && !error.message.includes(details) ? `${error.message} (${details})` : error.message;
    return `Not recorded: ${message} [${error.code}]`;
  }
  return `Not recorded: ${(error as Error).message}`;
}

/** A labelled field for the dialog's form. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  const id = `f-${control.name}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'dialog-field' },
    h('label', { for: id }, label, control.required ? h('span', { class: 'required' }, ' (required)') : null),
    control,
    hint ? h('p', { class: 'muted dialog-hint', id: hintId }, hint) : null,
  );
}

export function select(name: string, options: [string, string][], required = true): HTMLSelectElement {
  const element = h('select', { name, required }, ...options.map(([value, text]) => h('option', { value }, text)));
  return element;
}
