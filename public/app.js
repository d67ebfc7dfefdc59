// The dashboard page: signs in with a pasted token, streams the badges over
// graphql-ws (the browser build graphql-ws ships) and POSTs queries and
// mutations to /graphql. The sections live in their own modules.
import { createClient } from '/assets/vendor/graphql-ws/client.js';
import { announce, resetAnnouncer } from './announce.js';
import { clearBadges, showDashboard } from './badges.js';
import { WINDOWS, clearSeries, renderSeries, renderTable } from './chart.js';
import { loadDeadLetters, resetDeadLetters } from './dead-letters.js';
import { $ } from './dom.js';
import { DASHBOARD, FAILURE_SERIES, JOB_COUNTS, ME, RANK, REBALANCE, endpoint, errorText, post } from './gql.js';
import { applyJobCounts, loadJobs, resetJobs } from './jobs.js';

const TOKEN_KEY = 'opsgraph.token';
const WINDOW_KEY = 'opsgraph.failureWindow';
/** opsgraph closes a socket with this code when its token expires. */
const TOKEN_EXPIRED = 4403;

/** The signed-in session; null when signed out. `fatal` stops socket events from overwriting an auth state. */
let session = null;
let lastUpdateAt = null;
let lastSeries = null;

// --- status line -------------------------------------------------------------

const STATUS_TEXT = {
  'signed-out': 'Not signed in. Paste a token below.',
  expired: 'Signed out: your token has expired. Paste a new one below.',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Disconnected, reconnecting…',
  offline: 'Offline: this browser has no network. The numbers below are as of the time shown; they resume when it is back.',
  forbidden: 'Forbidden: this token may not read the dashboard (it needs at least the VIEWER role).',
  error: 'Something went wrong.',
};

/** An expired token is a signed-out state too, with its own words. */
function setStatus(state, text = STATUS_TEXT[state]) {
  const el = $('connection');
  const shown = state === 'expired' ? 'signed-out' : state;
  if (el.dataset.state === shown && el.textContent === text) return; // do not re-announce
  el.dataset.state = shown;
  el.textContent = text;
  document.body.dataset.auth = shown === 'signed-out' || shown === 'forbidden' ? 'out' : 'in';
}

/** Shows a GraphQL error's meaning; auth errors end the session's streaming. */
function showErrors(errors) {
  const code = errors[0]?.extensions?.code;
  if (code === 'UNAUTHENTICATED') {
    if (/expired/i.test(errors[0].message)) signOut('expired');
    else signOut('signed-out', `Not signed in: ${errorText(errors[0])}. Paste a valid token below.`);
  } else if (code === 'FORBIDDEN') {
    endStreaming();
    setStatus('forbidden');
  } else {
    // Not the caller's fault (the server masks internal errors): show it, and try again shortly.
    const own = session;
    if (!own || own.retryTimer) return;
    endStreaming();
    setStatus('error', `Error: ${errors.map(errorText).join('; ')}. Retrying in 5 s.`);
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

/** Marks a live value's arrival; the first of each kind after sign-in completes the sign-in-to-live measure. */
function arrived(own, what) {
  lastUpdateAt = Date.now();
  renderUpdated();
  if (!own.waitingFor.delete(what) || own.waitingFor.size > 0) return;
  performance.mark('opsgraph:live');
  performance.measure('opsgraph:sign-in-to-live', 'opsgraph:sign-in', 'opsgraph:live');
}

// --- streaming -----------------------------------------------------------------

function subscribe(own, query, variables, what, onData) {
  return own.client.subscribe(
    { query, variables },
    {
      next(result) {
        if (own !== session) return;
        if (result.errors?.length) return showErrors(result.errors);
        if (!own.fatal) setStatus('live');
        onData(result.data);
        arrived(own, what);
      },
      error(error) {
        if (own !== session) return;
        if (Array.isArray(error)) return showErrors(error);
        if (error?.code === TOKEN_EXPIRED) signOut('expired');
      },
      complete() {},
    },
  );
}

const currentWindow = () => $('window').value;

function showSeries(series) {
  lastSeries = series;
  const summary = renderSeries(series, currentWindow());
  announce('failures', summary.replace(/ Busiest.*/, ''));
}

function subscribeFailures() {
  const own = session;
  if (!own?.client) return;
  own.stopFailures?.();
  clearSeries(currentWindow());
  $('failure-count').textContent = '…';
  const since = currentWindow();
  own.stopFailures = subscribe(own, FAILURE_SERIES, { since, step: WINDOWS[since].step }, 'failures', ({ failureSeries }) => {
    if (since === currentWindow()) showSeries(failureSeries);
  });
}

function startStreaming() {
  const own = session;
  if (!navigator.onLine) return setStatus('offline');
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
        // The server may have been down at sign-in; after a disconnect the lists may have changed meanwhile.
        if (!own.identified) await identify(own).catch(() => {});
        else if (reconnected) void Promise.all([loadJobs(), loadDeadLetters()]);
      },
      closed: () => own === session && !own.fatal && setStatus(navigator.onLine ? 'reconnecting' : 'offline'),
    },
  });
  own.client = client;
  own.stopDashboard = subscribe(own, DASHBOARD, {}, 'dashboard', ({ dashboard }) => {
    if (showDashboard(dashboard) && own.identified) void loadDeadLetters();
  });
  own.stopJobs = subscribe(own, JOB_COUNTS, {}, 'jobs', ({ jobListLiveCounts }) => applyJobCounts(jobListLiveCounts));
  subscribeFailures();
}

