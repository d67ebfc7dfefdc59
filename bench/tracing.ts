// The cost of tracing (issue 27), in one `npm run bench` run: opsgraph with tracing off (the
// default), "opsgraph before" (BENCH_BEFORE: a checkout without any OpenTelemetry code, main before
// the change), and "opsgraph tracing on": every request sampled (OTEL_TRACES_SAMPLER=always_on)
// and exported as OTLP http/protobuf to a local sink in this process, which answers 200 and counts.
//
//   npx tsx bench/tracing.ts <checkout of main before>     (other BENCH_* settings pass through)
//
// The checkout: `git -C <repo> archive <commit> | tar -x -C <dir>`, with <dir>/node_modules linked
// to this tree's (the code before needs none of the new packages). Writes bench/results/tracing.md
// (BENCH_REPORT). The sink's CPU is not the server's: run.ts reads the server process's own CPU time.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const before = process.argv[2];
if (!before) {
  console.error('usage: npx tsx bench/tracing.ts <checkout of the code before>');
  process.exit(2);
}

let exports = 0;
let bytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

const variants = {
  'tracing on': {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'always_on',
      // Big enough that no span is dropped at this rate: every span is exported, as a collector would want.
      OTEL_BSP_MAX_QUEUE_SIZE: '200000',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
      OTEL_BSP_SCHEDULE_DELAY: '500',
    },
  },
};
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    BENCH_TARGETS: process.env.BENCH_TARGETS ?? 'opsgraph,opsgraph before',
    BENCH_BEFORE: before,
    BENCH_VARIANTS: JSON.stringify({ ...variants, ...(process.env.BENCH_VARIANTS ? JSON.parse(process.env.BENCH_VARIANTS) : {}) }),
    BENCH_REPORT: process.env.BENCH_REPORT ?? 'tracing.md',
  },
});
const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
console.log(`OTLP sink: ${exports} export requests, ${(bytes / 1e6).toFixed(1)} MB of spans`);
sink.close();
process.exit(code);
