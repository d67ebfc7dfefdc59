// Demo data for `npm run seed` and `npm run simulate`. Every row written here
// is marked (scanned_by / initiated_by 'demo', detail '[demo] …', recipients
// on example.invalid or '#ops-demo'), so a new seed replaces the previous one
// instead of piling up; jobs and schedules are upserted.
import type { Sql } from '../src/db/client.js';
import { afterResult } from '../src/resolvers/executions.js';
import * as executions from '../src/db/executions.js';
import { upsertJob } from '../src/db/jobs.js';
import { countScansByType, insertScanAndBump, lockScanCounters, replaceScanCounters } from '../src/db/scans.js';
import { upsertSchedule } from '../src/db/schedules.js';
import { transaction } from '../src/db/transaction.js';

const DEMO = 'demo';
const HOOK = 'https://ops-hooks.example.invalid/alerts';
const LOG_ROOM = '#ops-demo';

const SCAN_TYPES: [type: string, perWeek: number][] = [
  ['malware', 1800],
  ['vulnerability', 1200],
  ['secrets', 600],
  ['license', 300],
  ['sbom', 150],
];

const JOBS = [
  { id: 'inventory.collect', version: '2.1', description: 'Collect hardware and package inventory', inventory: true },
  { id: 'patch.apply', version: '5.0.3', description: 'Apply approved OS patches', inventory: false },
  { id: 'certs.renew', version: '1.4', description: 'Renew TLS certificates due within 14 days', inventory: false },
  { id: 'logs.rotate', version: '3.2', description: 'Rotate and compress application logs', inventory: false },
  { id: 'backup.verify', version: '0.9', description: 'Restore last night’s backup into a scratch volume', inventory: false },
  { id: 'disk.cleanup', version: '1.0', description: 'Remove build caches older than 30 days', inventory: false },
];

const SCHEDULES = [
  { id: 'nightly-inventory', jobId: 'inventory.collect', cron: '0 2 * * *', enabled: true },
  { id: 'weekly-patch', jobId: 'patch.apply', cron: '0 4 * * 6', enabled: true },
  { id: 'hourly-logs', jobId: 'logs.rotate', cron: '5 * * * *', enabled: true },
  { id: 'daily-backup-check', jobId: 'backup.verify', cron: '30 6 * * 1-5', enabled: false },
];

const SUBJECTS = [
  'Certificate for api.example.com expires in 3 days',
  'Disk /var on db-7 is 92% full',
  'Replication lag on pg-replica-2 above 30 s',
  'Nightly backup of billing failed',
  'Error rate of checkout above 2% for 10 minutes',
  'Kafka consumer group orders is 120 000 messages behind',
  'Node worker-14 did not report for 15 minutes',
  'TLS handshake failures from the EU edge',
];

const ERRORS = [
  'getaddrinfo ENOTFOUND ops-hooks.example.invalid',
  'HTTP 503 Service Unavailable',
  'timed out after 10000 ms',
  'HTTP 410 Gone',
];

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

type NotificationSeed = {
  channel: string;
  recipient: string;
  subject: string;
  body: string;
  status: string;
  retry_count: number;
  next_retry_at: Date | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
};

/** How many notifications of each status, and what each looks like. */
function demoNotifications(now = Date.now()): NotificationSeed[] {
  const plan: [status: string, count: number][] = [
    ['SENT', 40],
    ['READ', 25],
    ['PENDING', 3],
    ['FAILED', 4],
    ['DEAD', 5],
  ];
  return plan.flatMap(([status, count]) =>
    Array.from({ length: count }, (_, i) => {
      const webhook = status === 'FAILED' || status === 'DEAD' || status === 'PENDING' || i % 2 === 0;
      const createdAt = new Date(now - Math.random() * (status === 'PENDING' ? 60_000 : 7 * 86_400_000));
      const failedAttempts = status === 'DEAD' ? 5 : status === 'FAILED' ? 1 + (i % 3) : 0;
      const subject = pick(SUBJECTS);
      return {
        channel: webhook ? 'WEBHOOK' : 'LOG',
        recipient: webhook ? HOOK : LOG_ROOM,
        subject,
        body: `${subject}. Runbook: https://runbooks.example.invalid/${i}`,
        status,
        retry_count: failedAttempts,
        next_retry_at: status === 'FAILED' ? new Date(now + (10 + 10 * i) * 60_000) : null,
        last_error: failedAttempts > 0 ? pick(ERRORS) : null,
        created_at: createdAt,
        sent_at: status === 'SENT' || status === 'READ' ? new Date(createdAt.getTime() + 2_000) : null,
      };
    }),
  );
}

