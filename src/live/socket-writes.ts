import type { Socket } from 'node:net';
import WebSocket from 'ws';

// Live badges are written to thousands of sockets at once, and on this kind of
// machine the write system call is most of the cost (about 15 µs each on
// loopback). So a badge's payload is serialised once per group (src/live/fanout.ts),
// and during a pass each socket is corked: ws frames every message as usual
// (ws.send), the frames wait in the socket, and uncorking at the end of the
// pass writes them in one system call: a dashboard's five badges are one write.
// Measured against hand-built frames assembled into one buffer per socket
// (bench/README.md, "Live badges at scale", issue 18).

const OPEN = WebSocket.OPEN;
/** A text frame, as graphql-ws sends its own messages. */
const TEXT = { binary: false };

/** `{"id":<id>,"type":"next","payload":` — the part of a graphql-ws `next` message that is the subscriber's own. */
export function nextMessagePrefix(id: string): Buffer {
  return Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
}

/** One graphql-ws connection, as live badges write to it. */
export class LiveSocket {
  /** Corked by the pass under way. */
  corked = false;

  constructor(
    readonly ws: WebSocket,
    /** The TCP socket under `ws`. */
    readonly socket: Socket,
  ) {}

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  /** One `next` message: the subscriber's prefix and the group's payload. */
  send(prefix: Buffer, body: Buffer): void {
    this.ws.send(Buffer.concat([prefix, body], prefix.length + body.length), TEXT);
  }
}

/**
 * The writing of live badges to sockets. During a pass (between hold and
 * release) every socket written to stays corked, and release uncorks each
 * once: one write per socket per pass. Outside a pass (a subscriber joining,
 * a result that resolved late) a message leaves at once. Messages keep their
 * order with graphql-ws's own on the same socket: all go through ws.send.
 */
export class SocketWrites {
  private holding = false;
  private readonly corked: LiveSocket[] = [];

  write(socket: LiveSocket, prefix: Buffer, body: Buffer): void {
    if (!socket.open) return;
    if (this.holding && !socket.corked) {
      socket.socket.cork();
      socket.corked = true;
      this.corked.push(socket);
    }
    socket.send(prefix, body);
  }

  /** Holds every write until release(). */
  hold(): void {
    this.holding = true;
  }

  /** Writes each socket that got messages since hold(), once. */
  release(): void {
    this.holding = false;
    for (const socket of this.corked) {
      socket.corked = false;
      socket.socket.uncork();
    }
    this.corked.length = 0;
  }
}
