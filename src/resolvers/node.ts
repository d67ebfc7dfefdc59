import { hasRole, type Role } from '../auth/roles.js';
import { DASHBOARD_ID, failureCountId, failureSeriesId, SCAN_STATS_ID } from '../badge-ids.js';
import type { Context } from '../context.js';
import type { OrchestratorKind } from '../db/orchestrator-events.js';
import { BadUserInputError, ForbiddenError } from '../errors.js';
import { MAX_WINDOW_SECONDS, parseSince, parseStep } from '../failure-window.js';
import { parseGlobalId, type GlobalIdType } from '../global-ids.js';
import { auditEntryById } from './audit.js';
import { dashboard } from './dashboard.js';
import { executionById } from './executions.js';
import { countFailures } from './failures.js';
import { failureSeries } from './failure-series.js';
import { jobById, liveCounts, scheduleById } from './jobs.js';
import { notificationById } from './notifications.js';
import { scanStats } from './scans.js';

// Query.node and Query.nodes: any object a client holds a global id of, read
// as its own query would read it, under the same least role as its type.

/** At most this many ids per `nodes` call: each may cost a statement. */
export const MAX_NODES = 100;

/** A loaded object, tagged with its type so the Node interface can resolve it (graphql's default type resolver reads __typename). */
export type NodeValue = { __typename: NodeType } & Record<string, unknown>;

interface NodeType_ {
  /** The least role of the type's own fields (src/schema declares the same on the type; test/node.test.ts compares them). */
  role: Role;
  load(ctx: Context, rowId: string): Promise<object | null>;
}

const KINDS: readonly string[] = ['TRAFFIC', 'FILE', 'EMAIL'] satisfies OrchestratorKind[];
const WINDOW = /^([1-9][0-9]{0,6})([smhd])$/;
const UNIT = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** A FailureCount's rowId is its window in canonical form, then `:KIND` for one kind: `1h`, `1d:EMAIL`. */
function failureCountOf(ctx: Context, rowId: string) {
  const [window, kind, ...rest] = rowId.split(':');
  const match = WINDOW.exec(window ?? '');
  if (!match || rest.length > 0 || (kind !== undefined && !KINDS.includes(kind))) return Promise.resolve(null);
  const seconds = Number(match[1]) * UNIT[match[2] as keyof typeof UNIT];
  const args = { since: window!, kind: (kind ?? null) as OrchestratorKind | null };
  // Only the canonical spelling names the badge (60m is 1h's badge, whose id is 1h's).
  if (seconds > MAX_WINDOW_SECONDS || failureCountId(seconds, args.kind) !== rowId) return Promise.resolve(null);
  return countFailures(ctx, args);
}

/** A FailureSeries' rowId is window/step, each canonical, then `:KIND` for one kind: `1h/1m`, `1d/1h:EMAIL`. */
function failureSeriesOf(ctx: Context, rowId: string) {
  const [shape, kind, ...rest] = rowId.split(':');
  const [since, step, ...more] = (shape ?? '').split('/');
  if (rest.length > 0 || more.length > 0 || since === undefined || step === undefined) return Promise.resolve(null);
  if (kind !== undefined && !KINDS.includes(kind)) return Promise.resolve(null);
  const args = { since, step, kind: (kind ?? null) as OrchestratorKind | null };
  try {
    // The series' own checks (a step that fits its window) stay failureSeries' own: it throws, and this is null.
    const sinceSeconds = parseSince(since);
    if (failureSeriesId(sinceSeconds, parseStep(step, sinceSeconds), args.kind) !== rowId) return Promise.resolve(null);
  } catch {
    return Promise.resolve(null);
  }
  return failureSeries(ctx, args).catch(() => null);
}

export const NODE_TYPES = {
  Job: { role: 'VIEWER', load: jobById },
  JobLiveCounts: {
    role: 'VIEWER',
    // The counts of a job in the catalog, as Job.live gives them.
    load: async (ctx, rowId) => {
      const job = await jobById(ctx, rowId);
      return job && liveCounts(ctx, job);
    },
  },
  Execution: { role: 'VIEWER', load: executionById },
  Notification: { role: 'VIEWER', load: notificationById },
  Schedule: { role: 'VIEWER', load: scheduleById },
  AuditEntry: { role: 'ADMIN', load: auditEntryById },
  FailureCount: { role: 'VIEWER', load: failureCountOf },
  FailureSeries: { role: 'VIEWER', load: failureSeriesOf },
  ScanStats: { role: 'VIEWER', load: async (ctx, rowId) => (rowId === SCAN_STATS_ID ? scanStats(ctx) : null) },
  Dashboard: { role: 'VIEWER', load: async (ctx, rowId) => (rowId === DASHBOARD_ID ? dashboard(ctx) : null) },
} satisfies Partial<Record<GlobalIdType, NodeType_>>;

export type NodeType = keyof typeof NODE_TYPES;

/**
 * The object a global id names; null for any string that names none (garbage,
 * a row id, an unknown or deleted object, a type without Node). FORBIDDEN when
 * the caller's role may not read the type, decided before anything is loaded,
 * so the answer does not tell whether the object exists.
 */
export async function node(ctx: Context, id: string): Promise<NodeValue | null> {
  const parsed = parseGlobalId(id);
  if (parsed === null || !(parsed.type in NODE_TYPES)) return null;
  const type = parsed.type as NodeType;
  const { role, load } = NODE_TYPES[type] as NodeType_;
  if (!hasRole(ctx.user, role)) throw new ForbiddenError(`Reading the type ${type} needs the ${role} role`);
  const value = await load(ctx, parsed.rowId);
  // A copy: the loaded rows may be shared with other fields of the operation.
  return value === null ? null : { ...(value as Record<string, unknown>), __typename: type };
}

/** One entry per id, in order: a refused or failed one is an error at its own index only. */
export function nodes(ctx: Context, ids: readonly string[]): Promise<NodeValue | null>[] {
  if (ids.length > MAX_NODES) {
    throw new BadUserInputError(`nodes takes at most ${MAX_NODES} ids; this call has ${ids.length}`, { argument: 'ids' });
  }
  return ids.map((id) => node(ctx, id));
}