async function removePreviousDemo(tx: Sql): Promise<void> {
  await tx`delete from scans where scanned_by = ${DEMO}`;
  await tx`delete from orchestrator_events where detail like '[demo]%'`;
  await tx`delete from orchestrator_emails where detail like '[demo]%'`;
  await tx`delete from notifications where recipient in (${HOOK}, ${LOG_ROOM})`;
  await tx`delete from executions where initiated_by = ${DEMO}`;
}

/** A week of scans, spread over the types, then the counter cache rebuilt from them. */
async function seedScans(tx: Sql): Promise<void> {
  await tx`
    insert into scans (scan_type, subject_id, scanned_by, created_at)
    select t.scan_type, 'host-' || lpad((random() * 400)::int::text, 3, '0'), ${DEMO},
           now() - random() * interval '7 days'
    from unnest(${SCAN_TYPES.map(([type]) => type)}::text[], ${SCAN_TYPES.map(([, n]) => n)}::int[]) as t(scan_type, n),
         generate_series(1, t.n)`;
  await lockScanCounters(tx);
  await replaceScanCounters(tx, await countScansByType(tx));
}

/**
 * A week of traffic (one a minute), file transfers (one every 3 minutes) and
 * e-mails (one every 10 minutes): about 4 % fail, half of them during an
 * incident 3 hours ago, and a few in the last quarter hour.
 */
async function seedOrchestratorEvents(tx: Sql): Promise<void> {
  await tx`
    insert into orchestrator_events (kind, success, detail, occurred_at)
    select kind, not failed, '[demo] ' || case when failed then 'upstream timed out' else 'ok' end, at
    from (
      select kind, at,
             random() < case when at between now() - interval '220 minutes' and now() - interval '180 minutes' then 0.5
                             when at > now() - interval '15 minutes' then 0.15
                             else 0.04 end as failed
      from (
        select k.kind, now() - (g * k.step_s + random() * k.step_s) * interval '1 second' as at
        from (values ('TRAFFIC', 60), ('FILE', 180)) as k(kind, step_s),
             generate_series(0, 604800 / k.step_s - 1) as g
      ) as spread
    ) as events`;
  await tx`
    insert into orchestrator_emails (success, detail, occurred_at)
    select not failed, '[demo] ' || case when failed then 'SMTP 451 try again later' else 'delivered' end, at
    from (
      select at, random() < 0.03 as failed
      from (select now() - (g * 600 + random() * 600) * interval '1 second' as at from generate_series(0, 1007) as g) as spread
    ) as emails`;
}

/** The catalog, and for each job about one execution a day, plus some still in flight. */
async function seedJobs(tx: Sql): Promise<void> {
  for (const job of JOBS) await upsertJob(tx, job);
  for (const schedule of SCHEDULES) await upsertSchedule(tx, schedule);
  await tx`
    insert into executions (job_id, version, initiated_by, target_count, result_count, failed_count, status, created_at, finished_at)
    select j.id, j.version, ${DEMO}, target, target, failed, case when failed > 0 then 'FAILED' else 'COMPLETED' end,
           started, started + interval '4 minutes'
    from jobs j, generate_series(1, 7) as day,
         lateral (select 10 + (random() * 30)::int as target,
                         case when random() < 0.15 then 1 + (random() * 2)::int else 0 end as failed,
                         now() - day * interval '1 day' + random() * interval '2 hours' as started) as run
    where j.id = any(${JOBS.map((job) => job.id)})`;
  // In flight: RUNNING ones halfway through, PENDING ones without a result yet.
  await tx`
    insert into executions (job_id, version, initiated_by, target_count, result_count, status, created_at)
    select j.id, j.version, ${DEMO}, f.target, f.done, case when f.done > 0 then 'RUNNING' else 'PENDING' end,
           now() - random() * interval '20 minutes'
    from unnest(${['inventory.collect', 'patch.apply', 'certs.renew', 'logs.rotate', 'backup.verify', 'inventory.collect', 'disk.cleanup']}::text[],
                ${[40, 25, 12, 30, 8, 40, 16]}::int[], ${[18, 9, 0, 0, 3, 0, 0]}::int[]) as f(job_id, target, done)
    join jobs j on j.id = f.job_id`;
  // One stored result per counted one, as reportExecutionResult keeps them.
  await tx`
    insert into execution_results (exec_id, agent_id, success, output, reported_at)
    select e.id, 'host-' || lpad(n::text, 3, '0'), n > e.failed_count, case when n > e.failed_count then 'ok' else 'exit 1' end,
           e.created_at + n * interval '2 seconds'
    from executions e, generate_series(1, e.result_count) as n
    where e.initiated_by = ${DEMO}`;
}

