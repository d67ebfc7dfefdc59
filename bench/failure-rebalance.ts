// The failure-badge repair at 10M events (BENCH_SCALE shrinks it), 10 % failed
// over 8 days: rebalanceFailureCounts (lock, GROUP BY, compare, rebuild) and
// the read-only failureCountDrift, each beside a bare GROUP BY of the failed
// rows per minute and kind (the least any recount must read), in the same run,
// taking turns.
//   npx tsx bench/failure-rebalance.ts          (BENCH_SCALE=0.1 for a tenth)
import { loadEvents } from './dataset.js';
import { benchDatabase, benchScale, ratio, startServer } from './lib.js';

const SCALE = benchScale();
const EVENTS = Math.round(10_000_000 * SCALE);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const db = await benchDatabase('failure_rebalance');
const { sql } = db;
try {
  console.log(`loading ${EVENTS.toLocaleString()} events (10 % failed, over 8 days) through the triggers…`);
  await loadEvents(sql, EVENTS);
  // 1 000 failures the triggers never see, so the rebalance has something to fix each round.
  const drift = async () => {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`insert into orchestrator_events (kind, success, occurred_at)
        select 'TRAFFIC', false, now() - g * interval '1 minute' from generate_series(1, 1000) g`;
    });
  };
  const [failed] = await sql<{ n: number }[]>`
    select ((select count(*) from orchestrator_events where not success) + (select count(*) from orchestrator_emails where not success))::int as n`;
  console.log(`${failed!.n.toLocaleString()} failed rows\n`);

  const server = await startServer(db.url);
  const bare = () => sql`
    select date_trunc('minute', occurred_at, 'UTC'), kind, count(*)
    from (select kind, occurred_at from orchestrator_events where not success
          union all select 'EMAIL', occurred_at from orchestrator_emails where not success) f
    group by 1, 2`;
  const rebalance = () => server.gql('mutation { rebalanceFailureCounts { drift } }', {}, 'SUPERADMIN');
  const check = () => server.gql('{ failureCountDrift { drift } }', {}, 'ADMIN');
  const timed = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };
  const samples = { bare: [] as number[], rebalance: [] as number[], check: [] as number[] };
  await bare(); // warm the cache
  let fixed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await drift();
    samples.check.push(await timed(check));
    const started = performance.now();
    const result = await rebalance();
    samples.rebalance.push(performance.now() - started);
    fixed = result.rebalanceFailureCounts.drift;
    samples.bare.push(await timed(bare));
  }
  await server.app.stop();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [b, r, c] = [median(samples.bare), median(samples.rebalance), median(samples.check)];
  console.log(`median of ${ROUNDS} rounds (BENCH_SCALE=${SCALE}); each rebalance fixed a drift of ${fixed}`);
  console.log(`  bare GROUP BY of the failed rows      ${b.toFixed(0).padStart(7)} ms`);
  console.log(`  failureCountDrift (GraphQL)           ${c.toFixed(0).padStart(7)} ms  ${ratio(c, b)} of bare`);
  console.log(`  rebalanceFailureCounts (GraphQL)      ${r.toFixed(0).padStart(7)} ms  ${ratio(r, b)} of bare`);
} finally {
  await db.close();
}
