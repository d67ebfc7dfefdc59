// The table bench/run.ts prints and writes to bench/results/latest.md: per
// query and target the median over the rounds, and opsgraph's req/s as a
// ratio of each peer's (median, and its range over the rounds).
import type { LoadResult } from './load.js';

export interface Measurement extends LoadResult {
  round: number;
  query: string;
  target: string;
  /** The server process's CPU time over the measurement's wall time (1 = one core busy); null for pgbench. */
  serverCpu: number | null;
  /** The server process's CPU time per request answered, in ms; null for pgbench. */
  cpuMsPerRequest: number | null;
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
    };
  };
  /** opsgraph ÷ peer: the ratio of the medians, then the lowest and highest of the per-round ratios. */
  const ratio = (query: string, peer: string) => {
    const ours = summary(query, 'opsgraph');
    const theirs = summary(query, peer);
    if (!ours || !theirs) return '–';
    const perRound = of(query, 'opsgraph').flatMap((m) => of(query, peer).filter((p) => p.round === m.round).map((p) => m.rps / p.rps));
    const range = perRound.length > 1 ? ` (${Math.min(...perRound).toFixed(2)}–${Math.max(...perRound).toFixed(2)})` : '';
    return `${(ours.rps / theirs.rps).toFixed(2)}×${range}`;
  };

  const peers = ['opsgraph before', 'PostGraphile', 'bare'].filter((peer) => targets.includes(peer));
  const header = ['query', ...targets.map((t) => `${t} req/s (p50 / p99 ms)`), ...peers.map((peer) => `opsgraph ÷ ${peer}`)];
  const rows = queries.map((query) => [
    query,
    ...targets.map((target) => {
      const s = summary(query, target);
      return s ? `${s.rps.toFixed(0)} (${fixed(s.p50)} / ${fixed(s.p99)})` : '–';
    }),
    ...peers.map((peer) => ratio(query, peer)),
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
`;
  return { markdown, table: `${table}\n\n${cpuTable}` };
}
