// Where a server's slow requests come from, measured inside the server process
// under bench/run.ts's load. Preloaded with `node --import <this file>` into
// every Node target (opsgraph, the bare handler, PostGraphile on Node 22), so
// plain JavaScript. It collects, between two SIGUSR2 signals:
//
// - the event loop's delay (perf_hooks.monitorEventLoopDelay): p99 and max;
// - GC pauses (PerformanceObserver on 'gc'): count, total and longest, and the
//   longest scavenge (young generation) apart;
// - for postgres.js (when the process loads it): per query, the time from
//   the moment it is handed to the pool to the moment a connection starts on
//   it (the wait for a connection, or behind the queries pipelined before it
//   on a busy one), and to its answer (the client-side latency).
//
// On each SIGUSR2 it writes the figures since the previous one as JSON to
// BENCH_PROBE_FILE (with a sequence number the harness waits for) and resets.
// Never loaded by `npm start`: it adds an accessor to postgres.js's Query.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { constants, createHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.BENCH_PROBE_FILE;
if (file) {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  let gc = { count: 0, totalMs: 0, maxMs: 0, scavengeMaxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.scavengeMaxMs = Math.max(gc.scavengeMaxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });

  // Histograms in microseconds (they record positive integers).
  const wait = createHistogram();
  const latency = createHistogram();
  const us = (ms) => Math.max(1, Math.round(ms * 1000));
  let queries = false;

  // postgres.js sets `executed = true` when a query is handed to the pool, `active = true` when its
  // connection starts on it and `active = false` when it settles: accessors on the prototype see all three.
  function instrument(Query) {
    const started = Symbol('started');
    const activeValue = Symbol('active');
    const executedValue = Symbol('executed');
    Object.defineProperty(Query.prototype, 'executed', {
      configurable: true,
      get() {
        return this[executedValue];
      },
      set(value) {
        if (value && !this[executedValue]) this[started] = performance.now();
        this[executedValue] = value;
      },
    });
    Object.defineProperty(Query.prototype, 'active', {
      configurable: true,
      get() {
        return this[activeValue];
      },
      set(value) {
        const t0 = this[started];
        if (t0 !== undefined) {
          if (value && !this[activeValue]) wait.record(us(performance.now() - t0));
          if (!value && this[activeValue]) {
            latency.record(us(performance.now() - t0));
            this[started] = undefined;
          }
        }
        this[activeValue] = value;
      },
    });
    queries = true;
  }

  // The postgres.js the server's own script resolves (each checkout has its own node_modules).
  const script = process.argv[1] ? path.resolve(process.argv[1]) : process.cwd();
  for (let dir = path.dirname(script); ; dir = path.dirname(dir)) {
    const query = path.join(dir, 'node_modules', 'postgres', 'src', 'query.js');
    if (existsSync(query)) {
      const { Query } = await import(pathToFileURL(query).href);
      instrument(Query);
      break;
    }
    if (path.dirname(dir) === dir) break;
  }

  let seq = 0;
  let since = performance.now();
  process.on('SIGUSR2', () => {
    const ms = (ns) => Number((ns / 1e6).toFixed(2));
    const now = performance.now();
    const snapshot = {
      seq: ++seq,
      seconds: (now - since) / 1000,
      loopP99Ms: ms(loop.percentile(99)),
      loopMaxMs: ms(loop.max),
      gc: { ...gc, totalMs: Number(gc.totalMs.toFixed(1)) },
      queries: queries
        ? {
            count: latency.count,
            waitP50Ms: latency.count ? wait.percentile(50) / 1000 : 0,
            waitP99Ms: latency.count ? wait.percentile(99) / 1000 : 0,
            latencyP50Ms: latency.count ? latency.percentile(50) / 1000 : 0,
            latencyP99Ms: latency.count ? latency.percentile(99) / 1000 : 0,
          }
        : null,
    };
    writeFileSync(file, JSON.stringify(snapshot));
    loop.reset();
    wait.reset();
    latency.reset();
    gc = { count: 0, totalMs: 0, maxMs: 0, scavengeMaxMs: 0 };
    since = now;
  });
}
