// The notification API with the worker off: validation, roles, pagination,
// requeue and read transitions, rows the API cannot represent, metrics, plans.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.js';
import { deadLetterCount, failedNotificationCount } from '../src/resolvers/notifications.js';
import { codes, useTestApp } from './helpers.js';

const t = useTestApp();

const FIELDS = 'id: rowId channel recipient subject body status retryCount nextRetryAt lastError createdAt sentAt';
const SEND = `mutation($input: SendNotificationInput!) { sendNotification(input: $input) { ${FIELDS} } }`;
const REQUEUE = `mutation($id: ID!) { requeueNotification(id: $id) { ${FIELDS} } }`;
const READ = `mutation($id: ID!) { markNotificationRead(id: $id) { id: rowId status sentAt } }`;
const ONE = `query($id: ID!) { notification(id: $id) { id: rowId status } }`;
const LIST = `query($status: NotificationStatus, $first: Int, $after: String) {
  notifications(status: $status, first: $first, after: $after) {
    totalCount nodes { id: rowId status } edges { cursor node { id: rowId } } pageInfo { hasNextPage endCursor }
  }
}`;

const webhook = (overrides: Record<string, string> = {}) => ({
  channel: 'WEBHOOK',
  recipient: 'https://hooks.example.com/alerts',
  subject: 'Certificate expires in 3 days',
  body: 'api.example.com',
  ...overrides,
});

/** Writes a row straight into the table, in any state, and returns its id. */
async function seed(row: { status?: string; channel?: string; retryCount?: number; lastError?: string | null; claimedFor?: string } = {}) {
  const [inserted] = await t.sql<{ id: string }[]>`
    insert into notifications (channel, recipient, subject, body, status, retry_count, last_error, next_retry_at,
                               sent_at, claimed_by, claimed_until)
    values (${row.channel ?? 'WEBHOOK'}, 'https://hooks.example.com/x', 'seeded', 'b', ${row.status ?? 'PENDING'},
            ${row.retryCount ?? 0}, ${row.lastError ?? null},
            ${row.status === 'FAILED' ? t.sql`now() + interval '1 minute'` : null},
            ${row.status === 'SENT' || row.status === 'READ' ? t.sql`now()` : null},
            ${row.claimedFor ? 'some-worker' : null},
            ${row.claimedFor ? t.sql`now() + ${row.claimedFor}::interval` : null})
    returning id::text`;
  return inserted!.id;
}

beforeEach(async () => {
  await t.sql`truncate notifications, audit_log restart identity`;
});

