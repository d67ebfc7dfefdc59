import { randomUUID } from 'node:crypto';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { errorsByCode, operationErrors, requestDuration } from '../metrics.js';

const requestIds = new WeakMap<Request, string>();

/** The id of an HTTP request: the caller's X-Request-Id when it sent a sane one, else a new one. */
export function requestIdOf(request: Request | undefined): string {
  if (!request) return randomUUID();
  let id = requestIds.get(request);
  if (!id) {
    const given = request.headers.get('x-request-id');
    id = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

function operationOf(args: ExecutionArgs): { name: string; type: string } {
  const operation = args.document.definitions.find(
    (d): d is Extract<typeof d, { kind: 'OperationDefinition' }> =>
      d.kind === 'OperationDefinition' && (!args.operationName || d.name?.value === args.operationName),
  );
  // Logs keep a bounded prefix of a name, which may be as long as the body allows.
  return { name: (operation?.name?.value ?? 'anonymous').slice(0, 200), type: operation?.operation ?? 'unknown' };
}

/** Counts each error in opsgraph_graphql_errors_total by its code; returns the codes. */
export function countErrors(errors: readonly GraphQLError[] | undefined): string[] {
  const codes = (errors ?? []).map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
  for (const code of codes) errorsByCode.inc({ code });
  return codes;
}

/** Codes that say the server failed, not the request: what the error ratio alert counts (deploy/prometheus/alerts.yml). */
const SERVER_CODES = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

/** server when any of an operation's error codes is the server's failure, else client. */
export function errorClass(codes: readonly string[]): 'server' | 'client' {
  return codes.some((code) => SERVER_CODES.has(code)) ? 'server' : 'client';
}

/**
 * The one "graphql subscription started" line of a subscription, whichever
 * path serves it: yoga's (this plugin) or the live badges' fan-out, which adds
 * the badge.
 */
export function logSubscriptionStarted(args: ExecutionArgs, fields: Record<string, unknown> = {}): void {
  const log = (args.contextValue as Context).log;
  if (!log.isLevelEnabled('info')) return;
  const op = operationOf(args);
  log.info({ operation: op.name, type: op.type, ...fields }, 'graphql subscription started');
}

/** Longer operation names are labelled `other`; logs keep this much of them. */
export const MAX_OPERATION_LABEL = 64;

/**
 * Operation names are chosen by clients, so as label values they must be
 * bounded: a name over 64 characters, or any name once `max` distinct ones
 * have been seen (METRICS_MAX_OPERATIONS, first come first kept), counts as
 * `other`. Without this, made-up names grew /metrics without limit.
 */
export function operationLabels(max: number): (name: string) => string {
  const kept = new Set<string>();
  return (name) => {
    if (kept.has(name)) return name;
    if (name.length > MAX_OPERATION_LABEL || kept.size >= max) return 'other';
    kept.add(name);
    return name;
  };
}

/** One log line and one histogram sample per operation, errors counted by code; X-Request-Id on every response. */
export function observabilityPlugin(maxOperations = 100): Plugin<Context> {
  const label = operationLabels(maxOperations);
  return {
    onRequest: ({ request }) => void requestIdOf(request),
    onResponse: ({ request, response }) => response.headers.set('x-request-id', requestIdOf(request)),
    onValidate: () => ({ result }) => void countErrors(result as readonly GraphQLError[]),
    onExecute: ({ args }) => {
      const started = performance.now();
      const op = operationOf(args);
      return {
        onExecuteDone: ({ result }) => {
          if (Symbol.asyncIterator in result) return;
          const seconds = (performance.now() - started) / 1000;
          const operation = label(op.name);
          requestDuration.observe({ operation, type: op.type }, seconds);
          const codes = countErrors(result.errors);
          if (codes.length) operationErrors.inc({ operation, type: op.type, class: errorClass(codes) });
          const ctx = args.contextValue as Context;
          const line = { operation: op.name, type: op.type, ms: Math.round(seconds * 1000 * 10) / 10, errors: codes.length ? codes : undefined };
          ctx.log.info(line, 'graphql operation');
          // Every mutation changes guarded state: one audit line each, with who asked and how it ended.
          if (op.type === 'mutation') ctx.log.info({ ...line, audit: true, actor: ctx.user?.sub ?? null }, 'audit');
        },
      };
    },
    onSubscribe: ({ args }) => logSubscriptionStarted(args),
  };
}
