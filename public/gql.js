// GraphQL over HTTP for queries and mutations; subscriptions go over graphql-ws (app.js).

/** The roles in order: a higher one may do everything a lower one may. */
export const RANK = { VIEWER: 1, OPERATOR: 2, ADMIN: 3, SUPERADMIN: 4 };

export const endpoint = new URL('/graphql', location.href).href;

/** POSTs one operation. Throws only when the server does not answer (network, non-JSON). */
export async function post(token, query, variables = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return response.json();
}

/** The first error's message without its final full stop, for use inside a sentence. */
export const errorText = (error) => String(error?.message ?? 'unknown error').replace(/\.$/, '');

export const ME = 'query Me { me { id roles } }';

export const DASHBOARD = `subscription DashboardBadges {
  dashboard { deadLetterCount jobsRunning jobsPending scanStats { total stats { scanType count } } }
}`;

export const FAILURE_SERIES = `subscription FailureSeries($since: String!, $step: String!) {
  failureSeries(since: $since, step: $step) { total asOf points { at count traffic file email } }
}`;

export const JOB_COUNTS = `subscription JobListCounts {
  jobListLiveCounts { complete changed { id running pending } removed }
}`;

export const JOBS = 'query Jobs { jobs { id version description scriptStatus live { running pending } } }';
export const KILL_JOB = 'mutation KillJob($id: ID!) { killJob(id: $id) { jobId count } }';
export const DELETE_JOB = 'mutation DeleteJob($id: ID!) { deleteJob(id: $id) }';

export const DEAD = `query DeadNotifications {
  notifications(status: DEAD, first: 10) {
    totalCount
    nodes { id channel recipient subject retryCount lastError createdAt }
  }
}`;
export const REQUEUE = 'mutation Requeue($id: ID!) { requeueNotification(id: $id) { id status } }';
export const REBALANCE = 'mutation Rebalance { rebalanceScanStats { total } }';
