/** Asks for the API token once (a small modal form); the caller stores it in sessionStorage. */
import { h } from './dom.js';

let pending: Promise<string> | undefined;

export function askForToken(note?: string): Promise<string> {
  pending ??= new Promise<string>((resolve) => {
    const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, 'aria-label': 'API token' });
    const dialog = h(
      'dialog',
      { class: 'token-dialog' },
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            const value = input.value.trim();
            if (!value) return;
            dialog.close();
            dialog.remove();
            pending = undefined;
            resolve(value);
          },
        },
        h('h2', {}, 'API token'),
        h('p', {}, note ?? 'This server needs a token. It was printed by `shardcast serve` (or is SHARDCAST_TOKEN).'),
        input,
        h('button', { type: 'submit' }, 'Continue'),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
  return pending;
}
