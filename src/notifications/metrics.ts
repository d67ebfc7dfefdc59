import { Counter, Gauge } from 'prom-client';
import type { Sql } from '../db/client.js';
import { countAllByStatus, oldestDueAge } from '../db/notifications.js';
import { registry, scrapeRead } from '../metrics.js';

export const deliveries = new Counter({
  name: 'opsgraph_notification_deliveries_total',
  help: 'Notification delivery attempts by channel and outcome (sent, failed: will retry, dead: gave up)',
  labelNames: ['channel', 'outcome'] as const,
  registers: [registry],
});

// The pool the gauge counts with: the one of the app started last in this process.
let source: Sql | null = null;

export function countNotificationsWith(sql: Sql): void {
  source = sql;
}

new Gauge({
  name: 'opsgraph_notifications',
  help: 'Notifications in the outbox by status, counted at scrape time',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    if (source === null) return;
    // A database that does not answer (in time) must not break the scrape; the gauge keeps its last values.
    const counts = await scrapeRead(countAllByStatus(source));
    for (const [status, n] of Object.entries(counts ?? {})) this.set({ status }, n);
  },
});

new Gauge({
  name: 'opsgraph_notification_oldest_due_seconds',
  help: 'Age of the oldest notification due for delivery (PENDING since written or requeued, FAILED since its retry time came), 0 when none is; read at scrape time',
  registers: [registry],
  async collect() {
    if (source === null) return;
    // As above, the last value stays when the read fails or is late (opsgraph_ready says why).
    const seconds = await scrapeRead(oldestDueAge(source));
    if (seconds !== null) this.set(seconds);
  },
});

export const staleSocketRetries = new Counter({
  name: 'opsgraph_notification_stale_socket_retries_total',
  help: 'Webhook requests sent again at once on a fresh connection because a reused keep-alive connection was reset before any answer (not counted as attempts)',
  registers: [registry],
});
