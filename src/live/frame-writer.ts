import type { Socket } from 'node:net';
import WebSocket from 'ws';

// Live badges are written to thousands of sockets at once, and on this kind of
// machine the write system call is most of the cost (about 15 µs each on
// loopback). Going through ws.send would cost a frame build and a syscall per
// message; here a badge's payload is serialised once, the frames a socket gets
// in one publishing pass are assembled into one buffer, and every socket is
// written once when the pass ends: a dashboard's five badges are one syscall.

const OPEN = WebSocket.OPEN;
const pending: FrameWriter[] = [];

function flushAll(): void {
  for (const writer of pending.splice(0)) writer.flush();
}

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
 * Writes text frames of `prefix + body` to one WebSocket's TCP socket, all
 * the frames of a tick in one write at the end of the tick. Requires a server
 * without permessage-deflate: ws then writes each of its own frames (pings,
 * errors, completes) whole and at once, so the two never interleave inside a
 * frame. A message ws sends later in the same tick goes out first; graphql-ws
 * never sends one that must follow a live badge's `next` (it completes a
 * badge subscription only when the client ends it).
 */
export class FrameWriter {
  /** prefix, body, prefix, body, … waiting for the end of the tick */
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
  ) {}

  write(prefix: Buffer, body: Buffer): void {
    if (this.ws.readyState !== OPEN) return;
    if (this.parts.length === 0 && pending.push(this) === 1) process.nextTick(flushAll);
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
    parts.length = 0;
    this.bytes = 0;
    if (this.ws.readyState === OPEN) this.socket.write(out);
  }
}
