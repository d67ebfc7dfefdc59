// Where a --cpu-prof profile's time went: self time by package (or by file
// under src/), and the hottest functions. For BENCH_PROFILE=1 runs of bench/run.ts.
//   npx tsx bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const top = Number(process.argv[3] ?? 25);

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** node_modules/<package> (scoped too), src/<file>, node:internal, or the V8 pseudo-frames. */
function owner(url: string, name: string): string {
  if (!url) return `(${name || 'anonymous'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(src\/.+|bench\/.+)$/.exec(url);
  if (src) return src[1]!;
  return url.startsWith('node:') ? 'node:' + url.slice(5).split('/')[0] : url;
}

const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, micros] of self) {
  const { callFrame } = byId.get(id)!;
  const who = owner(callFrame.url, callFrame.functionName);
  byOwner.set(who, (byOwner.get(who) ?? 0) + micros);
  const fn = `${callFrame.functionName || '(anonymous)'}  ${who}:${callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
}

const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${((micros / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
};
console.log(`${(total / 1e6).toFixed(1)} s sampled`);
print('self time by package / file', byOwner);
print('self time by function', byFunction);
