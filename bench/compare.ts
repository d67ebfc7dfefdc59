// Two targets of one bench/run.ts run, as ratios query by query: A ÷ B for
// req/s, p99 and server CPU per request (the median over the rounds, then the
// lowest and highest ratio of a single round: the noise).
//
//   npx tsx bench/compare.ts bench/results/<run>.json "opsgraph" "opsgraph a73c5a9"
import { readFileSync } from 'node:fs';
import type { Measurement } from './report.js';

const [file, a, b] = process.argv.slice(2);
if (!file || !a || !b) throw new Error('usage: bench/compare.ts <run.json> <target A> <target B>');
const { measurements } = JSON.parse(readFileSync(file, 'utf8')) as { measurements: Measurement[] };

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const figures = { 'req/s': (m: Measurement) => m.rps, p99: (m: Measurement) => m.p99, 'CPU ms per request': (m: Measurement) => m.cpuMsPerRequest };

console.log(`| query | ${Object.keys(figures).map((f) => `${f}: ${a} ÷ ${b}`).join(' | ')} |`);
console.log(`| --- | ${Object.keys(figures).map(() => '---').join(' | ')} |`);
for (const query of [...new Set(measurements.map((m) => m.query))]) {
  const of = (target: string) => measurements.filter((m) => m.query === query && m.target === target);
  const cells = Object.values(figures).map((figure) => {
    const x = of(a).map(figure).filter((v): v is number => v != null);
    const y = of(b).map(figure).filter((v): v is number => v != null);
    if (!x.length || !y.length) return '–';
    const rounds = of(a).flatMap((m) => of(b).filter((n) => n.round === m.round && figure(m) != null && figure(n)).map((n) => figure(m)! / figure(n)!));
    return `${(median(x) / median(y)).toFixed(2)}× (${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)})`;
  });
  console.log(`| ${query} | ${cells.join(' | ')} |`);
}
