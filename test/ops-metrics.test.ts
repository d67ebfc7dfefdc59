// The metrics that deploy/grafana/opsgraph.json and deploy/prometheus/alerts.yml added: each against
// the real state it reports (a backlog, a lock wait, a database gone), not just its presence.
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { codes, createTestDatabase, startTestServer, until, useTestApp } from './helpers.js';

const t = useTestApp({ DATABASE_TIMEOUT: '1s', DATABASE_POOL_MAX: '7' });

async function scrape(url: string): Promise<string> {
  return (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
}

function sample(text: string, series: string): number | null {
  const escaped = series.replace(/[{}"]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

const NOTIFY = 'mutation { sendNotification(input: { channel: LOG, recipient: "ops", subject: "disk", body: "full" }) { id: rowId } }';

describe('opsgraph_notification_oldest_due_seconds', () => {
  it('is 0 with nothing due, then the age of the oldest PENDING or due FAILED row', async () => {
    expect(sample(await scrape(t.url), 'opsgraph_notification_oldest_due_seconds')).toBe(0);
    // The worker is off: the row stays PENDING. Its age is set back rather than waited for.
    const pending = (await t.gql(NOTIFY, {}, 'OPERATOR')).data!.sendNotification.id;
    await t.sql`update notifications set updated_at = now() - interval '10 minutes' where id = ${pending}`;
    const tenMinutes = sample(await scrape(t.url), 'opsgraph_notification_oldest_due_seconds')!;
    expect(tenMinutes).toBeGreaterThanOrEqual(600);
    expect(tenMinutes).toBeLessThan(660);

    // A FAILED row counts from the time its retry came, and only once it has come.
    const failed = (await t.gql(NOTIFY, {}, 'OPERATOR')).data!.sendNotification.id;
    await t.sql`update notifications set status = 'FAILED', next_retry_at = now() + interval '1 hour' where id = ${failed}`;
    await t.sql`update notifications set status = 'SENT', sent_at = now() where id = ${pending}`;
    expect(sample(await scrape(t.url), 'opsgraph_notification_oldest_due_seconds')).toBe(0);
    await t.sql`update notifications set next_retry_at = now() - interval '20 minutes' where id = ${failed}`;
    expect(sample(await scrape(t.url), 'opsgraph_notification_oldest_due_seconds')).toBeGreaterThanOrEqual(1200);
    await t.sql`update notifications set status = 'DEAD', next_retry_at = null where id = ${failed}`;
    expect(sample(await scrape(t.url), 'opsgraph_notification_oldest_due_seconds')).toBe(0);
  });
});

describe('the pool gauges and operation errors by class', () => {
  it('export the pools\' sizes', async () => {
    const text = await scrape(t.url);
    expect(sample(text, 'opsgraph_db_pool_max{pool="queries"}')).toBe(7);
    expect(sample(text, 'opsgraph_db_pool_max{pool="transactions"}')).toBe(5);
  });

  it('count a query waiting on a lock in PostgreSQL, and its SERVICE_UNAVAILABLE as a server error of its operation', async () => {
    const before = await scrape(t.url);
    expect(sample(before, 'opsgraph_db_waiting_connections{wait="Lock"}')).toBe(0);
    const serverErrors = () => scrape(t.url).then((text) => sample(text, 'opsgraph_graphql_operation_errors_total{operation="Blocked",type="query",class="server"}') ?? 0);
    expect(await serverErrors()).toBe(0);

    // Another client holds the table; the badge query waits for it past DATABASE_TIMEOUT (1 s).
    const other = postgres(t.databaseUrl, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const locked = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    const holder = other.begin(async (tx) => {
      await tx`lock table notifications in access exclusive mode`;
      holding = true;
      await locked;
    });
    try {
      await until(() => holding);
      const blocked = t.gql('query Blocked { notifications(first: 1) { nodes { id } } }', {}, 'VIEWER');
      await until(async () => (sample(await scrape(t.url), 'opsgraph_db_waiting_connections{wait="Lock"}') ?? 0) >= 1, 5000);
      expect(codes(await blocked)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(await serverErrors()).toBe(1);
    } finally {
      release();
      await holder;
      await other.end();
    }
    await until(async () => sample(await scrape(t.url), 'opsgraph_db_waiting_connections{wait="Lock"}') === 0, 5000);
  });

  it('count a refused operation as a client error', async () => {
    const refused = await t.gql('mutation Refused { recordScan(input: { scanType: "gate", subjectId: "x" }) { id } }', {}, 'VIEWER');
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    const text = await scrape(t.url);
    expect(sample(text, 'opsgraph_graphql_operation_errors_total{operation="Refused",type="mutation",class="client"}')).toBe(1);
    expect(sample(text, 'opsgraph_graphql_operation_errors_total{operation="Refused",type="mutation",class="server"}')).toBeNull();
  });
});

describe('opsgraph_ready', () => {
  it('is 1 while /readyz says ready, and 0 once the database is gone, as /readyz then says too', async () => {
    expect(sample(await scrape(t.url), 'opsgraph_ready')).toBe(1);
    // A server of its own (the gauge follows the server built last in this process), whose database is dropped.
    const db = await createTestDatabase();
    const doomed = await startTestServer(db.url);
    try {
      expect(sample(await scrape(doomed.url), 'opsgraph_ready')).toBe(1);
      await db.drop();
      expect((await fetch(doomed.url.replace(/\/graphql$/, '/readyz'))).status).toBe(503);
      expect(sample(await scrape(doomed.url), 'opsgraph_ready')).toBe(0);
    } finally {
      await doomed.stop();
      await db.drop();
    }
  });
});