export interface SeedSummary {
  scans: number;
  failuresLastHour: number;
  notifications: Record<string, number>;
  jobs: number;
  running: number;
  pending: number;
}

/** Replaces the previous demo data with a fresh week of it, in one transaction. */
export async function seedDemo(sql: Sql): Promise<SeedSummary> {
  await transaction(sql, async (tx) => {
    await removePreviousDemo(tx);
    await seedScans(tx);
    await seedOrchestratorEvents(tx);
    const rows = demoNotifications();
    await tx`insert into notifications ${tx(rows as unknown as Record<string, unknown>[])}`;
    await seedJobs(tx);
  });
  const [counts] = await sql<{ scans: number; failures: number; jobs: number; running: number; pending: number }[]>`
    select (select count(*)::int from scans) as scans,
           (select count(*)::int from orchestrator_events where not success and occurred_at > now() - interval '1 hour')
             + (select count(*)::int from orchestrator_emails where not success and occurred_at > now() - interval '1 hour') as failures,
           (select count(*)::int from jobs) as jobs,
           (select count(*)::int from executions where status = 'RUNNING') as running,
           (select count(*)::int from executions where status = 'PENDING') as pending`;
  const byStatus = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from notifications group by status order by status`;
  return {
    scans: counts!.scans,
    failuresLastHour: counts!.failures,
    notifications: Object.fromEntries(byStatus.map((row) => [row.status, row.n])),
    jobs: counts!.jobs,
    running: counts!.running,
    pending: counts!.pending,
  };
}

/** One random write of the kind a busy day brings; returns what it did, for the log. */
export async function simulateStep(sql: Sql): Promise<string> {
  const roll = Math.random();
  if (roll < 0.35) {
    const failed = Math.random() < 0.3;
    const kind = pick(['TRAFFIC', 'FILE']);
    await sql`insert into orchestrator_events (kind, success, detail) values (${kind}, ${!failed}, ${'[demo] ' + (failed ? 'upstream timed out' : 'ok')})`;
    return `${kind} event, ${failed ? 'failed' : 'ok'}`;
  }
  if (roll < 0.65) {
    const [type] = pick(SCAN_TYPES);
    await insertScanAndBump(sql, { scanType: type, subjectId: `host-${Math.floor(Math.random() * 400)}`, scannedBy: DEMO, slot: 0 });
    return `${type} scan`;
  }
  if (roll < 0.9) return advanceExecutions(sql);
  const [row] = demoNotifications().filter((n) => n.status === 'DEAD');
  await sql`insert into notifications ${sql({ ...row!, created_at: new Date() } as unknown as Record<string, unknown>)}`;
  return 'a notification went DEAD';
}

/** Starts an execution, or adds one agent's result to one in flight. */
async function advanceExecutions(sql: Sql): Promise<string> {
  return transaction(sql, async (tx) => {
    const [inFlight] = await tx<{ id: string }[]>`
      select id::text from executions where initiated_by = ${DEMO} and status in ('PENDING', 'RUNNING')
      order by random() limit 1 for update skip locked`;
    const [{ n: inFlightCount } = { n: 0 }] = await tx<{ n: number }[]>`
      select count(*)::int as n from executions where status in ('PENDING', 'RUNNING')`;
    // Keep a handful in flight: start one when there are few, otherwise progress one.
    if (!inFlight || (inFlightCount < 8 && Math.random() < 0.3)) {
      const job = pick(JOBS);
      const [current] = await tx<{ version: string }[]>`select version from jobs where id = ${job.id}`;
      if (!current) return 'no demo job (run npm run seed)';
      const started = await executions.insertExecution(tx, { jobId: job.id, version: current.version, initiatedBy: DEMO, targetCount: 5 + Math.floor(Math.random() * 10) });
      return `started execution ${started.id} of ${job.id}`;
    }
    const execution = (await executions.lockExecution(tx, inFlight.id))!;
    const success = Math.random() > 0.05;
    const agentId = `host-${String(execution.resultCount + 1).padStart(3, '0')}`;
    await executions.insertResult(tx, { execId: execution.id, agentId, success, output: success ? 'ok' : 'exit 1' });
    const after = await executions.updateProgress(tx, execution.id, afterResult(execution, success));
    return `execution ${after.id}: ${after.resultCount}/${after.targetCount} results, ${after.status}`;
  });
}
