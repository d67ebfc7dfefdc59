import { Repeater } from 'graphql-yoga';
import type { Sql } from '../db/client.js';
import { killSignalsSince, type KillSignalRow } from '../db/kill-signals.js';
import type { Logger } from '../logger.js';
import type { PgEventTarget } from './pg-event-target.js';

// requested_at is the kill transaction's start, which can precede its commit:
// each read looks back this far and drops what a subscriber already has.
const LOOKBACK_MS = 30_000;
// Clock skew allowed between this server and the database.
const SKEW_MS = 1_000;

interface Subscriber {
  execIds: Set<string> | null;
  since: number;
  delivered: Map<string, number>;
  push(row: KillSignalRow): void;
}

/**
 * Kill signals for agents. The kill_signals table is the durable record; a
 * NOTIFY only says "look again". Each subscriber receives every signal for its
 * executions that was requested after it subscribed, exactly once, on whichever
 * instance it is connected to — also the ones committed while the LISTEN
 * connection was down, since a reconnect triggers a read too.
 */
export class KillFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readFrom: Date | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private readonly onChange = () => this.read();

  constructor(
    private readonly target: PgEventTarget,
    private readonly sql: Sql,
    private readonly log: Logger,
  ) {}

  subscribe(execIds: string[] | null): AsyncIterable<KillSignalRow> {
    return new Repeater<KillSignalRow>(async (push, stop) => {
      const subscriber: Subscriber = {
        execIds: execIds ? new Set(execIds) : null,
        since: Date.now() - SKEW_MS,
        delivered: new Map(),
        push: (row) => void push(row),
      };
      this.subscribers.add(subscriber);
      if (this.subscribers.size === 1) {
        this.target.addEventListener('kill_signals', this.onChange);
        this.read();
      }
      await stop;
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) {
        this.target.removeEventListener('kill_signals', this.onChange);
        this.readFrom = null;
      }
    });
  }

  private read(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readOnce()
      .catch((error) => this.log.warn({ err: error }, 'could not read kill signals'))
      .finally(() => {
        this.reading = null;
        if (this.readAgain) {
          this.readAgain = false;
          this.read();
        }
      });
  }

  private async readOnce(): Promise<void> {
    // The first read starts from the earliest subscriber: if it fails (the database is down), the
    // signals requested until a read succeeds are still delivered, not taken for the past.
    const earliest = Math.min(...[...this.subscribers].map((subscriber) => subscriber.since));
    const from = this.readFrom ?? (Number.isFinite(earliest) ? new Date(earliest) : null);
    const { rows, now } = await killSignalsSince(this.sql, from);
    this.readFrom = new Date(now.getTime() - LOOKBACK_MS);
    const forget = now.getTime() - 2 * LOOKBACK_MS;
    for (const subscriber of this.subscribers) {
      for (const row of rows) {
        if (row.requestedAt.getTime() < subscriber.since) continue;
        if (subscriber.execIds && !subscriber.execIds.has(row.execId)) continue;
        if (subscriber.delivered.has(row.id)) continue;
        subscriber.delivered.set(row.id, row.requestedAt.getTime());
        subscriber.push(row);
      }
      for (const [id, at] of subscriber.delivered) if (at < forget) subscriber.delivered.delete(id);
    }
  }
}
