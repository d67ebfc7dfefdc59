import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { LiveSocket, nextMessagePrefix, SocketWrites } from '../src/live/socket-writes.js';

// A socket that counts its writes (the system calls a pass costs); nothing here touches a database.
function countingSocket() {
  const writes: Buffer[] = [];
  const live = new LiveSocket({ readyState: 1 } as WebSocket, { write: (b: Buffer) => writes.push(b) } as unknown as Socket);
  return { live, writes };
}
const body = (n: number) => Buffer.from(`{"data":{"failureCount":{"count":${n}}}}}`);

describe('SocketWrites', () => {
  it('a pass writes each socket once, however many of its badges changed', () => {
    const writes = new SocketWrites();
    const { live, writes: sent } = countingSocket();
    writes.hold();
    for (let i = 0; i < 5; i++) writes.write(live, nextMessagePrefix(String(i)), body(i));
    expect(sent).toHaveLength(0);
    writes.release();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.toString()).toContain('"id":"4"');
  });

  it('results that resolve after the pass (a dashboard of five badges) leave in one write per socket', async () => {
    const writes = new SocketWrites();
    const { live, writes: sent } = countingSocket();
    writes.hold();
    writes.release();
    // Five results resolving in one wave of promise callbacks, as the fan-out delivers late results.
    await Promise.all([0, 1, 2, 3, 4].map((i) => Promise.resolve().then(() => writes.write(live, nextMessagePrefix(String(i)), body(i)))));
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    // Five whole text frames (FIN + text opcode) in that one write.
    const frames = sent[0]!.reduce((n, byte, at, all) => n + (byte === 0x81 && (at === 0 || all[at - 1] === 0x7d) ? 1 : 0), 0);
    expect(frames).toBe(5);
  });
});
