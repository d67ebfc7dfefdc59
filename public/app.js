// The live badge page. Badges stream over graphql-ws (the client is the
// browser build graphql-ws ships); queries and mutations are POSTed to /graphql.
import { createClient } from '/assets/vendor/graphql-ws/client.js';

const TOKEN_KEY = 'opsgraph.token';
const WINDOW_KEY = 'opsgraph.failureWindow';
const ROLE_RANK = { VIEWER: 1, OPERATOR: 2, ADMIN: 3, SUPERADMIN: 4 };
/** opsgraph closes a socket with this code when its token expires. */
const TOKEN_EXPIRED = 4403;
const WINDOW_TEXT = { '15m': 'the last 15 minutes', '1h': 'the last hour', '24h': 'the last 24 hours', '7d': 'the last 7 days' };

const DASHBOARD = `subscription DashboardBadges {
  dashboard { deadLetterCount jobsRunning jobsPending scanStats { total stats { scanType count } } }
}`;
const FAILURES = `subscription FailureBadge($since: String!) {
  failureCount(since: $since) { since count asOf }
}`;
const ME = 'query Me { me { rowId roles } }';
const DEAD = `query DeadNotifications {
  notifications(status: DEAD, first: 50) {
    totalCount
    nodes { rowId channel recipient subject retryCount lastError createdAt }
  }
}`;
const REQUEUE = 'mutation Requeue($id: ID!) { requeueNotification(id: $id) { id status } }';
const REBALANCE = 'mutation Rebalance { rebalanceScanStats { total } }';

const endpoint = new URL('/graphql', location.href).href;
const $ = (id) => document.getElementById(id);

/** The signed-in session; null when signed out. `fatal` stops socket events from overwriting an auth state. */
let session = null;
let lastUpdateAt = null;

// --- status line -------------------------------------------------------------

const STATUS_TEXT = {
  'signed-out': 'Not signed in. Paste a token below.',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Disconnected, reconnecting…',
  forbidden: 'Forbidden: this token may not read the dashboard (it needs at least the VIEWER role).',
  error: 'Something went wrong.',
};

function setStatus(state, text = STATUS_TEXT[state]) {
  const el = $('connection');
  if (el.dataset.state === state && el.textContent === text) return; // do not re-announce
  el.dataset.state = state;
  el.textContent = text;
}

/** Shows a GraphQL error's meaning; auth errors end the session's streaming. */
function showErrors(errors) {
  const code = errors[0]?.extensions?.code;
  if (code === 'UNAUTHENTICATED') {
    endStreaming();
    setStatus('signed-out', `Not signed in: ${errors[0].message}. Paste a valid token below.`);
  } else if (code === 'FORBIDDEN') {
    endStreaming();
    setStatus('forbidden');
  } else {
    // Not the caller's fault (the server masks internal errors): show it, and try again shortly.
    const own = session;
    if (!own || own.retryTimer) return;
    endStreaming();
    const text = errors.map((e) => e.message.replace(/\.$/, '')).join('; ');
    setStatus('error', `Error: ${text}. Retrying in 5 s.`);
    own.retryTimer = setTimeout(() => {
      own.retryTimer = null;
      if (own !== session) return;
      own.fatal = false;
      startStreaming();
    }, 5000);
  }
}

