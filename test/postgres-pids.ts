import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The postmaster of the cluster in `dataDirectory` and every backend it forked: SIGSTOP on all of
 * them is a database that hangs without a reset (a paused VM, a frozen disk).
 */
export async function postgresPids(dataDirectory: string): Promise<number[]> {
  const postmaster = Number((await readFile(path.join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => pid > 0);
  return [postmaster, ...children];
}
