// postgres.js 3.4.9 (and 3.4.10) buffers a small write and flushes it from a setImmediate. When the
// socket closes around that flush, two things go wrong (porsager/postgres#1066, #1154, #1208; the fix
// is not released on the 3.x line). patches/postgres+3.4.9.patch mends both; these tests fail without it.
// Sockets are opened here (postgres.js's `socket` option) so that a test can close them at will, as a
// restarted PostgreSQL or PgBouncer closes every connection of a pool at once.
import net from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './helpers.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** A pool whose sockets the test holds: `open` lists the ones not yet closed. */
function poolWithSockets(max: number) {
  const url = new URL(db.url);
  const open: net.Socket[] = [];
  // `socket` is in postgres.js's documentation but not in its types.
  const options = {
    max,
    prepare: false,
    connect_timeout: 3,
    onnotice: () => {},
    socket: () => {
      const socket = net.connect(Number(url.port), url.hostname);
      open.push(socket);
      socket.once('close', () => open.splice(open.indexOf(socket), 1));
      return socket;
    },
  };
  const sql = postgres(db.url, options as postgres.Options<{}>);
  return { sql, open };
}

const codeOf = (error: unknown) => (error as { code?: string }).code;

describe('postgres.js when a socket closes around a buffered write', () => {
  it('a query on a reserved connection whose socket has closed is rejected, and the process lives on', async () => {
    // Unpatched, the write's setImmediate called null.write: an uncaught TypeError that ended the process
    // (an instance behind PgBouncer died that way at start in CI).
    const { sql, open } = poolWithSockets(1);
    try {
      const reserved = await sql.reserve();
      await reserved`select 1`;
      const closed = new Promise((r) => open[0]!.once('close', r));
      open[0]!.destroy();
      await closed;
      const error = await reserved`select 2`.then(
        () => null,
        (e: unknown) => e,
      );
      expect(codeOf(error)).toBe('CONNECTION_CLOSED');
      await new Promise((r) => setTimeout(r, 50)); // an immediate left behind would have fired by now
      reserved.release();
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('a connection that closed while a query was being written connects again and answers', async () => {
    // Both sockets close in one turn of the event loop. The first close rejects its query, and the retry
    // is written to the second connection just before its own close arrives. Unpatched, that close left
    // the unsent bytes and the flush timer behind: the connection's next StartupMessage was queued after
    // them and never sent, so it timed out on every reconnect, for good.
    const { sql, open } = poolWithSockets(2);
    try {
      await Promise.all([sql`select pg_sleep(0.05)`, sql`select pg_sleep(0.05)`]); // two connections, both idle
      expect(open).toHaveLength(2);
      let retried: Promise<unknown> | null = null;
      const first = sql`select pg_sleep(5)`.catch((error: unknown) => {
        retried = sql`select 'retry'`.catch((e: unknown) => e);
        return error;
      });
      await new Promise((r) => setTimeout(r, 100)); // the sleep is on the wire
      for (const socket of [...open]) socket.destroy();
      expect(codeOf(await first)).toBe('CONNECTION_CLOSED');
      await new Promise((r) => setTimeout(r, 20));
      expect(retried).not.toBeNull();
      await retried;
      // Every connection must come back: four queries at once need both of them.
      const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => sql`select ${i}::int as i, pg_sleep(0.05)`));
      expect(answers.map(([row]) => row!.i)).toEqual([0, 1, 2, 3]);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
