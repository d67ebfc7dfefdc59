import type { Socket } from 'node:net';
import WebSocket from 'ws';

// Live badges are written to thousands of sockets at once, and on this kind of
// machine the write system call is most of the cost (about 15 µs each on
// loopback). Going through ws.send would cost a frame build and a syscall per
// message; here a badge's payload is serialised once, the frames a socket gets
// in one publishing pass are assembled into one buffer, and every socket is
// written once when the pass ends: a dashboard's five badges are one syscall.
//
// Issue 18 asked to let ws frame the messages instead (the socket corked for
// the pass, ws.send per message, uncorked once), unless that is more than 5 %
// slower at 10 000 connections × 5 badges. It is, so the frames stay built by
// hand (bench/README.md, "Live badges at scale", 2026-12-02). Same run,
// alternating, load average 4 to 17: CPU of a pass's writing
// (bench/socket-writes.ts, 9 000 sockets, three runs) 1.74×, 1.81×, 2.09× at
// × 5 and 1.04×, 1.18×, 1.11× at × 1 (WebSocket.Sender.frame with one write
// per socket: 1.45× and 1.09×); commit-to-last-subscriber p99 (bench/subscriptions.ts,
// 4 rounds) 1.07× at 10 000 × 5 and 1.92× at 10 000 × 1, medians.

const OPEN = WebSocket.OPEN;

/** `{"id":<id>,"type":"next","payload":` — the part of a graphql-ws `next` message that is the subscriber's own. */
export function nextMessagePrefix(id: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
}

const headLength = (length: number) => (length < 126 ? 2 : length < 65_536 ? 4 : 10);

/** Writes the header of an unmasked, unfragmented text frame (RFC 6455 §5.2), as a server sends; returns its length. */
function writeHead(out: Buffer, at: number, length: number): number {
  out[at] = 0x81; // FIN, text
  if (length < 126) {
    out[at + 1] = length;
    return 2;
  }
  if (length < 65_536) {
    out[at + 1] = 126;
    out.writeUInt16BE(length, at + 2);
    return 4;
  }
  out[at + 1] = 127;
  out.writeBigUInt64BE(BigInt(length), at + 2);
  return 10;
}

/**
 * One graphql-ws connection, as live badges write to it: text frames of
 * `prefix + body` on its TCP socket. Requires a server without
 * permessage-deflate: ws then writes each of its own frames (pings, errors,
 * completes) whole and at once, so the two never interleave inside a frame.
 */
export class LiveSocket {
  /** prefix, body, prefix, body, … waiting for the end of the pass */
  parts: Buffer[] = [];
  bytes = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly socket: Socket,
  ) {}

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  queue(prefix: Buffer, body: Buffer): void {
    const length = prefix.length + body.length;
    this.parts.push(prefix, body);
    this.bytes += headLength(length) + length;
  }

  flush(): void {
    const parts = this.parts;
    const out = Buffer.allocUnsafe(this.bytes);
    let at = 0;
    for (let i = 0; i < parts.length; i += 2) {
      const prefix = parts[i]!;
      const body = parts[i + 1]!;
      at += writeHead(out, at, prefix.length + body.length);
      at += prefix.copy(out, at);
      at += body.copy(out, at);
    }
    this.parts = [];
    this.bytes = 0;
    if (this.open) this.socket.write(out);
  }
}

/**
 * The writing of live badges to sockets. During a pass (between hold and
 * release) each socket's frames wait, and release writes each socket once.
 * Outside a pass (a subscriber joining, results that resolve after the pass
 * released, as a ×5 dashboard's do) the frames of one tick wait for the end
 * of the tick: written one by one, a dashboard's five badges cost five write
 * system calls per socket, and the fan-out bench's p99 at 10 000 × 5 was 1.7×
 * that of batching them (bench/README.md, issue 18).
 */
export class SocketWrites {
  private holding = false;
  private flushQueued = false;
  private readonly pending = new Set<LiveSocket>();

  write(socket: LiveSocket, prefix: Buffer, body: Buffer): void {
    if (!socket.open) return;
    socket.queue(prefix, body);
    this.pending.add(socket);
    if (!this.holding && !this.flushQueued) {
      this.flushQueued = true;
      // A nextTick queued from a promise callback runs once the promise queue is empty: every
      // frame that resolves in this wave joins the one write.
      process.nextTick(() => this.flush());
    }
  }

  /** Holds every write until release(). */
  hold(): void {
    this.holding = true;
  }

  /** Writes each socket that got frames since hold(), once. */
  release(): void {
    this.holding = false;
    this.flush();
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.holding) return;
    for (const socket of this.pending) socket.flush();
    this.pending.clear();
  }
}