describe('sendNotification', () => {
  it('stores a PENDING notification and returns it', async () => {
    const result = await t.gql(SEND, { input: webhook() }, 'OPERATOR');
    expect(result.errors).toBeUndefined();
    const sent = result.data!.sendNotification;
    expect(sent).toMatchObject({
      ...webhook(),
      status: 'PENDING',
      retryCount: 0,
      nextRetryAt: null,
      lastError: null,
      sentAt: null,
    });
    expect(Math.abs(Date.parse(sent.createdAt) - Date.now())).toBeLessThan(10_000);
    const [row] = await t.sql`select status, channel from notifications where id = ${sent.id}`;
    expect(row).toEqual({ status: 'PENDING', channel: 'WEBHOOK' });
  });

  it('accepts the boundaries: 500-character subject, 100000-character body, a LOG recipient that is no URL', async () => {
    const emoji = '🔔'.repeat(500); // 500 characters, 1000 UTF-16 units
    for (const input of [
      webhook({ subject: 'x'.repeat(500), body: 'y'.repeat(100_000) }),
      webhook({ subject: emoji, recipient: 'http://127.0.0.1:9/hook' }),
      { channel: 'LOG', recipient: 'ops on-call', subject: 's', body: '' },
    ]) {
      const result = await t.gql(SEND, { input }, 'OPERATOR');
      expect(result.errors).toBeUndefined();
    }
    const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from notifications`)[0]!;
    expect(n).toBe(3);
  });

  const invalid: [string, Record<string, string>][] = [
    ['an empty subject', webhook({ subject: '' })],
    ['a 501-character subject', webhook({ subject: 'x'.repeat(501) })],
    ['a 100001-character body', webhook({ body: 'y'.repeat(100_001) })],
    ['a WEBHOOK recipient that is no URL', webhook({ recipient: 'not a url' })],
    ['a WEBHOOK recipient that is an ftp URL', webhook({ recipient: 'ftp://files.example.com/x' })],
    ['a WEBHOOK recipient that is a mailto URL', webhook({ recipient: 'mailto:ops@example.com' })],
    ['a NUL character in the body', webhook({ body: 'a\u0000b' })],
    ['a recipient longer than 2048 characters', { channel: 'LOG', recipient: 'r'.repeat(2049), subject: 's', body: 'b' }],
  ];
  for (const [name, input] of invalid) {
    it(`refuses ${name} with BAD_USER_INPUT and stores nothing`, async () => {
      const result = await t.gql(SEND, { input }, 'OPERATOR');
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      const { n } = (await t.sql<{ n: number }[]>`select count(*)::int as n from notifications`)[0]!;
      expect(n).toBe(0);
    });
  }

  it('refuses a channel the enum does not have', async () => {
    const result = await t.gql(SEND, { input: webhook({ channel: 'SMS' }) }, 'OPERATOR');
    expect(result.errors?.[0]?.message).toMatch(/NotificationChannel/);
  });
});

describe('role matrix', () => {
  const roles: (Role | null)[] = [null, 'VIEWER', 'OPERATOR', 'ADMIN'];
  const least: [string, string, () => Promise<Record<string, unknown>>, Role][] = [
    ['notifications', LIST, async () => ({}), 'VIEWER'],
    ['notification', ONE, async () => ({ id: await seed() }), 'VIEWER'],
    ['markNotificationRead', READ, async () => ({ id: await seed({ status: 'SENT' }) }), 'VIEWER'],
    ['sendNotification', SEND, async () => ({ input: webhook() }), 'OPERATOR'],
    ['requeueNotification', REQUEUE, async () => ({ id: await seed({ status: 'DEAD' }) }), 'OPERATOR'],
  ];
  for (const [field, query, variables, leastRole] of least) {
    it(`${field} needs ${leastRole}`, async () => {
      const seen: Record<string, string> = {};
      for (const role of roles) {
        const result = await t.gql(query, await variables(), role);
        seen[role ?? 'anonymous'] = codes(result)[0] ?? 'ok';
      }
      const ok = (role: Role) => (roles.indexOf(role) >= roles.indexOf(leastRole) ? 'ok' : 'FORBIDDEN');
      expect(seen).toEqual({ anonymous: 'UNAUTHENTICATED', VIEWER: ok('VIEWER'), OPERATOR: ok('OPERATOR'), ADMIN: 'ok' });
    });
  }
});

describe('notifications and notification', () => {
  it('pages newest first with a cursor, totalCount and a status filter', async () => {
    // Twelve rows: ids of one and two digits, which a text ordering would interleave.
    const statuses = ['PENDING', 'SENT', 'DEAD', 'SENT', 'FAILED', 'SENT', 'READ', 'PENDING', 'PENDING', 'READ', 'DEAD', 'PENDING'];
    const ids: string[] = [];
    for (const status of statuses) ids.push(await seed({ status }));
    const newestFirst = [...ids].reverse();

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const result = await t.gql(LIST, { first: 5, after }, 'VIEWER');
      const page: any = result.data!.notifications;
      expect(page.totalCount).toBe(12);
      expect(page.edges.map((e: any) => e.node.id)).toEqual(page.nodes.map((n: any) => n.id));
      seen.push(...page.nodes.map((n: any) => n.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages++;
    } while (after !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst);

    const sent = await t.gql(LIST, { status: 'SENT', first: 2 }, 'VIEWER');
    expect(sent.data!.notifications.totalCount).toBe(3);
    expect(sent.data!.notifications.nodes.map((n: any) => n.id)).toEqual([ids[5], ids[3]]);
    const rest = await t.gql(LIST, { status: 'SENT', first: 2, after: sent.data!.notifications.pageInfo.endCursor }, 'VIEWER');
    expect(rest.data!.notifications.nodes.map((n: any) => n.id)).toEqual([ids[1]]);
    expect(rest.data!.notifications.pageInfo).toEqual({ hasNextPage: false, endCursor: expect.any(String) });
  });

  it('answers BAD_USER_INPUT for first outside 1..500 and for a cursor it did not issue', async () => {
    for (const variables of [{ first: 0 }, { first: 501 }, { first: -1 }, { after: 'bm90LWEtY3Vyc29y' }]) {
      expect(codes(await t.gql(LIST, variables, 'VIEWER'))).toEqual(['BAD_USER_INPUT']);
    }
    expect(codes(await t.gql(LIST, { first: 500 }, 'VIEWER'))).toEqual([]);
  });

  it('returns one notification by id, or null', async () => {
    const id = await seed({ status: 'SENT' });
    expect((await t.gql(ONE, { id }, 'VIEWER')).data).toEqual({ notification: { id, status: 'SENT' } });
    for (const other of [String(Number(id) + 1000), 'abc', '99999999999999999999']) {
      expect(await t.gql(ONE, { id: other }, 'VIEWER')).toEqual({ data: { notification: null } });
    }
  });
});

describe('requeueNotification', () => {
  for (const from of ['DEAD', 'FAILED']) {
    it(`moves ${from} back to PENDING with retryCount 0, no nextRetryAt, no lastError, and audits it`, async () => {
      const id = await seed({ status: from, retryCount: 3, lastError: 'webhook answered HTTP 503' });
      const result = await t.gql(REQUEUE, { id }, 'OPERATOR');
      expect(result.errors).toBeUndefined();
      expect(result.data!.requeueNotification).toMatchObject({ id, status: 'PENDING', retryCount: 0, nextRetryAt: null, lastError: null });
      const [row] = await t.sql`select status, retry_count, next_retry_at, last_error from notifications where id = ${id}`;
      expect(row).toEqual({ status: 'PENDING', retry_count: 0, next_retry_at: null, last_error: null });
      const audit = await t.sql`select actor, action, target, details from audit_log`;
      expect(audit).toEqual([
        { actor: 'test-operator', action: 'notification.requeue', target: id, details: { from, retryCount: 3 } },
      ]);
    });
  }

  it('answers NOT_FOUND for an unknown id and writes no audit entry', async () => {
    for (const id of ['123456789', 'abc', '-1']) {
      expect(codes(await t.gql(REQUEUE, { id }, 'OPERATOR'))).toEqual(['NOT_FOUND']);
    }
    expect((await t.sql`select * from audit_log`).length).toBe(0);
  });

  for (const status of ['PENDING', 'SENT', 'READ']) {
    it(`answers CONFLICT for a ${status} notification and changes nothing`, async () => {
      const id = await seed({ status });
      const result = await t.gql(REQUEUE, { id }, 'OPERATOR');
      expect(codes(result)).toEqual(['CONFLICT']);
      expect(result.errors![0]!.extensions!.status).toBe(status);
      const [row] = await t.sql`select status from notifications where id = ${id}`;
      expect(row!.status).toBe(status);
      expect((await t.sql`select * from audit_log`).length).toBe(0);
    });
  }

  it('answers CONFLICT for a FAILED notification a worker is delivering right now, but not once that claim expired', async () => {
    const live = await seed({ status: 'FAILED', retryCount: 1, claimedFor: '5 minutes' });
    expect(codes(await t.gql(REQUEUE, { id: live }, 'OPERATOR'))).toEqual(['CONFLICT']);
    const expired = await seed({ status: 'FAILED', retryCount: 1, claimedFor: '-1 second' });
    expect(codes(await t.gql(REQUEUE, { id: expired }, 'OPERATOR'))).toEqual([]);
    const [row] = await t.sql`select status, claimed_by from notifications where id = ${expired}`;
    expect(row).toEqual({ status: 'PENDING', claimed_by: null });
  });

  it('lets exactly one of several concurrent requeues of one notification through', async () => {
    const id = await seed({ status: 'DEAD', retryCount: 5 });
    const results = await Promise.all(Array.from({ length: 5 }, () => t.gql(REQUEUE, { id }, 'OPERATOR')));
    expect(results.map((r) => codes(r)[0] ?? 'ok').sort()).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT', 'ok']);
    expect((await t.sql`select * from audit_log`).length).toBe(1);
  });
});

describe('markNotificationRead', () => {
  it('moves SENT to READ and keeps sentAt; marking it again returns it unchanged', async () => {
    const id = await seed({ status: 'SENT' });
    const first = await t.gql(READ, { id }, 'VIEWER');
    expect(first.data!.markNotificationRead).toMatchObject({ id, status: 'READ', sentAt: expect.any(String) });
    const again = await t.gql(READ, { id }, 'VIEWER');
    expect(again).toEqual(first);
  });

  it('answers NOT_FOUND for an unknown id and CONFLICT for a notification not yet SENT', async () => {
    expect(codes(await t.gql(READ, { id: '424242' }, 'VIEWER'))).toEqual(['NOT_FOUND']);
    for (const status of ['PENDING', 'FAILED', 'DEAD']) {
      const id = await seed({ status });
      expect(codes(await t.gql(READ, { id }, 'VIEWER'))).toEqual(['CONFLICT']);
      const [row] = await t.sql`select status from notifications where id = ${id}`;
      expect(row!.status).toBe(status);
    }
  });
});

describe('a row with a channel this server does not know (a channel since removed, or written by SQL)', () => {
  it('is a dead letter like any other: listed by notifications(status: DEAD), counted by deadLetterCount, as by the /metrics gauge', async () => {
    const visible = await seed({ status: 'DEAD' });
    const unknown = await seed({ status: 'DEAD', channel: 'SMS', lastError: 'unknown channel "SMS"' });
    const list = await t.gql(LIST, { status: 'DEAD' }, 'VIEWER');
    expect(list.errors).toBeUndefined();
    expect(list.data!.notifications.nodes).toEqual([{ id: unknown, status: 'DEAD' }, { id: visible, status: 'DEAD' }]);
    expect(list.data!.notifications.totalCount).toBe(2);
    const one = await t.gql('query($id: ID!) { notification(id: $id) { id: rowId channel channelName status lastError } }', { id: unknown }, 'VIEWER');
    expect(one.data!.notification).toEqual({ id: unknown, channel: 'UNKNOWN', channelName: 'SMS', status: 'DEAD', lastError: 'unknown channel "SMS"' });
    expect(await deadLetterCount(t.app)).toBe(2);
    const dashboard = await t.gql('{ dashboard { deadLetterCount } }', {}, 'VIEWER');
    expect(dashboard.data!.dashboard.deadLetterCount).toBe(2);
    const metrics = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/^opsgraph_notifications\{status="DEAD"\} 2$/m);
  });

  it('is requeueable: back to PENDING, audited', async () => {
    const unknown = await seed({ status: 'DEAD', channel: 'SMS', lastError: 'unknown channel "SMS"' });
    const result = await t.gql(REQUEUE, { id: unknown }, 'OPERATOR');
    expect(result.errors).toBeUndefined();
    expect(result.data!.requeueNotification).toMatchObject({ id: unknown, channel: 'UNKNOWN', status: 'PENDING', lastError: null });
    expect(await deadLetterCount(t.app)).toBe(0);
  });

  it('cannot be created through the API: sendNotification refuses channel UNKNOWN', async () => {
    const result = await t.gql(SEND, { input: webhook({ channel: 'UNKNOWN' }) }, 'OPERATOR');
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.message).toContain('WEBHOOK or LOG');
    expect((await t.sql`select count(*)::int as n from notifications`)[0]!.n).toBe(0);
  });
});

describe('dashboard counts and the /metrics gauge', () => {
  it('counts DEAD and FAILED notifications, and every status on /metrics', async () => {
    for (const status of ['DEAD', 'DEAD', 'FAILED', 'SENT', 'READ', 'PENDING', 'PENDING', 'PENDING']) await seed({ status });
    expect(await deadLetterCount(t.app)).toBe(2);
    expect(await failedNotificationCount(t.app)).toBe(1);
    const metrics = await (await fetch(t.url.replace('/graphql', '/metrics'))).text();
    const gauge = Object.fromEntries(
      [...metrics.matchAll(/^opsgraph_notifications\{status="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
    );
    expect(gauge).toEqual({ PENDING: 3, SENT: 1, FAILED: 1, DEAD: 2, READ: 1 });
  });
});

describe('query plans', () => {
  it('serves pages, counts and both claim queues from indexes, not by scanning the table', async () => {
    // Mostly delivered history, as in production; enough rows that a scan would cost more than an index.
    await t.sql`
      insert into notifications (channel, recipient, subject, body, status, next_retry_at)
      select 'WEBHOOK', 'https://h.example.com', 's' || g, 'b',
             case when g % 100 = 0 then 'FAILED' when g % 101 = 0 then 'PENDING' else 'SENT' end,
             case when g % 100 = 0 then now() + (g || ' seconds')::interval end
      from generate_series(1, 50000) g`;
    await t.sql`vacuum analyze notifications`;
    const plan = async (query: string) =>
      (await t.sql.unsafe(`explain ${query}`)).map((r: any) => r['QUERY PLAN']).join('\n');
    const visible = `true`;
    expect(await plan(`select id from notifications where ${visible} and id < 40000 order by id desc limit 51`)).toMatch(/Index (Only )?Scan Backward using notifications_pkey/);
    // A rare status reads its own index; the common one may walk the primary key instead, as cheaply.
    expect(await plan(`select id from notifications where status = 'DEAD' and ${visible} and id < 40000 order by id desc limit 51`)).toMatch(/notifications_status_id_all_idx/);
    expect(await plan(`select id from notifications where status = 'SENT' and ${visible} and id < 40000 order by id desc limit 51`)).not.toMatch(/Seq Scan/);
    expect(await plan(`select count(*) from notifications where status = 'FAILED' and ${visible}`)).toMatch(/notifications_status_id_all_idx|notifications_retry_due_idx/);
    // The dashboard's failed badge never visits the heap per FAILED row to read its channel, whichever
    // index the planner takes: the retry index carries the channel too (sql/00100). Shown with the other one gone.
    const rollback = new Error('rollback');
    await t.sql
      .begin(async (tx) => {
        await tx`drop index notifications_status_id_all_idx`;
        const lines = (await tx.unsafe(`explain select count(*) from notifications where status = 'FAILED' and ${visible}`)).map((r: any) => r['QUERY PLAN']);
        expect(lines.join('\n')).toMatch(/Index Only Scan using notifications_retry_due_idx/);
        throw rollback;
      })
      .catch((error) => {
        if (error !== rollback) throw error;
      });
    expect(await plan(`select id from notifications where status = 'PENDING' and (claimed_until is null or claimed_until < now()) order by id limit 16 for update skip locked`)).toMatch(/notifications_pending_idx/);
    expect(await plan(`select id from notifications where status = 'FAILED' and next_retry_at <= now() and (claimed_until is null or claimed_until < now()) order by next_retry_at limit 16 for update skip locked`)).toMatch(/notifications_retry_due_idx/);
  });
});
