// The job list: the catalogue (the jobs query) with live running and pending
// counts per job (Subscription.jobListLiveCounts), and Kill and Delete for the
// roles that may use them. Rows are updated in place, so a focused button stays focused.
import { confirmAction } from './confirm.js';
import { $, el, formatCount, setText } from './dom.js';
import { DELETE_JOB, JOBS, KILL_JOB, RANK, errorText } from './gql.js';

/** The signed-in session's { rank, post(query, variables) }; null when signed out. */
let ctx = null;
let jobs = new Map(); // id → Job (without counts)
let counts = new Map(); // id → { running, pending }, from the subscription once it has spoken
let rows = new Map(); // id → { tr, running, pending }
let loaded = false;
let reloadTimer = null;

const plural = (n, one, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

function say(message) {
  $('jobs-action').textContent = message;
}

function countsOf(id) {
  return counts.get(id) ?? jobs.get(id)?.live ?? { running: 0, pending: 0 };
}

function actionButtons(job) {
  const buttons = [];
  if (ctx.rank >= RANK.OPERATOR) {
    const kill = el('button', { type: 'button', className: 'danger secondary', textContent: 'Kill', 'aria-label': `Kill ${job.id}` });
    kill.addEventListener('click', () => killJob(job.id, kill));
    buttons.push(kill);
  }
  if (ctx.rank >= RANK.ADMIN) {
    const remove = el('button', { type: 'button', className: 'secondary', textContent: 'Delete', 'aria-label': `Delete ${job.id}` });
    remove.addEventListener('click', () => deleteJob(job.id, remove));
    buttons.push(remove);
  }
  return buttons;
}

/** The id with a line-break opportunity after each dot, dash or underscore: `inventory.` / `collect` on a phone. */
function breakable(id) {
  return id.split(/(?<=[._-])/).flatMap((part, i) => (i === 0 ? [part] : [el('wbr'), part]));
}

function makeRow(job) {
  const running = el('td', { className: 'num', 'data-testid': 'running' });
  const pending = el('td', { className: 'num', 'data-testid': 'pending' });
  const name = el(
    'th',
    { scope: 'row' },
    el('span', { className: 'job-id' }, ...breakable(job.id)),
    job.scriptStatus === 'REVOKED' ? el('span', { className: 'tag', textContent: 'revoked' }) : null,
    el('span', { className: 'meta' }, `v${job.version}`, job.description ? el('span', { className: 'about' }, ` · ${job.description}`) : null),
  );
  const tr = el('tr', { 'data-job': job.id }, name, running, pending);
  if (ctx.rank >= RANK.OPERATOR) tr.append(el('td', { className: 'actions' }, el('div', {}, ...actionButtons(job))));
  return { tr, running, pending };
}

function updateRow(id) {
  const row = rows.get(id);
  if (!row) return;
  const { running, pending } = countsOf(id);
  setText(row.running, formatCount(running));
  setText(row.pending, formatCount(pending));
  row.tr.classList.toggle('busy', running + pending > 0);
}

/** Rebuilds the rows that changed shape (added, removed, renamed); keeps the others and their focus. */
function render() {
  const body = $('job-rows');
  const wanted = [...jobs.values()];
  for (const [id, row] of rows) {
    if (!jobs.has(id)) {
      row.tr.remove();
      rows.delete(id);
    }
  }
  wanted.forEach((job, index) => {
    let row = rows.get(job.id);
    const shape = `${job.version}|${job.description}|${job.scriptStatus}`;
    if (!row || row.shape !== shape) {
      const fresh = makeRow(job);
      fresh.shape = shape;
      if (row) row.tr.replaceWith(fresh.tr);
      rows.set(job.id, fresh);
      row = fresh;
    }
    if (body.children[index] !== row.tr) body.insertBefore(row.tr, body.children[index] ?? null);
    updateRow(job.id);
  });
  $('jobs-actions-heading').hidden = !ctx || ctx.rank < RANK.OPERATOR;
  $('jobs-table').hidden = wanted.length === 0;
  $('jobs-empty').hidden = !loaded || wanted.length > 0;
  setText($('jobs-summary'), loaded ? plural(wanted.length, 'job') + ' in the catalogue.' : '');
}

/** Loads the catalogue (names, versions, status); the counts come from the subscription. */
export async function loadJobs() {
  const own = ctx;
  if (!own) return;
  let result;
  try {
    result = await own.post(JOBS);
  } catch {
    return; // the status line already says the server is unreachable
  }
  if (own !== ctx) return;
  if (result.errors?.length) return void setText($('jobs-summary'), `Could not load the jobs: ${errorText(result.errors[0])}.`);
  jobs = new Map(result.data.jobs.map((job) => [job.id, job]));
  loaded = true;
  render();
}

function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => void loadJobs(), 250);
}

