// Preloaded (node --require) into both servers of bench/tracing-off.ts: prom-client's event-loop-lag
// metric samples the loop on a 10 ms libuv timer, work that grows with wall time, which valgrind
// stretches by however loaded the machine is. Left disabled, the count is the requests' own work.
const perfHooks = require('node:perf_hooks');
const monitor = perfHooks.monitorEventLoopDelay;
perfHooks.monitorEventLoopDelay = (options) => {
  const histogram = monitor(options);
  histogram.enable = () => false;
  return histogram;
};

// Before each counted window bench/tracing-off.ts sends SIGUSR2: a full collection then, so every
// window starts from the same clean heap and holds the collections its own requests cause.
process.on('SIGUSR2', () => {
  globalThis.gc();
  process.stderr.write('tracing-off: collected\n');
});
