// A minimal agent: runs the executions of one job that wait for it, stops an
// execution as soon as its kill signal arrives, and reports each outcome.
//
//   OPSGRAPH_TOKEN=… OPSGRAPH_AGENT_ID=host-17 npx tsx examples/agent.ts <jobId> [execId…]
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'graphql-ws';
import { connectionFromEnv, isMain, request, subscribe, wsClient, type Connection } from './client.js';
import {
  AgentInFlightDocument,
  AgentKillSignalsDocument,
  AgentReportResultDocument,
  AgentScriptStatusDocument,
  type AgentKillSignalsSubscription,
  type ExecutionStatus,
} from './gql/graphql.js';

type KillSignal = AgentKillSignalsSubscription['killSignals'];

/**
 * The agent's reconnect loop for kill signals. It subscribes with after = the
 * id of the last signal it saw ("0" the first time: a kill requested before the
 * agent started counts too), and after every reconnect (a deploy, a network
 * blip) it subscribes again from there: the server replays what was recorded
 * meanwhile, then the live ones, in id order. graphql-ws would re-send the
 * first subscription as it was, so the loop replaces it itself; a signal it
 * already has (same id or lower) is ignored. Returns the unsubscribe.
 */
export function watchKillSignals(
  client: Client,
  execIds: string[],
  onSignal: (signal: KillSignal) => void,
  log: (line: string) => void,
): { stop(): void; reconnected(): void } {
  let after = '0';
  let unsubscribe = () => {};
  const open = () => {
    unsubscribe();
    unsubscribe = subscribe(client, AgentKillSignalsDocument, { execIds, after }, {
      next: ({ killSignals }) => {
        if (BigInt(killSignals.rowId) <= BigInt(after)) return;
        after = killSignals.rowId;
        onSignal(killSignals);
      },
      error: (error) => log(`kill signals: ${error.message}`),
    });
  };
  open();
  return { stop: () => unsubscribe(), reconnected: open };
}

export interface AgentOptions {
  connection: Connection;
  agentId: string;
  jobId: string;
  /** The executions to run; by default every PENDING or RUNNING one of the job. */
  execIds?: string[];
  /** How long "running the command" takes. */
  workMs: number;
  log?: (line: string) => void;
}

export interface AgentOutcome {
  execId: string;
  /** Who killed it, or null if it ran to the end. */
  killedBy: string | null;
  /** The execution's status after this agent's report. */
  status: ExecutionStatus;
}

/** The job's executions still waiting for results. */
export async function inFlightExecutions(connection: Connection, jobId: string): Promise<string[]> {
  const { pending, running } = await request(connection, AgentInFlightDocument, { jobId });
  return [...pending.nodes, ...running.nodes].map((execution) => execution.rowId);
}

/** Stands in for the job's command: resolves after `ms`, or early when killed. */
async function work(ms: number, kill: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal: kill }).catch(() => {});
}

export async function runAgent(options: AgentOptions): Promise<AgentOutcome[]> {
  const { connection, agentId, jobId, log = () => {} } = options;
  const { scriptStatus } = await request(connection, AgentScriptStatusDocument, { jobId });
  if (scriptStatus === 'REVOKED') throw new Error(`job ${jobId} is revoked: refusing to run its commands`);
  const execIds = options.execIds ?? (await inFlightExecutions(connection, jobId));
  if (execIds.length === 0) return [];

  const kills = new Map(execIds.map((id) => [id, new AbortController()]));
  let connections = 0;
  let watch: ReturnType<typeof watchKillSignals> | null = null;
  // Every connection after the first is a reconnect: subscribe again from the last signal seen.
  const client = wsClient(connection, { connected: () => void (connections++ > 0 && watch?.reconnected()) });
  watch = watchKillSignals(
    client,
    execIds,
    (signal) => {
      log(`kill signal ${signal.rowId} for execution ${signal.execId} from ${signal.requestedBy}`);
      kills.get(signal.execId)?.abort(signal.requestedBy);
    },
    log,
  );
  const unsubscribe = () => watch!.stop();
  try {
    return await Promise.all(
      execIds.map(async (execId) => {
        const kill = kills.get(execId)!.signal;
        log(`running execution ${execId} of ${jobId}`);
        await work(options.workMs, kill);
        const killedBy = kill.aborted ? String(kill.reason) : null;
        const { reportExecutionResult: execution } = await request(connection, AgentReportResultDocument, {
          input: { execId, agentId, success: killedBy === null, output: killedBy ? `killed by ${killedBy}` : 'ok' },
        });
        log(`reported execution ${execId}: ${execution.resultCount}/${execution.targetCount} results, ${execution.status}`);
        return { execId, killedBy, status: execution.status };
      }),
    );
  } finally {
    unsubscribe();
    await client.dispose();
  }
}

if (isMain(import.meta.url)) {
  const [jobId, ...execIds] = process.argv.slice(2);
  if (!jobId) {
    console.error('usage: npx tsx examples/agent.ts <jobId> [execId…]');
    process.exit(2);
  }
  runAgent({
    connection: connectionFromEnv(),
    agentId: process.env.OPSGRAPH_AGENT_ID || hostname(),
    jobId,
    execIds: execIds.length > 0 ? execIds : undefined,
    workMs: Number(process.env.OPSGRAPH_WORK_MS || 3000),
    log: (line) => console.log(`${new Date().toISOString()}  ${line}`),
  }).then(
    (outcomes) => {
      if (outcomes.length === 0) console.log(`nothing in flight for ${jobId}`);
      process.exit(0);
    },
    (error: Error) => {
      console.error(`agent: ${error.message}`);
      process.exit(1);
    },
  );
}
