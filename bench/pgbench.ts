// pgbench on opsgraph's SQL: the database's own ceiling for a badge, with no
// HTTP and no Node at all. Latency percentiles come from pgbench's
// per-transaction log.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LoadResult } from './load.js';
import { percentile } from './lib.js';

const run = promisify(execFile);

/** pgbench on PATH, else PostgreSQL 15's; null where there is none. */
export async function findPgbench(): Promise<string | null> {
  const onPath = await run('pgbench', ['--version']).then(() => 'pgbench', () => null);
  if (onPath) return onPath;
  const debian = '/usr/lib/postgresql/15/bin/pgbench';
  return existsSync(debian) ? debian : null;
}

/** One timed pgbench run of `script` from `clients` connections, prepared statements. */
export async function pgbench(binary: string, url: string, script: string, clients: number, seconds: number): Promise<LoadResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-pgbench-'));
  try {
    await writeFile(path.join(dir, 'script.sql'), script);
    const { stdout } = await run(
      binary,
      ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-l', '--log-prefix', path.join(dir, 'log'), '-f', path.join(dir, 'script.sql'), url],
      { maxBuffer: 1 << 24 },
    );
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    // Each log line: client transaction latency_us script epoch_s epoch_us.
    const latencies: number[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.startsWith('log'))) {
      for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
        const micros = Number(line.split(' ')[2]);
        if (Number.isFinite(micros)) latencies.push(micros / 1000);
      }
    }
    return { rps: tps, p50: percentile(latencies, 50), p99: percentile(latencies, 99), requests: latencies.length, failures: failed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
