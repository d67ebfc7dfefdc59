import { describe, expect, it, vi } from 'vitest';
import { runAgent, watchKillSignals, type AgentOutcome } from '../examples/agent.js';
import { wsClient } from '../examples/client.js';
import { watchFailures, type FailureChange } from '../examples/watch-failures.js';
import { token, useTestApp } from './helpers.js';

const RECORD_FAILURE = 'mutation { recordOrchestratorEvent(input: { kind: FILE, success: false }) { id } }';
const WAIT = { timeout: 15_000, interval: 50 };

describe('the examples, against a test server', () => {
  const t = useTestApp();
  const as = async (role: 'VIEWER' | 'OPERATOR') => ({ url: t.url, token: await token(role) });

  it('watch-failures prints the current count, then each change with its delta', async () => {
    const changes: FailureChange[] = [];
    const errors: Error[] = [];
    const stop = watchFailures(await as('VIEWER'), { since: '15m', kind: 'FILE' }, (c) => changes.push(c), (e) => errors.push(e));
    try {
      await vi.waitFor(() => expect(changes).toHaveLength(1), WAIT);
      expect(changes[0]).toMatchObject({ count: 0, previous: null, since: '15m', kind: 'FILE' });
      expect((await t.gql(RECORD_FAILURE, {}, 'OPERATOR')).errors).toBeUndefined();
      await vi.waitFor(() => expect(changes.at(-1)).toMatchObject({ count: 1, previous: 0 }), WAIT);
      expect(errors).toEqual([]);
    } finally {
      await stop();
    }
  });

  async function startExecutions(jobId: string, targetCount: number, n: number): Promise<string[]> {
    expect((await t.gql(`mutation { upsertJob(input: { id: "${jobId}", version: "1" }) { id } }`, {}, 'ADMIN')).errors).toBeUndefined();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { data } = await t.gql(`mutation { startExecution(input: { jobId: "${jobId}", targetCount: ${targetCount} }) { rowId } }`, {}, 'OPERATOR');
      ids.push(data!.startExecution.rowId);
    }
    return ids;
  }

  it('the agent runs every execution in flight and reports one result each', async () => {
    const ids = await startExecutions('agent.ok', 2, 2);
    const outcomes = await runAgent({ connection: await as('OPERATOR'), agentId: 'host-1', jobId: 'agent.ok', workMs: 10 });
    expect(outcomes.map((o) => o.execId).sort()).toEqual([...ids].sort());
    expect(outcomes.every((o) => o.killedBy === null && o.status === 'RUNNING')).toBe(true);
    const results = await t.sql`select agent_id, success from execution_results where exec_id = any(${ids}::bigint[])`;
    expect(results.map((r) => `${r.agent_id}:${r.success}`)).toEqual(['host-1:true', 'host-1:true']);
  });

  it('the agent stops an execution when its kill signal arrives and reports it as failed', async () => {
    const [id] = await startExecutions('agent.killed', 1, 1);
    let outcomes: AgentOutcome[] | null = null;
    const running = runAgent({ connection: await as('OPERATOR'), agentId: 'host-2', jobId: 'agent.killed', workMs: 60_000 }).then(
      (o) => (outcomes = o),
    );
    // The agent subscribes before it works, but when the server has registered
    // that subscription is not observable from here: signal until it stops.
    await vi.waitFor(async () => {
      await t.gql('mutation { killJob(id: "agent.killed") { count } }', {}, 'OPERATOR');
      expect(outcomes).not.toBeNull();
    }, { timeout: 20_000, interval: 300 });
    await running;
    expect(outcomes).toEqual([{ execId: id, killedBy: 'test-operator', status: 'FAILED' }]);
    const [result] = await t.sql`select output from execution_results where exec_id = ${id!}::bigint`;
    expect(result!.output).toBe('killed by test-operator');
  });

  it('the agent hears of a kill requested before it started (it subscribes with after: "0")', async () => {
    const [id] = await startExecutions('agent.late', 1, 1);
    expect((await t.gql('mutation { killJob(id: "agent.late") { count } }', {}, 'OPERATOR')).data!.killJob.count).toBe(1);
    const outcomes = await runAgent({ connection: await as('OPERATOR'), agentId: 'host-4', jobId: 'agent.late', workMs: 60_000 });
    expect(outcomes).toEqual([{ execId: id, killedBy: 'test-operator', status: 'FAILED' }]);
  });

  it("watchKillSignals resubscribes from the last id after a dropped connection: every signal once, in id order", async () => {
    const [id] = await startExecutions('agent.reconnect', 1, 1);
    const kill = () => t.gql('mutation { killJob(id: "agent.reconnect") { count } }', {}, 'OPERATOR');
    let socket: { close(code?: number): void } | null = null;
    let connections = 0;
    let watch: ReturnType<typeof watchKillSignals> | null = null;
    const client = wsClient(await as('OPERATOR'), {
      opened: (s) => (socket = s as typeof socket),
      connected: () => void (connections++ > 0 && watch?.reconnected()),
    });
    const got: string[] = [];
    watch = watchKillSignals(client, [id!], (signal) => got.push(signal.rowId), () => {});
    try {
      await kill();
      await vi.waitFor(() => expect(got).toHaveLength(1), WAIT);
      socket!.close(1001); // going away, as in a deploy
      await kill(); // while the agent is away, or just back
      await vi.waitFor(() => expect(connections).toBeGreaterThanOrEqual(2), WAIT);
      await kill();
      await vi.waitFor(() => expect(got).toHaveLength(3), WAIT);
      await new Promise((r) => setTimeout(r, 300));
      const ids = (await t.sql<{ id: string }[]>`select id::text from kill_signals where exec_id = ${id!}::bigint order by id`).map((r) => r.id);
      expect(got).toEqual(ids);
    } finally {
      watch.stop();
      await client.dispose();
    }
  });

  it('the agent refuses the commands of a revoked job', async () => {
    await startExecutions('agent.revoked', 1, 1);
    await t.sql`insert into script_status (job_id, status) values ('agent.revoked', 'REVOKED')`;
    await expect(runAgent({ connection: await as('OPERATOR'), agentId: 'host-3', jobId: 'agent.revoked', workMs: 10 })).rejects.toThrow(
      'job agent.revoked is revoked',
    );
  });
});