function relativeTime(ms) {
  const seconds = Math.round(ms / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

function renderUpdated() {
  $('updated').textContent = session && lastUpdateAt ? `Updated ${relativeTime(Date.now() - lastUpdateAt)}` : '';
}
setInterval(renderUpdated, 1000);

function markUpdated() {
  lastUpdateAt = Date.now();
  renderUpdated();
}

// --- HTTP --------------------------------------------------------------------

async function post(query, variables = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (session?.token) headers.authorization = `Bearer ${session.token}`;
  const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return response.json();
}

// --- badges ------------------------------------------------------------------

function setText(id, value) {
  $(id).textContent = value === null || value === undefined ? '–' : String(value);
}

function clearBadges() {
  for (const id of ['failure-count', 'dead-letter-count', 'jobs-running', 'jobs-pending', 'scan-total']) setText(id, null);
  $('scan-types').replaceChildren();
}

function showDashboard({ dashboard }) {
  const previousDead = $('dead-letter-count').textContent;
  setText('dead-letter-count', dashboard.deadLetterCount);
  setText('jobs-running', dashboard.jobsRunning);
  setText('jobs-pending', dashboard.jobsPending);
  setText('scan-total', dashboard.scanStats.total);
  $('scan-types').replaceChildren(
    ...dashboard.scanStats.stats.map(({ scanType, count }) => {
      const li = document.createElement('li');
      li.textContent = `${scanType}: ${count}`;
      return li;
    }),
  );
  if (previousDead !== String(dashboard.deadLetterCount)) void loadDeadLetters();
}

function currentWindow() {
  return $('window').value;
}

function showWindow() {
  $('failure-window-text').textContent = `failures in ${WINDOW_TEXT[currentWindow()]}`;
}

// --- streaming -----------------------------------------------------------------

function subscribe(client, query, variables, onData) {
  return client.subscribe(
    { query, variables },
    {
      next(result) {
        if (result.errors?.length) return showErrors(result.errors);
        if (!session?.fatal) setStatus('live');
        onData(result.data);
        markUpdated();
      },
      error(error) {
        if (Array.isArray(error)) return showErrors(error);
        if (error?.code === TOKEN_EXPIRED) {
          endStreaming();
          setStatus('signed-out', 'Not signed in: the token has expired. Paste a new one below.');
        }
      },
      complete() {},
    },
  );
}

function subscribeFailures() {
  if (!session?.client) return;
  session.stopFailures?.();
  setText('failure-count', '…');
  session.stopFailures = subscribe(session.client, FAILURES, { since: currentWindow() }, ({ failureCount }) =>
    setText('failure-count', failureCount.count),
  );
}

function startStreaming() {
  const own = session;
  const client = createClient({
    url: endpoint.replace(/^http/, 'ws'),
    connectionParams: { authorization: `Bearer ${own.token}` },
    keepAlive: 10_000, // a ping every 10 s notices a dead connection
    retryAttempts: Infinity,
    shouldRetry: (event) => event?.code !== TOKEN_EXPIRED,
    // 0.5 s, 1 s, 2 s, then every 3 s: a restarted server is picked up quickly.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, 3000))),
    on: {
      connecting: (isRetry) => own === session && !own.fatal && setStatus(isRetry ? 'reconnecting' : 'connecting'),
      connected: async () => {
        if (own !== session || own.fatal) return;
        setStatus('live');
        const reconnected = own.connectedBefore;
        own.connectedBefore = true;
        // The server may have been down at sign-in; after a disconnect the list
        // may have changed meanwhile. Otherwise the first dashboard value loads it.
        if (!own.identified) await identify(own).catch(() => {});
        else if (!reconnected) return;
        void loadDeadLetters();
      },
      closed: () => own === session && !own.fatal && setStatus('reconnecting'),
    },
  });
  own.client = client;
  own.stopDashboard = subscribe(client, DASHBOARD, {}, showDashboard);
  subscribeFailures();
}

/** Stops the socket but keeps the session (and its token), e.g. after FORBIDDEN. */
function endStreaming() {
  if (!session) return;
  session.fatal = true;
  session.client?.dispose();
  session.client = null;
}

// --- dead letters --------------------------------------------------------------

function deadItem(notification) {
  const li = document.createElement('li');
  const subject = document.createElement('strong');
  subject.textContent = notification.subject;
  const meta = document.createElement('span');
  meta.className = 'meta';
  const error = notification.lastError ? ` · ${notification.lastError}` : '';
  meta.textContent = `#${notification.rowId} · ${notification.channel} → ${notification.recipient} · ${notification.retryCount} attempts${error}`;
  li.append(subject, meta);
  if (session.rank >= ROLE_RANK.OPERATOR) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Requeue';
    button.setAttribute('aria-label', `Requeue notification ${notification.rowId}: ${notification.subject}`);
    button.addEventListener('click', () => requeue(notification.rowId, button));
    li.append(button);
  }
  return li;
}

async function loadDeadLetters() {
  if (!session || session.rank < ROLE_RANK.VIEWER) return;
  const own = session;
  let result;
  try {
    result = await post(DEAD);
  } catch {
    return; // the status line already says the server is unreachable
  }
  if (own !== session) return;
  if (result.errors?.length) return void ($('dead-summary').textContent = `Could not load: ${result.errors[0].message}`);
  const { nodes, totalCount } = result.data.notifications;
  $('dead-list').replaceChildren(...nodes.map(deadItem));
  const shown = totalCount > nodes.length ? ` (newest ${nodes.length} shown)` : '';
  const hint = own.rank >= ROLE_RANK.OPERATOR || totalCount === 0 ? '' : ' Requeueing needs the OPERATOR role.';
  $('dead-summary').textContent = totalCount === 0 ? 'No dead notifications.' : `${totalCount} dead${shown}.${hint}`;
}

async function requeue(id, button) {
  button.disabled = true;
  button.textContent = 'Requeueing…';
  let message;
  try {
    const result = await post(REQUEUE, { id });
    message = result.errors?.length
      ? `Could not requeue #${id}: ${result.errors[0].message}`
      : `Notification #${id} is ${result.data.requeueNotification.status} again.`;
  } catch {
    message = `Could not requeue #${id}: the server did not answer.`;
  }
  // The item goes away with the reload: keep keyboard focus in the section.
  $('dead-heading').focus();
  $('dead-action').textContent = message;
  await loadDeadLetters();
}

// --- rebalance -----------------------------------------------------------------

async function rebalance() {
  const button = $('rebalance');
  button.disabled = true;
  try {
    const result = await post(REBALANCE);
    $('rebalance-status').textContent = result.errors?.length
      ? `Could not rebalance: ${result.errors[0].message}`
      : `Rebalanced: ${result.data.rebalanceScanStats.total} scans in total.`;
  } catch {
    $('rebalance-status').textContent = 'Could not rebalance: the server did not answer.';
  } finally {
    button.disabled = false;
  }
}

// --- session -----------------------------------------------------------------

function signOut() {
  endStreaming();
  session = null;
  lastUpdateAt = null;
  clearBadges();
  $('dead-list').replaceChildren();
  $('dead-summary').textContent = '';
  $('dead-action').textContent = '';
  $('who').textContent = '';
  $('rebalance-panel').hidden = true;
  renderUpdated();
  setStatus('signed-out');
}

/** Asks who the token belongs to; false if the token was refused. Throws if the server is unreachable. */
async function identify(own) {
  const me = await post(ME);
  if (own !== session) return false;
  if (me.errors?.length) return showErrors(me.errors), false;
  const roles = me.data.me?.roles ?? [];
  own.identified = true;
  own.rank = Math.max(0, ...roles.map((role) => ROLE_RANK[role] ?? 0));
  $('who').textContent = `Signed in as ${me.data.me?.rowId} (${roles.join(', ') || 'no roles'}).`;
  $('rebalance-panel').hidden = own.rank < ROLE_RANK.SUPERADMIN;
  return true;
}

async function signIn(token) {
  signOut();
  if (!token) return;
  const own = (session = { token, rank: 0, identified: false, connectedBefore: false, fatal: false, client: null });
  setStatus('connecting');
  try {
    if (!(await identify(own))) return;
  } catch {
    // The server is down: stream anyway; the socket keeps retrying and says so.
    if (own === session) setStatus('reconnecting');
  }
  if (own === session) startStreaming();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token').value.trim().replace(/^Bearer\s+/i, '');
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  void signIn(token);
});
$('sign-out').addEventListener('click', () => {
  localStorage.removeItem(TOKEN_KEY);
  $('token').value = '';
  signOut();
});
$('window').addEventListener('change', () => {
  localStorage.setItem(WINDOW_KEY, currentWindow());
  showWindow();
  subscribeFailures();
});
$('rebalance').addEventListener('click', rebalance);

$('window').value = WINDOW_TEXT[localStorage.getItem(WINDOW_KEY)] ? localStorage.getItem(WINDOW_KEY) : '1h';
showWindow();
$('token').value = localStorage.getItem(TOKEN_KEY) ?? '';
void signIn($('token').value);
