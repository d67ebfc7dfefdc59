import { Repeater } from 'graphql-yoga';
import type { Sql } from '../db/client.js';
import { committedKillSignalIdsAbove, readKillSignals, type KillSignalRow } from '../db/kill-signals.js';
import type { Logger } from '../logger.js';
import type { PgEventTarget } from './pg-event-target.js';

const RETRY_MS = 500;

interface Subscriber {
  execIds: Set<string> | null;
  /** The id to replay after, as the agent passed it; null: no replay. */
  after: bigint | null;
  /** Signals with a higher id are still to come; null until the subscriber has joined. */
  from: bigint | null;
  /** Without after: the ids above the mark already committed when it subscribed (not its own). */
  before: Set<string> | null;
  push(row: KillSignalRow): void;
}

/**
 * Kill signals for agents. The kill_signals table is the durable record, read
 * by id; a NOTIFY only says "look again". The feed keeps a high-water mark:
 * every signal at or below it is committed and has been read (readKillSignals
 * says why none can appear there later), so each read fetches only what lies
 * above it, whatever the clocks say. The mark outlives the subscribers, and
 * the first one is taken when the server starts.
 *
 * A subscriber joins at the next read. Without `after`, the signals already
 * committed when it joins are not its own: the read lists the ids above the
 * mark that are committed (one snapshot, no lock), and the subscriber gets
 * every other signal, so also one whose transaction began before it joined
 * and committed after. With `after`, that read first replays every matching
 * signal with a higher id. Either way it then gets each later signal once, in
 * id order, on whichever instance it is connected to, also the ones committed
 * while the LISTEN connection was down, since a reconnect triggers a read too.
 */
export class KillFeed {
  private readonly subscribers = new Set<Subscriber>();
  private highWater: bigint | null = null;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  private readonly onChange = () => this.read();

  constructor(
    private readonly target: PgEventTarget,
    private readonly sql: Sql,
    private readonly log: Logger,
  ) {
    this.read();
  }

  subscribe(execIds: string[] | null, after: bigint | null = null): AsyncIterable<KillSignalRow> {
    return new Repeater<KillSignalRow>(async (push, stop) => {
      const subscriber: Subscriber = {
        execIds: execIds ? new Set(execIds) : null,
        after,
        from: null,
        before: null,
        push: (row) => void push(row),
      };
      if (this.subscribers.size === 0) this.target.addEventListener('kill_signals', this.onChange);
      this.subscribers.add(subscriber);
      this.read();
      await stop;
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.target.removeEventListener('kill_signals', this.onChange);
    });
  }

  private read(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readOnce()
      .catch((error) => {
        // 55P03: a kill transaction is still open (lock_timeout); anything else is the database.
        if ((error as { code?: string }).code !== '55P03') this.log.warn({ err: error }, 'could not read kill signals');
        // Subscribers waiting to join or to hear of a signal: try again shortly.
        setTimeout(() => this.subscribers.size > 0 && this.read(), RETRY_MS).unref();
      })
      .finally(() => {
        this.reading = null;
        if (this.readAgain) {
          this.readAgain = false;
          this.read();
        }
      });
  }

  private async readOnce(): Promise<void> {
    if (this.highWater === null) this.highWater = (await readKillSignals(this.sql, null, [])).highWater;
    const mark = this.highWater;
    const joining = [...this.subscribers].filter((s) => s.from === null);
    const replaying = joining.filter((s) => s.after !== null);
    const fresh = joining.filter((s) => s.after === null);
    // What had committed when these subscribers arrived: taken once, before the locked read (which may
    // have to wait, or fail and be retried). The mark only moves on a read that also joins them.
    const unmarked = fresh.filter((s) => s.before === null);
    if (unmarked.length > 0) {
      const before = await committedKillSignalIdsAbove(this.sql, mark);
      for (const subscriber of unmarked) subscriber.before = before;
    }
    const read = await readKillSignals(
      this.sql,
      mark,
      replaying.map((s) => ({ after: s.after!, execIds: s.execIds && [...s.execIds] })),
    );
    this.highWater = read.highWater;
    const wants = (subscriber: Subscriber, row: KillSignalRow) => !subscriber.execIds || subscriber.execIds.has(row.execId);
    for (const subscriber of this.subscribers) {
      if (subscriber.from === null) continue;
      for (const row of read.rows) if (BigInt(row.id) > subscriber.from && wants(subscriber, row)) subscriber.push(row);
      if (subscriber.from < read.highWater) subscriber.from = read.highWater;
    }
    for (const subscriber of fresh) {
      for (const row of read.rows) if (!subscriber.before!.has(row.id) && wants(subscriber, row)) subscriber.push(row);
      subscriber.from = read.highWater;
      subscriber.before = null;
    }
    replaying.forEach((subscriber, i) => {
      for (const row of read.replays[i]!) subscriber.push(row);
      subscriber.from = subscriber.after! > read.highWater ? subscriber.after! : read.highWater;
    });
  }
}
