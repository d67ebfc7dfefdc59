// Global object ids, Node, node(id:) and nodes(ids:): ids unique across the
// API, the old ids still taken by every argument, and node/nodes under the
// same roles as each type's own fields, whatever an attacker passes.
import { isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { globalId } from '../src/global-ids.js';
import { MAX_NODES, NODE_TYPES } from '../src/resolvers/node.js';
import { schema } from '../src/schema/index.js';
import { codes, token, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

const t = useTestApp();

async function ok(query: string, variables: Record<string, unknown> = {}, as: Parameters<typeof t.gql>[2] = 'ADMIN') {
  const result = await t.gql(query, variables, as);
  expect(result.errors).toBeUndefined();
  return result.data!;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The first kill signal a killSignals subscription over graphql-ws emits. */
async function firstKillSignal(variables: { execIds: string[] | null; after: string }) {
  const client = wsClient(t.wsUrl, await token('OPERATOR'));
  try {
    return await new Promise<{ id: string; rowId: string; execId: string; jobId: string }>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription($e: [ID!], $a: ID) { killSignals(execIds: $e, after: $a) { id rowId execId jobId } }', variables: { e: variables.execIds, a: variables.after } },
        { next: (value) => (value.errors ? reject(new Error(JSON.stringify(value.errors))) : resolve((value.data as any).killSignals)), error: reject, complete: () => {} },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('global ids', () => {
  it('every object with an id has one of its own: a job "1", notification 1, execution 1 and their badges never share one', async () => {
    await ok('mutation { upsertJob(input: { id: "1", version: "v1" }) { id } }');
    await ok('mutation { upsertSchedule(input: { id: "1", jobId: "1", cron: "0 3 * * *" }) { id } }');
    const notification = await ok('mutation { sendNotification(input: { channel: LOG, recipient: "ops", subject: "s", body: "b" }) { id rowId } }', {}, 'OPERATOR');
    const execution = await ok('mutation { startExecution(input: { jobId: "1", targetCount: 1 }) { id rowId jobId } }', {}, 'OPERATOR');
    const data = await ok(`{
      jobs { id rowId live { id rowId } }
      schedules { id rowId jobId }
      auditLog(first: 1) { nodes { id rowId } }
      scanStats { id rowId }
      dashboard { id rowId failureCount { id rowId } }
      me { id rowId }
    }`);
    // The natural keys collide, as they were meant to: the old ids.
    expect(notification.sendNotification.rowId).toBe('1');
    expect(execution.startExecution.rowId).toBe('1');
    expect(data.jobs).toEqual([{ id: globalId('Job', '1'), rowId: '1', live: { id: globalId('JobLiveCounts', '1'), rowId: '1' } }]);
    expect(data.schedules).toEqual([{ id: globalId('Schedule', '1'), rowId: '1', jobId: '1' }]);
    expect(execution.startExecution).toEqual({ id: globalId('Execution', '1'), rowId: '1', jobId: '1' });
    expect(data.dashboard.failureCount).toEqual({ id: globalId('FailureCount', '1h'), rowId: '1h' });
    expect(data.scanStats.rowId).toBe('scanStats');
    expect(data.me.rowId).toBe('test-admin');
    const ids = [
      data.jobs[0].id,
      data.jobs[0].live.id,
      data.schedules[0].id,
      notification.sendNotification.id,
      execution.startExecution.id,
      data.auditLog.nodes[0].id,
      data.scanStats.id,
      data.dashboard.id,
      data.dashboard.failureCount.id,
      data.me.id,
    ];
    expect(new Set(ids).size).toBe(ids.length);
    // The encoding of Pothos' relay plugin and graphql-relay: base64 of Type:rowId.
    expect(Buffer.from(data.jobs[0].id, 'base64').toString()).toBe('Job:1');
  });

  it('every argument that takes an id takes the old one and the global one alike', async () => {
    await ok('mutation { upsertJob(input: { id: "args", version: "v1" }) { id } }');
    const job = globalId('Job', 'args');
    const byBoth = await ok('query($g: ID!) { a: job(id: "args") { rowId } b: job(id: $g) { rowId } c: scriptStatus(jobId: $g) }', { g: job });
    expect(byBoth).toEqual({ a: { rowId: 'args' }, b: { rowId: 'args' }, c: 'ACTIVE' });

    const started = await ok('mutation($g: ID!) { startExecution(input: { jobId: $g, targetCount: 2 }) { id rowId jobId } }', { g: job }, 'OPERATOR');
    // References stay row ids: they are what clients pass back.
    expect(started.startExecution.jobId).toBe('args');
    const reported = await ok(
      'mutation($e: ID!) { reportExecutionResult(input: { execId: $e, agentId: "a1", success: true }) { resultCount } }',
      { e: started.startExecution.id },
      'OPERATOR',
    );
    expect(reported.reportExecutionResult.resultCount).toBe(1);
    const listed = await ok('query($g: ID) { executions(jobId: $g) { totalCount } }', { g: job });
    expect(listed.executions.totalCount).toBe(1);
    const killed = await ok('mutation($g: ID!) { killJob(id: $g) { jobId execIds count } }', { g: job }, 'OPERATOR');
    expect(killed.killJob).toEqual({ jobId: 'args', execIds: [started.startExecution.rowId], count: 1 });

    // killSignals(execIds:, after:) over graphql-ws: global ids of executions, as row ids. A kill signal's
    // id stays its increasing sequence number (the contract's promise to agents), unique all the same.
    const replayed = await firstKillSignal({ execIds: [started.startExecution.id], after: '0' });
    expect(replayed).toMatchObject({ execId: started.startExecution.rowId, jobId: 'args' });
    expect(replayed.id).toBe(replayed.rowId);
    expect(replayed.id).toMatch(/^\d+$/);
    const second = await ok('mutation { startExecution(input: { jobId: "args", targetCount: 1 }) { id rowId } }', {}, 'OPERATOR');
    await ok('mutation($g: ID!) { killJob(id: $g) { count } }', { g: job }, 'OPERATOR'); // signals both executions
    expect((await firstKillSignal({ execIds: [second.startExecution.id], after: replayed.id })).execId).toBe(second.startExecution.rowId);
    // after: the first signal's id: the first execution's next signal comes, not that one again.
    const again = await firstKillSignal({ execIds: [started.startExecution.id], after: replayed.id });
    expect(again.execId).toBe(started.startExecution.rowId);
    expect(BigInt(again.rowId)).toBeGreaterThan(BigInt(replayed.rowId));

    const sent = await ok('mutation { sendNotification(input: { channel: LOG, recipient: "ops", subject: "s", body: "b" }) { id rowId } }', {}, 'OPERATOR');
    const read = await ok('query($g: ID!, $r: ID!) { a: notification(id: $g) { rowId } b: notification(id: $r) { id } }', {
      g: sent.sendNotification.id,
      r: sent.sendNotification.rowId,
    });
    expect(read).toEqual({ a: { rowId: sent.sendNotification.rowId }, b: { id: sent.sendNotification.id } });

    const schedule = await ok('mutation($g: ID!) { upsertSchedule(input: { id: "s1", jobId: $g, cron: "0 3 * * *" }) { id jobId } }', { g: job });
    expect(schedule.upsertSchedule.jobId).toBe('args');
    // A replace by global id, then deletes by global id: the answer is the id as given.
    await ok('mutation($s: ID!, $g: ID!) { upsertSchedule(input: { id: $s, jobId: $g, cron: "0 4 * * *" }) { rowId } }', { s: schedule.upsertSchedule.id, g: job });
    const deleted = await ok('mutation($s: ID!) { deleteSchedule(id: $s) }', { s: schedule.upsertSchedule.id });
    expect(deleted.deleteSchedule).toBe(schedule.upsertSchedule.id);
    expect((await ok('mutation($g: ID!) { deleteJob(id: $g) }', { g: job })).deleteJob).toBe(job);
    expect((await ok('{ jobs { rowId } }')).jobs.map((j: { rowId: string }) => j.rowId)).not.toContain('args');
  });

  it('a global id of another type names nothing where an id of one type is taken', async () => {
    await ok('mutation { upsertJob(input: { id: "7", version: "v1" }) { id } }');
    const sent = await ok('mutation { sendNotification(input: { channel: LOG, recipient: "ops", subject: "s", body: "b" }) { rowId } }', {}, 'OPERATOR');
    const asNotification = globalId('Notification', sent.sendNotification.rowId);
    const asJob = globalId('Job', sent.sendNotification.rowId);
    expect(await ok('query($j: ID!, $n: ID!) { job(id: $n) { id } notification(id: $j) { id } }', { j: globalId('Job', '7'), n: asNotification })).toEqual({
      job: null,
      notification: null,
    });
    expect(codes(await t.gql('mutation($id: ID!) { requeueNotification(id: $id) { id } }', { id: asJob }, 'OPERATOR'))).toEqual(['NOT_FOUND']);
    expect(codes(await t.gql('mutation($id: ID!) { deleteJob(id: $id) }', { id: globalId('JobLiveCounts', '7') }, 'ADMIN'))).toEqual(['NOT_FOUND']);
    // As any unknown job: nothing in flight, no error (the contract's killJob).
    expect((await ok('mutation($id: ID!) { killJob(id: $id) { count } }', { id: asNotification }, 'OPERATOR')).killJob.count).toBe(0);
  });

  it('refuses to create a job or schedule named like a global id, so every old id stays addressable', async () => {
    // A global id without padding, + or / is a legal job id by its characters alone.
    const legalName = (type: Parameters<typeof globalId>[0]) => {
      for (let n = 0; ; n++) {
        const id = globalId(type, `k${n}`);
        if (/^[A-Za-z0-9]+$/.test(id)) return { id, rowId: `k${n}` };
      }
    };
    const notification = legalName('Notification');
    const refused = await t.gql('mutation($id: ID!) { upsertJob(input: { id: $id, version: "v1" }) { id } }', { id: notification.id }, 'ADMIN');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.id' });
    expect(refused.errors?.[0]?.message).toMatch(/global id/);
    await ok('mutation { upsertJob(input: { id: "target", version: "v1" }) { id } }');
    const schedule = await t.gql('mutation($id: ID!) { upsertSchedule(input: { id: $id, jobId: "target", cron: "0 3 * * *" }) { id } }', { id: legalName('Job').id }, 'ADMIN');
    expect(schedule.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'input.id' });
    // A Job's global id as upsertJob's input.id is that job's: it creates or replaces the job of that rowId.
    const job = legalName('Job');
    expect((await ok('mutation($id: ID!) { upsertJob(input: { id: $id, version: "v2" }) { id rowId } }', { id: job.id })).upsertJob).toEqual(job);
    expect((await ok('{ jobs { rowId } }')).jobs.map((j: { rowId: string }) => j.rowId)).not.toContain(job.id);
  });
});

describe('node and nodes', () => {
  it('read every Node type back as its own query does', async () => {
    await ok('mutation { upsertJob(input: { id: "n1", version: "v1", description: "d" }) { id } }');
    await ok('mutation { upsertSchedule(input: { id: "sched", jobId: "n1", cron: "0 3 * * *" }) { id } }');
    await ok('mutation { startExecution(input: { jobId: "n1", targetCount: 3 }) { id } }', {}, 'OPERATOR');
    await ok('mutation { sendNotification(input: { channel: LOG, recipient: "ops", subject: "hello", body: "b" }) { id } }', {}, 'OPERATOR');
    await ok('mutation { recordOrchestratorEvent(input: { kind: EMAIL, success: false }) { id } }', {}, 'OPERATOR');
    const direct = await ok(`{
      job(id: "n1") { id rowId version description live { id rowId pending running } }
      schedules { id rowId cron }
      executions(jobId: "n1") { nodes { id rowId targetCount status } }
      notifications(first: 1) { nodes { id rowId subject } }
      auditLog(first: 1) { nodes { id rowId action } }
      failureCount(since: "60m", kind: EMAIL) { id rowId count }
      failureSeries(since: "60m", step: "60s", kind: EMAIL) { id rowId total }
      scanStats { id rowId total }
      dashboard { id rowId deadLetterCount }
    }`);
    const pick = [
      [direct.job, '... on Job { id rowId version description live { id rowId pending running } }'],
      [direct.job.live, '... on JobLiveCounts { id rowId pending running }'],
      [direct.schedules[0], '... on Schedule { id rowId cron }'],
      [direct.executions.nodes[0], '... on Execution { id rowId targetCount status }'],
      [direct.notifications.nodes[0], '... on Notification { id rowId subject }'],
      [direct.auditLog.nodes[0], '... on AuditEntry { id rowId action }'],
      [direct.failureCount, '... on FailureCount { id rowId count }'],
      [direct.failureSeries, '... on FailureSeries { id rowId total }'],
      [direct.scanStats, '... on ScanStats { id rowId total }'],
      [direct.dashboard, '... on Dashboard { id rowId deadLetterCount }'],
    ] as const;
    for (const [object, fragment] of pick) {
      const read = await ok(`query($id: ID!) { node(id: $id) { __typename id ${fragment} } }`, { id: object.id });
      expect(read.node).toMatchObject(object);
    }
    expect(direct.failureCount.rowId).toBe('1h:EMAIL'); // asked as 60m: one badge, one id
    expect(direct.failureSeries.rowId).toBe('1h/1m:EMAIL');
    expect(direct.job.live.pending).toBe(1);
    // nodes: in order, repeats and unknowns included, in one round trip.
    const all = pick.map(([object]) => object.id);
    const many = await ok('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [...all, all[0], globalId('Job', 'gone')] });
    expect(many.nodes).toEqual([...all.map((id) => ({ id })), { id: all[0] }, null]);
  });

  it('declare for each Node type the least role its own type declares', () => {
    const RANK = { public: 'PUBLIC', viewer: 'VIEWER', operator: 'OPERATOR', admin: 'ADMIN', superadmin: 'SUPERADMIN' } as const;
    const node = schema.getType('Node')!;
    const implementing = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && type.getInterfaces().some((i) => i === node))
      .map((type) => type.name)
      .sort();
    expect(implementing).toEqual(Object.keys(NODE_TYPES).sort());
    for (const [name, { role }] of Object.entries(NODE_TYPES)) {
      const scopes = (schema.getType(name)!.extensions?.pothosOptions as { authScopes: Record<string, boolean> }).authScopes;
      expect(Object.keys(scopes).map((scope) => RANK[scope as keyof typeof RANK]), name).toEqual([role]);
    }
  });

  it('refuse a VIEWER what it cannot read otherwise, before loading anything, and an anonymous caller everything', async () => {
    await ok('mutation { upsertJob(input: { id: "audited", version: "v1" }) { id } }');
    const entry = (await ok('{ auditLog(first: 1) { nodes { id } } }')).auditLog.nodes[0].id;
    expect(codes(await t.gql('{ auditLog(first: 1) { nodes { id } } }', {}, 'VIEWER'))).toEqual(['FORBIDDEN']);
    for (const id of [entry, globalId('AuditEntry', '999999')]) {
      const viaNode = await t.gql('query($id: ID!) { node(id: $id) { id ... on AuditEntry { action actor } } }', { id }, 'VIEWER');
      expect(viaNode.data).toEqual({ node: null });
      // The same answer for an entry that exists and one that does not.
      expect(codes(viaNode)).toEqual(['FORBIDDEN']);
    }
    const job = globalId('Job', 'audited');
    const mixed = await t.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }', { ids: [job, entry, job] }, 'VIEWER');
    expect(mixed.data).toEqual({ nodes: [{ id: job, __typename: 'Job' }, null, { id: job, __typename: 'Job' }] });
    expect(mixed.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['nodes', 1]]]);
    expect((await ok('query($id: ID!) { node(id: $id) { ... on AuditEntry { action } } }', { id: entry })).node.action).toBe('upsertJob');
    for (const as of [null, { token: 'not-a-token' }] as const) {
      const anonymous = await t.gql('query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }', { id: job }, as);
      expect(anonymous.data ?? null).toBeNull();
      expect(codes(anonymous)[0]).toBe('UNAUTHENTICATED');
    }
    // A field the type guards itself stays guarded through node.
    await ok('mutation { sendNotification(input: { channel: WEBHOOK, recipient: "https://example.com/hook?secret=s", subject: "s", body: "b" }) { id } }', {}, 'OPERATOR');
    const hook = (await ok('{ notifications(first: 1) { nodes { id } } }')).notifications.nodes[0].id;
    expect((await ok('query($id: ID!) { node(id: $id) { ... on Notification { recipient } } }', { id: hook }, 'VIEWER')).node.recipient).toBe('(hidden)');
  });

  it('answer null for garbage, row ids, unknown types and non-canonical spellings, never an internal error', async () => {
    await ok('mutation { upsertJob(input: { id: "g", version: "v1" }) { id } }');
    const job = globalId('Job', 'g');
    const garbage = [
      '',
      'g', // the row id
      '1',
      job.replace(/=+$/, ''), // unpadded
      job + '=',
      job.slice(0, -2) + '\n' + job.slice(-2),
      Buffer.from('Job:g').toString('base64url'),
      b64('job:g'), // type names are case-sensitive
      b64('Job:'),
      b64(':g'),
      b64('Nope:g'),
      b64('Job'),
      b64('KillSignal:1'), // a global id, but of a type without Node
      b64('Viewer:test-admin'),
      b64('Job:g:extra'),
      b64('FailureCount:60m'), // 1h's badge is 1h
      b64('FailureCount:1h:NOPE'),
      b64('FailureCount:8d'),
      b64('FailureSeries:60m/1m'),
      b64('FailureSeries:1h/2h'), // a step longer than its window
      b64('FailureSeries:1h'),
      b64('FailureCount:99999999999999999999d'),
      b64('ScanStats:other'),
      b64('Dashboard:'),
      b64('Execution:-1'),
      b64('Execution:99999999999999999999'),
      b64('Notification:1 or 1=1'),
      b64('AuditEntry:0'),
      b64('Schedule:../x'),
      Buffer.from([0x4a, 0x6f, 0x62, 0x3a, 0xff, 0xfe]).toString('base64'), // Job: and bytes that are not UTF-8
      '%%%%',
      'x'.repeat(10_000),
      b64('Job:' + 'x'.repeat(5_000)),
    ];
    const answer = await t.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: garbage }, 'ADMIN');
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.nodes).toEqual(garbage.map(() => null));
    for (const id of garbage.slice(0, 5)) {
      expect(await t.gql('query($id: ID!) { node(id: $id) { id } }', { id }, 'VIEWER')).toEqual({ data: { node: null } });
    }
  });

  it('cap nodes at MAX_NODES ids, and refuse a NUL or an oversized id at the edge as every argument', async () => {
    await ok('mutation { upsertJob(input: { id: "cap", version: "v1" }) { id } }');
    const job = globalId('Job', 'cap');
    const full = await ok('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array(MAX_NODES).fill(job) }, 'VIEWER');
    expect(full.nodes).toHaveLength(MAX_NODES);
    for (const count of [MAX_NODES + 1, 20_000]) {
      const tooMany = await t.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array(count).fill(job) }, 'VIEWER');
      expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ids' });
      expect(tooMany.data ?? null).toBeNull();
    }
    const nul = await t.gql('query($id: ID!) { node(id: $id) { id } }', { id: 'Sm9i\u0000' }, 'VIEWER');
    expect(nul.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'id' });
  });
});
