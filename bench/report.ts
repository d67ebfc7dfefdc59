// The table bench/run.ts prints and writes to bench/results/latest.md: per
// query and target the median over the rounds, and opsgraph's req/s as a
// ratio of each peer's (median, and its range over the rounds).
import type { LoadResult } from './load.js';

/** What bench/tail-probe.mjs saw inside a server during one measurement. */
export interface ProbeSnapshot {
  seq: number;
  seconds: number;
  loopP99Ms: number;
  loopMaxMs: number;
  gc: { count: number; totalMs: number; maxMs: number; scavengeMaxMs: number };
  /** postgres.js targets only: per query, the wait for a connection (or behind others pipelined on it) and the latency to its answer. */
  queries: { count: number; waitP50Ms: number; waitP99Ms: number; latencyP50Ms: number; latencyP99Ms: number } | null;
}

export interface Measurement extends LoadResult {
  round: number;
  query: string;
  target: string;
  /** The server process's CPU time over the measurement's wall time (1 = one core busy); null for pgbench. */
  serverCpu: number | null;
  /** The server process's CPU time per request answered, in ms; null for pgbench. */
  cpuMsPerRequest: number | null;
  /** The tail probe's figures for this measurement; null for pgbench or with BENCH_PROBE=off. */
  tail?: ProbeSnapshot | null;
}

