// The dead notifications, with Requeue for OPERATOR and above.
import { $, el } from './dom.js';
import { DEAD, RANK, REQUEUE, errorText } from './gql.js';

/** The signed-in session's { rank, post }; null when signed out. */
let ctx = null;

function deadItem(notification) {
  const error = notification.lastError ? ` · ${notification.lastError}` : '';
  const li = el(
    'li',
    {},
    el('strong', { textContent: notification.subject }),
    el('span', {
      className: 'meta',
      textContent: `#${notification.id} · ${notification.channel} → ${notification.recipient} · ${notification.retryCount} attempts${error}`,
    }),
  );
  if (ctx.rank >= RANK.OPERATOR) {
    const button = el('button', {
      type: 'button',
      className: 'secondary',
      textContent: 'Requeue',
      'aria-label': `Requeue notification ${notification.id}: ${notification.subject}`,
    });
    button.addEventListener('click', () => requeue(notification.id, button));
    li.append(button);
  }
  return li;
}

export async function loadDeadLetters() {
  const own = ctx;
  if (!own) return;
  let result;
  try {
    result = await own.post(DEAD);
  } catch {
    return; // the status line already says the server is unreachable
  }
  if (own !== ctx) return;
  if (result.errors?.length) return void ($('dead-summary').textContent = `Could not load: ${errorText(result.errors[0])}.`);
  const { nodes, totalCount } = result.data.notifications;
  $('dead-list').replaceChildren(...nodes.map(deadItem));
  const shown = totalCount > nodes.length ? ` (newest ${nodes.length} shown)` : '';
  const hint = own.rank >= RANK.OPERATOR || totalCount === 0 ? '' : ' Requeueing needs the OPERATOR role.';
  $('dead-summary').textContent = totalCount === 0 ? 'No dead notifications.' : `${totalCount} dead${shown}.${hint}`;
}

async function requeue(id, button) {
  button.disabled = true;
  button.textContent = 'Requeueing…';
  let message;
  try {
    const result = await ctx.post(REQUEUE, { id });
    message = result.errors?.length
      ? `Could not requeue #${id}: ${errorText(result.errors[0])}.`
      : `Notification #${id} is ${result.data.requeueNotification.status} again.`;
  } catch {
    message = `Could not requeue #${id}: the server did not answer.`;
  }
  // The item goes away with the reload: keep keyboard focus in the section.
  $('dead-heading').focus();
  $('dead-action').textContent = message;
  await loadDeadLetters();
}

export function resetDeadLetters(session) {
  ctx = session;
  $('dead-list').replaceChildren();
  $('dead-summary').textContent = '';
  $('dead-action').textContent = '';
}