/** Stops the socket but keeps the session (and its token), e.g. after FORBIDDEN. */
function endStreaming() {
  if (!session) return;
  session.fatal = true;
  session.client?.dispose();
  session.client = null;
}

// --- rebalance -----------------------------------------------------------------

async function rebalance() {
  const button = $('rebalance');
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true'); // not `disabled`, which would take the focus away
  try {
    const result = await session.post(REBALANCE);
    $('rebalance-status').textContent = result.errors?.length
      ? `Could not rebalance: ${errorText(result.errors[0])}.`
      : `Rebalanced: ${result.data.rebalanceScanStats.total} scans in total.`;
  } catch {
    $('rebalance-status').textContent = 'Could not rebalance: the server did not answer.';
  } finally {
    button.setAttribute('aria-disabled', 'false');
  }
}

// --- session -----------------------------------------------------------------

/** Ends the session and empties the page; a refused token is forgotten, so a reload does not try it again. */
function signOut(status = 'signed-out', text = undefined) {
  if (session && (status !== 'signed-out' || text)) localStorage.removeItem(TOKEN_KEY);
  endStreaming();
  session = null;
  lastUpdateAt = null;
  lastSeries = null;
  clearBadges();
  clearSeries(currentWindow());
  resetJobs(null);
  resetDeadLetters(null);
  resetAnnouncer();
  $('who').textContent = '';
  $('rebalance-panel').hidden = true;
  $('rebalance-status').textContent = '';
  renderUpdated();
  setStatus(status, text);
}

/** Asks who the token belongs to; false if the token was refused. Throws if the server is unreachable. */
async function identify(own) {
  const me = await post(own.token, ME);
  if (own !== session) return false;
  if (me.errors?.length) return showErrors(me.errors), false;
  const roles = me.data.me?.roles ?? [];
  own.identified = true;
  own.rank = Math.max(0, ...roles.map((role) => RANK[role] ?? 0));
  const highest = Object.keys(RANK).find((role) => RANK[role] === own.rank);
  $('who').textContent = `${me.data.me?.id} · ${highest ?? 'no role'}`;
  $('rebalance-panel').hidden = own.rank < RANK.SUPERADMIN;
  if (own.rank >= RANK.VIEWER) {
    resetJobs(own);
    resetDeadLetters(own);
    void loadJobs();
    void loadDeadLetters();
  }
  return true;
}

/** `fromForm`: the form goes away once signed in, so the keyboard focus moves on to the dashboard. */
async function signIn(token, fromForm = false) {
  signOut();
  if (!token) return;
  performance.clearMarks();
  performance.clearMeasures();
  performance.mark('opsgraph:sign-in');
  const own = (session = {
    token,
    rank: 0,
    identified: false,
    connectedBefore: false,
    fatal: false,
    client: null,
    waitingFor: new Set(['dashboard', 'failures', 'jobs']),
    post: (query, variables) => post(token, query, variables),
  });
  setStatus('connecting');
  try {
    if (!(await identify(own))) return;
  } catch {
    // The server is down: stream anyway; the socket keeps retrying and says so.
    if (own === session) setStatus(navigator.onLine ? 'reconnecting' : 'offline');
  }
  if (own !== session) return;
  if (fromForm) $('failures-heading').focus();
  startStreaming();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('token').value.trim().replace(/^Bearer\s+/i, '');
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  void signIn(token, true);
});
$('sign-out').addEventListener('click', () => {
  localStorage.removeItem(TOKEN_KEY);
  $('token').value = '';
  signOut();
  $('token').focus();
});
$('window').addEventListener('change', () => {
  localStorage.setItem(WINDOW_KEY, currentWindow());
  subscribeFailures();
});
$('chart-table').addEventListener('toggle', () => $('chart-table').open && lastSeries && renderTable(lastSeries, currentWindow()));
$('rebalance').addEventListener('click', rebalance);
// Offline, the socket cannot reconnect: stop it, say so, and start afresh when the network is back.
window.addEventListener('offline', () => {
  if (!session || session.fatal) return;
  session.client?.dispose();
  session.client = null;
  setStatus('offline');
});
window.addEventListener('online', () => {
  if (!session || session.fatal || session.client) return;
  setStatus('reconnecting');
  session.connectedBefore = true; // reload the lists once connected
  startStreaming();
});

$('window').value = WINDOWS[localStorage.getItem(WINDOW_KEY)] ? localStorage.getItem(WINDOW_KEY) : '1h';
$('token').value = localStorage.getItem(TOKEN_KEY) ?? '';
void signIn($('token').value);