/** One push of Subscription.jobListLiveCounts: every job at first (complete), then only what changed. */
export function applyJobCounts({ complete, changed, removed }) {
  if (complete) counts = new Map();
  let unknown = false;
  for (const { id, running, pending } of changed) {
    counts.set(id, { running, pending });
    if (jobs.has(id)) updateRow(id);
    else unknown = true;
  }
  for (const id of removed) {
    counts.delete(id);
    jobs.delete(id);
  }
  if (removed.length) render();
  // A job added since the catalogue was loaded (before that, the load under way will bring it).
  if (loaded && (unknown || (complete && changed.length !== jobs.size))) reloadSoon();
}

/** A button whose action is under way. Not `disabled`: that would take the keyboard focus away from it. */
const isBusy = (button) => button.getAttribute('aria-disabled') === 'true';
const setBusy = (button, on) => button.setAttribute('aria-disabled', String(on));

async function killJob(id, button) {
  if (isBusy(button)) return;
  const { running, pending } = countsOf(id);
  const inFlight = running + pending;
  const ok = await confirmAction({
    title: `Kill ${id}?`,
    text:
      inFlight === 0
        ? `${id} has no executions in flight right now; any that start before you confirm will be signalled.`
        : `Every execution of ${id} in flight (${formatCount(running)} running, ${formatCount(pending)} pending) gets a kill signal, and its agents stop it. This cannot be undone.`,
    confirm: 'Kill',
  });
  if (!ok || !ctx) return;
  setBusy(button, true);
  try {
    const result = await ctx.post(KILL_JOB, { id });
    const count = result.data?.killJob?.count;
    say(
      result.errors?.length
        ? `Could not kill ${id}: ${errorText(result.errors[0])}.`
        : count === 0
          ? `${id} had nothing in flight: no execution was signalled.`
          : `Kill signal sent to ${plural(count, 'execution')} of ${id}.`,
    );
  } catch {
    say(`Could not kill ${id}: the server did not answer.`);
  } finally {
    setBusy(button, false);
  }
}

function conflictText(id, error) {
  const names = error.extensions?.schedules;
  if (!Array.isArray(names) || names.length === 0) return `Could not delete ${id}: ${errorText(error)}.`;
  const list = names.map((name) => `“${name}”`).join(', ');
  const which = names.length === 1 ? `schedule ${list} still runs it` : `schedules ${list} still run it`;
  return `Could not delete ${id}: ${which}. Delete or repoint ${names.length === 1 ? 'that schedule' : 'them'} first.`;
}

async function deleteJob(id, button) {
  if (isBusy(button)) return;
  const ok = await confirmAction({
    title: `Delete ${id}?`,
    text: `${id} leaves the catalogue and its script is revoked, so agents refuse its commands still in flight. Audited; this cannot be undone.`,
    confirm: 'Delete',
  });
  if (!ok || !ctx) return;
  setBusy(button, true);
  let message;
  try {
    const result = await ctx.post(DELETE_JOB, { id });
    const error = result.errors?.[0];
    const code = error?.extensions?.code;
    if (!error) message = `Deleted ${id}.`;
    else if (code === 'CONFLICT') message = conflictText(id, error);
    else if (code === 'NOT_FOUND') message = `${id} was already deleted.`;
    else message = `Could not delete ${id}: ${errorText(error)}.`;
    if (!error || code === 'NOT_FOUND') {
      // The row goes away: keep keyboard focus in the section.
      jobs.delete(id);
      render();
      $('jobs-heading').focus();
    }
  } catch {
    message = `Could not delete ${id}: the server did not answer.`;
  }
  setBusy(button, false);
  say(message);
}

/** Starts (with a session's rank and post) or ends (null) the list. */
export function resetJobs(session) {
  ctx = session;
  if ($('confirm').open) $('confirm').close(); // a question asked in a session that has ended
  clearTimeout(reloadTimer);
  jobs = new Map();
  counts = new Map();
  for (const row of rows.values()) row.tr.remove();
  rows = new Map();
  loaded = false;
  say('');
  const hint =
    !session || session.rank >= RANK.ADMIN
      ? ''
      : session.rank >= RANK.OPERATOR
        ? 'Deleting a job needs the ADMIN role.'
        : 'Killing a job needs the OPERATOR role; deleting one needs ADMIN.';
  setText($('jobs-hint'), hint);
  render();
}
