// One modal confirmation for the page's destructive actions. A native <dialog>:
// it traps focus, Escape cancels, and focus returns to the button that opened it.
import { $ } from './dom.js';

/** Resolves true if the user confirms. Cancel has the focus first, so Enter alone never destroys anything. */
export function confirmAction({ title, text, confirm }) {
  const dialog = $('confirm');
  const opener = document.activeElement;
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = confirm;
  dialog.returnValue = '';
  dialog.showModal();
  $('confirm-cancel').focus();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
        resolve(dialog.returnValue === 'confirm');
      },
      { once: true },
    );
  });
}
