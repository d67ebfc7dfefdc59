import { Counter } from 'prom-client';
import { startLoop, type BackgroundTask, type Loop } from '../loop.js';
import type { Services } from '../context.js';
import { insertAudit } from '../db/audit.js';
import { reapOverdue } from '../db/executions.js';
import { transaction } from '../db/transaction.js';
import { formatDuration } from '../duration.js';
import { registry } from '../metrics.js';

export const REAPER_ACTOR = 'system:reaper';
/** One sweep fails at most this many executions, in one short transaction; a full sweep asks for another at once. */
const REAPS_PER_SWEEP = 1_000;

export const executionsReaped = new Counter({
  name: 'opsgraph_executions_reaped_total',
  help: 'Executions failed by the reaper because their results were overdue (EXECUTION_RESULT_TIMEOUT)',
  registers: [registry],
});

/**
 * Fails the executions whose results are overdue, so that agents that were
 * switched off do not keep live counts inflated for ever. Any number of
 * reapers may sweep one database at once: each overdue execution is claimed
 * with FOR UPDATE SKIP LOCKED and failed in the same statement, so exactly one
 * of them reaps it, and a result being reported at that moment either commits
 * first (and the execution is not reaped if that completed it) or waits and is
 * stored as a late result.
 */
export class ExecutionReaper {
  private loop: Loop | null = null;

  constructor(
    private readonly services: Services,
    private readonly limit = REAPS_PER_SWEEP,
  ) {}

  /** The reason recorded on each reaped execution, e.g. "no result within 24h". */
  get reason(): string {
    return `no result within ${formatDuration(this.services.config.executions.resultTimeoutMs)}`;
  }

  /** One batch, with its audit entry in the same transaction. Returns the reaped ids. */
  async sweep(): Promise<string[]> {
    const { sql, config, log } = this.services;
    const reaped = await transaction(sql, async (tx) => {
      const ids = await reapOverdue(tx, { timeoutMs: config.executions.resultTimeoutMs, reason: this.reason, limit: this.limit });
      if (ids.length > 0) {
        await insertAudit(tx, { actor: REAPER_ACTOR, action: 'reapExecutions', details: { count: ids.length, execIds: ids, reason: this.reason } });
      }
      return ids;
    });
    if (reaped.length === 0) return reaped;
    executionsReaped.inc(reaped.length);
    log.info({ count: reaped.length, reason: this.reason }, 'reaped overdue executions (ids in the audit log)');
    if (reaped.length >= this.limit) this.loop?.wake();
    return reaped;
  }

  /** Sweeps every EXECUTION_REAPER_INTERVAL until stopped. */
  start(): Loop {
    const { config, log } = this.services;
    this.loop = startLoop('execution-reaper', config.executions.reaperIntervalMs, () => this.sweep().then(() => {}), (error) =>
      log.error({ err: error }, 'execution reaper sweep failed'),
    );
    return this.loop;
  }
}

/** The background starter: null when EXECUTION_REAPER is off. */
export function startExecutionReaper(services: Services): BackgroundTask | null {
  if (!services.config.executions.reaper) return null;
  return new ExecutionReaper(services).start();
}
