import type { ChildProcess } from 'node:child_process';

/**
 * Sends `signal` (after SIGCONT: a paused process, as tests make them, must wake to hear it) and
 * resolves once the process has exited, sending SIGKILL if it is still there after `killAfterMs`.
 */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
