// p50/p99 of the jobs list with live counts, over GraphQL on real HTTP, beside
// the same aggregate as bare SQL in the same run.
//   npx tsx bench/jobs.ts                 1 000 jobs, 1 000 000 executions, 1 % in flight
//   BENCH_SCALE=0.1 npx tsx bench/jobs.ts   the executions scaled down (the 1 000 jobs stay)
import type { Sql } from '../src/db/client.js';
import { liveCountsByJob } from '../src/db/jobs.js';
import { rowIdOf } from '../src/global-ids.js';
import { JOBS, loadJobs } from './dataset.js';
import { benchDatabase, latency, ms, ratio, startServer } from './lib.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
if (!(scale > 0 && scale <= 1)) throw new Error('BENCH_SCALE must be a fraction in (0, 1]');
const EXECUTIONS = Math.round(1_000_000 * scale);
const SAMPLES = 500;
const QUERY = `{ jobs { id live { running pending } } }`;

const db = await benchDatabase('jobs');
try {
  const loading = performance.now();
  await loadJobs(db.sql, EXECUTIONS);
  const { inFlight } = (await db.sql<{ inFlight: number }[]>`
    select count(*)::int as "inFlight" from executions where status in ('PENDING', 'RUNNING')`)[0]!;
  console.log(`loaded ${JOBS} jobs and ${EXECUTIONS} executions (${inFlight} in flight) in ${ms(performance.now() - loading)} (BENCH_SCALE=${scale})`);

  const server = await startServer(db.url);
  try {
    const data = await server.gql(QUERY, {}, 'VIEWER');
    const seen = data.jobs.reduce((sum: number, job: { live: { running: number; pending: number } }) => sum + job.live.running + job.live.pending, 0);
    if (data.jobs.length !== JOBS || seen !== inFlight) throw new Error(`wrong answer: ${data.jobs.length} jobs, ${seen} in flight`);

    const ids = data.jobs.map((job: { id: string }) => rowIdOf('Job', job.id));
    const graphql = await latency(SAMPLES, () => server.gql(QUERY, {}, 'VIEWER'));
    const bare = await latency(SAMPLES, () => liveCountsByJob(db.sql as unknown as Sql, ids));

    console.log(`${QUERY} over HTTP, ${SAMPLES} sequential requests:`);
    console.log(`  GraphQL   p50 ${ms(graphql.p50)}  p99 ${ms(graphql.p99)}   (target p99 < 20 ms)`);
    console.log(`  bare SQL  p50 ${ms(bare.p50)}  p99 ${ms(bare.p99)}   (the live-count aggregate for all ${JOBS} jobs)`);
    console.log(`  ratio     p50 ${ratio(graphql.p50, bare.p50)}  p99 ${ratio(graphql.p99, bare.p99)}`);
  } finally {
    await server.app.stop();
  }
} finally {
  await db.close();
}
