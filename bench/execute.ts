// In-process, no HTTP and no database: what executing `jobs { id live { running pending } }`
// over 1 000 job rows costs in graphql-js and compiled by graphql-jit (as src/yoga/compiled-queries.ts
// runs repeated queries), JSON included. Isolates the executor and the scope checks from the rest.
// Also times the same list with each JobLiveCounts' cache id (`live { id … }`), what a normalised
// client cache asks for, as a ratio to the list without it.
//   NODE_ENV=production npx tsx bench/execute.ts [seconds per variant, default 3]
import { execute, parse } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { schema } from '../src/schema/index.js';

const rows = Array.from({ length: 1000 }, (_, i) => ({
  id: `job-${String(i).padStart(4, '0')}`,
  version: '1',
  description: null,
  inventory: false,
  createdAt: '2026-11-25 12:00:00+00',
  updatedAt: '2026-11-25 12:00:00+00',
  running: i % 3,
  pending: i % 5,
}));
// Query.jobs sends one tagged-template statement; this one answers it from memory.
const sql = async () => rows;
const context = () => ({ user: { sub: 'bench', roles: ['VIEWER'] }, authError: null, loaders: new Map(), sql }) as any;
const document = parse('{ jobs { id live { running pending } } }');
const withIds = parse('{ jobs { id live { id running pending } } }');
// The same number of fields without the id: what any one more exposed field costs.
const withVersion = parse('{ jobs { id version live { running pending } } }');

const seconds = Number(process.argv[2] ?? 3);
/** Runs `run` for a while; returns its CPU time per execution (ms), which other processes' load disturbs less than wall time. */
async function time(name: string, run: () => Promise<string>, forSeconds = seconds): Promise<number> {
  for (let i = 0; i < 50; i++) await run();
  let n = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - started < forSeconds * 1000) {
    await run();
    n++;
  }
  const used = process.cpuUsage(cpu);
  const perExecution = (used.user + used.system) / 1000 / n;
  console.log(`${name.padEnd(34)} ${perExecution.toFixed(3)} ms CPU per execution (${((performance.now() - started) / n).toFixed(3)} ms wall)`);
  return perExecution;
}

const compiled = compileQuery(schema, document);
if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled));
const a = JSON.stringify(await execute({ schema, document, contextValue: context() }));
if (a !== JSON.stringify(await compiled.query(undefined, context(), {}))) throw new Error('graphql-js and graphql-jit disagree');

const compiledWithIds = compileQuery(schema, withIds);
const compiledWithVersion = compileQuery(schema, withVersion);
if (!isCompiledQuery(compiledWithIds) || !isCompiledQuery(compiledWithVersion)) throw new Error('did not compile');

await time('graphql-js', async () => JSON.stringify(await execute({ schema, document, contextValue: context() })));
await time('graphql-jit', async () => JSON.stringify(await compiled.query(undefined, context(), {})));
// The machine's load drifts: alternate the two in short turns and compare medians.
const without: number[] = [];
const withId: number[] = [];
const withField: number[] = [];
for (let round = 0; round < 7; round++) {
  without.push(await time('  jit, live { running pending }', async () => JSON.stringify(await compiled.query(undefined, context(), {})), seconds / 5));
  withId.push(await time('  jit, live { id running pending }', async () => JSON.stringify(await compiledWithIds.query(undefined, context(), {})), seconds / 5));
  withField.push(await time('  jit, version live { running pending }', async () => JSON.stringify(await compiledWithVersion.query(undefined, context(), {})), seconds / 5));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`graphql-jit, CPU, median of 7 alternating turns, against the list without ids:`);
console.log(`  live { id … }             ${(median(withId) / median(without)).toFixed(2)}×`);
console.log(`  version (any other field) ${(median(withField) / median(without)).toFixed(2)}×`);
await time('the rows as JSON, no GraphQL', async () =>
  JSON.stringify({ data: { jobs: (await sql()).map((r) => ({ id: r.id, live: { running: r.running, pending: r.pending } })) } }),
);
