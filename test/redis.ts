// Redis runs on the machines this project is developed and tested on (127.0.0.1:6379), but
// `npm install && npm test` must pass where it does not: the Redis cases are then left out with a
// warning, except in CI (CI set), where a missing Redis fails the run.
import net from 'node:net';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || 6379), hostname);
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Whether the Redis cases run in this file. */
export async function redisAvailable(file: string): Promise<boolean> {
  if (await reachable(TEST_REDIS_URL)) return true;
  if (process.env.CI) throw new Error(`no Redis at ${TEST_REDIS_URL}: CI runs the Redis bus's tests (set TEST_REDIS_URL)`);
  console.warn(`${file}: the Redis cases are skipped: no Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL, or start one)`);
  return false;
}