export interface RunInfo {
  date: string;
  commit: string;
  scale: number;
  dataset: { events: number; scans: number; jobs: number; executions: number; notifications: number };
  loadSeconds: number;
  seconds: number;
  connections: number;
  rounds: number;
  pool: number;
  /** BENCH_BEFORE: another checkout of opsgraph measured beside this one. */
  before: string | null;
  /** BENCH_VARIANTS: more opsgraph or bare targets with other settings. */
  variants?: Record<string, unknown>;
  machine: { cpu: string; memoryGb: number; node: string; postgraphileNode: string | null; postgres: string; loadAverageAtStart: string };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fixed = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

export function renderReport(info: RunInfo, measurements: Measurement[], queries: string[], targets: string[]): { markdown: string; table: string } {
  const of = (query: string, target: string) => measurements.filter((m) => m.query === query && m.target === target);
  const summary = (query: string, target: string) => {
    const runs = of(query, target);
    if (runs.length === 0) return null;
    const known = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
    const cpu = known(runs.map((r) => r.serverCpu));
    const cpuMs = known(runs.map((r) => r.cpuMsPerRequest));
    return {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      cpu: cpu.length ? median(cpu) : null,
      cpuMs: cpuMs.length ? median(cpuMs) : null,
      tail: tailSummary(runs),
    };
  };
  const tailSummary = (runs: Measurement[]) => {
    const tails = runs.map((r) => r.tail).filter((t): t is ProbeSnapshot => !!t);
    if (tails.length === 0) return null;
    const withQueries = tails.filter((t) => t.queries && t.queries.count > 0);
    return {
      loopP99: median(tails.map((t) => t.loopP99Ms)),
      loopMax: median(tails.map((t) => t.loopMaxMs)),
      // GC per second of load, so measurements of different lengths compare.
      gcShare: median(tails.map((t) => t.gc.totalMs / 10 / t.seconds)),
      gcMax: median(tails.map((t) => t.gc.maxMs)),
      gcPerSecond: median(tails.map((t) => t.gc.count / t.seconds)),
      waitP99: withQueries.length ? median(withQueries.map((t) => t.queries!.waitP99Ms)) : null,
      latencyP50: withQueries.length ? median(withQueries.map((t) => t.queries!.latencyP50Ms)) : null,
      latencyP99: withQueries.length ? median(withQueries.map((t) => t.queries!.latencyP99Ms)) : null,
    };
  };
  type Figure = 'rps' | 'p99' | 'cpuMs';
  const figureOf = (m: Measurement, figure: Figure) => (figure === 'cpuMs' ? m.cpuMsPerRequest : m[figure]);
  /** ours ÷ peer: the ratio of the medians, then the lowest and highest of the per-round ratios. */
  const ratio = (query: string, peer: string, figure: Figure = 'rps', ours = 'opsgraph') => {
    const a = summary(query, ours);
    const b = summary(query, peer);
    const x = figure === 'cpuMs' ? a?.cpuMs : a?.[figure];
    const y = figure === 'cpuMs' ? b?.cpuMs : b?.[figure];
    if (x == null || y == null) return '–';
    const perRound = of(query, ours).flatMap((m) =>
      of(query, peer)
        .filter((p) => p.round === m.round && figureOf(m, figure) != null && figureOf(p, figure))
        .map((p) => figureOf(m, figure)! / figureOf(p, figure)!),
    );
    const range = perRound.length > 1 ? ` (${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)})` : '';
    return `${(x / y).toFixed(2)}×${range}`;
  };

  const peers = ['opsgraph before', 'PostGraphile', 'bare'].filter((peer) => targets.includes(peer));
  const p99Peers = ['PostGraphile', 'opsgraph before'].filter((peer) => targets.includes(peer));
  const header = [
    'query',
    ...targets.map((t) => `${t} req/s (p50 / p99 ms)`),
    ...peers.map((peer) => `opsgraph ÷ ${peer}`),
    ...p99Peers.map((peer) => `p99: opsgraph ÷ ${peer}`),
  ];
  const rows = queries.map((query) => [
    query,
    ...targets.map((target) => {
      const s = summary(query, target);
      return s ? `${s.rps.toFixed(0)} (${fixed(s.p50)} / ${fixed(s.p99)})` : '–';
    }),
    ...peers.map((peer) => ratio(query, peer)),
    ...p99Peers.map((peer) => ratio(query, peer, 'p99')),
  ]);
  const markdownTable = (head: string[], body: string[][]) =>
    [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const table = markdownTable(header, rows);

  const servers = targets.filter((t) => t !== 'pgbench');
  const cpuTable = markdownTable(
    ['query', ...servers.map((t) => `${t}: CPU, ms per request`)],
    queries.map((query) => [
      query,
      ...servers.map((t) => {
        const s = summary(query, t);
        return s?.cpu == null || s.cpuMs == null ? '–' : `${(s.cpu * 100).toFixed(0)} %, ${s.cpuMs.toFixed(3)}`;
      }),
    ]),
  );

  const probed = servers.filter((t) => queries.some((q) => summary(q, t)?.tail));
  const tailTable = probed.length
    ? markdownTable(
        ['query', ...probed.map((t) => `${t}: loop p99 / max; GC % of time, longest; db wait p99; query p50 / p99 (ms)`)],
        queries.map((query) => [
          query,
          ...probed.map((t) => {
            const tail = summary(query, t)?.tail;
            if (!tail) return '–';
            const db = tail.waitP99 === null ? '–' : `${fixed(tail.waitP99)}; ${fixed(tail.latencyP50!)} / ${fixed(tail.latencyP99!)}`;
            return `${fixed(tail.loopP99)} / ${fixed(tail.loopMax)}; ${tail.gcShare.toFixed(1)} %, ${fixed(tail.gcMax)}; ${db}`;
          }),
        ]),
      )
    : null;

  // BENCH_VARIANTS: each "opsgraph <name>" (or "bare <name>") against its base, req/s, p99 and CPU per request.
  const variants = targets.filter((t) => /^(opsgraph|bare) /.test(t) && t !== 'opsgraph before');
  const variantTable = variants.length
    ? markdownTable(
        ['query', ...variants.map((v) => `${v} ÷ ${v.split(' ')[0]}: req/s; p99; CPU per request`)],
        queries.map((query) => [
          query,
          ...variants.map((v) => {
            const base = v.split(' ')[0]!;
            return `${ratio(query, base, 'rps', v)}; ${ratio(query, base, 'p99', v)}; ${ratio(query, base, 'cpuMs', v)}`;
          }),
        ]),
      )
    : null;

  const d = info.dataset;
  const m = info.machine;
  const markdown = `# bench/run.ts: latest results

Written by \`npm run bench\`; every figure below comes from the one run described here. See bench/README.md for the method and what limits each figure.

- run: ${info.date}, commit ${info.commit}
- BENCH_SCALE=${info.scale}: ${d.events.toLocaleString('en')} orchestrator events, ${d.scans.toLocaleString('en')} scans, ${d.jobs.toLocaleString('en')} jobs with ${d.executions.toLocaleString('en')} executions, ${d.notifications.toLocaleString('en')} notifications (loaded in ${info.loadSeconds.toFixed(0)} s)
- load: autocannon in its own process, ${info.connections} connections × ${info.seconds} s per query and target, ${info.rounds} round${info.rounds > 1 ? 's' : ''} (targets take turns, the order rotating each round); figures are medians over the rounds. Every server has a pool of ${info.pool} connections; pgbench runs ${info.pool} clients
${info.before ? `- opsgraph before: the opsgraph checked out in ${info.before} (BENCH_BEFORE), under the same load\n` : ''}- machine: ${m.cpu}, ${m.memoryGb} GB, shared with other work (load average at start ${m.loadAverageAtStart}); ${m.postgres}; opsgraph and the bare handler on Node ${m.node}, PostGraphile on Node ${m.postgraphileNode ?? '(not run)'}

${table}

Ratios compare req/s: the ratio of the medians, and in brackets the lowest and highest ratio of a single round.

Server process CPU during the load (100 % = one core), and its CPU time per request answered: the cost of a request in the server, which the machine's other work disturbs less than req/s.

${cpuTable}
${
  tailTable
    ? `
Inside each server (bench/tail-probe.mjs, medians over the rounds): the event loop's delay (p99 and max), the time spent in GC pauses as a share of the measurement and the longest pause, and for postgres.js targets each query's wait for a connection (or behind queries pipelined before it) and its latency from the pool to its answer.

${tailTable}
`
    : ''
}${
  variantTable
    ? `
Variants (BENCH_VARIANTS: ${JSON.stringify(info.variants)}), each as a ratio to its base in the same run (median, and the range of single rounds):

${variantTable}
`
    : ''
}`;
  return { markdown, table: [table, cpuTable, tailTable, variantTable].filter(Boolean).join('\n\n') };
}
