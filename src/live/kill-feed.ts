import { Repeater } from 'graphql-yoga';
import type { Sql } from '../db/client.js';
import { committedKillSignalIdsAbove, readKillSignals, type KillSignalRow } from '../db/kill-signals.js';
import type { Logger } from '../logger.js';
import type { PgEventTarget } from './pg-event-target.js';
import type { Topic } from './topics.js';

/** What wakes the feed (src/live/topics.ts). */
const TOPIC: Topic = 'kill_signals';

const RETRY_MS = 500;
/** Allowance for the server's and the database's clocks, used only for a subscriber that joined during an outage. */
const SKEW_MS = 1_000;

interface Subscriber {
  execIds: Set<string> | null;
  /** The id to replay after, as the agent passed it; null: no replay. */
  after: bigint | null;
  /** Signals with a higher id are still to come; null until the subscriber has joined. */
  from: bigint | null;
  /** Without after: the ids above the mark already committed when it subscribed (not its own). */
  before: Set<string> | null;
  /** When it subscribed (this server's clock). */
  joinedAt: number;
  /** Its `before` could not be read when it subscribed (the database was out of reach). */
  late: boolean;
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
 *
 * A subscriber that joins while the database cannot be read (an outage: a
 * read fails, or answers only after more than SKEW_MS) has
 * its `before` taken only once the database answers, by which time signals
 * requested after it subscribed may have committed: those it still gets, told
 * apart by their requested_at (with SKEW_MS of allowance for the clocks).
 * Agents that must miss nothing pass `after` (examples/agent.ts).
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
        joinedAt: Date.now(),
        late: false,
        push: (row) => void push(row),
      };
      if (this.subscribers.size === 0) this.target.addEventListener(TOPIC, this.onChange);
      this.subscribers.add(subscriber);
      this.read();
      await stop;
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.target.removeEventListener(TOPIC, this.onChange);
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
        // Whoever is still waiting for its `before` will get it late (see the class comment).
        for (const subscriber of this.subscribers) if (subscriber.after === null && subscriber.before === null) subscriber.late = true;
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
      const takenAt = Date.now();
      for (const subscriber of unmarked) {
        subscriber.before = before;
        // A read can also wait through an outage instead of failing (a paused database, a pool
        // reconnecting): then `before` was taken long after the subscriber arrived and may hold
        // signals requested since. It is late as surely as if the read had failed.
        if (takenAt - subscriber.joinedAt > SKEW_MS) subscriber.late = true;
      }
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
    const after = (subscriber: Subscriber, row: KillSignalRow) =>
      !subscriber.before!.has(row.id) || (subscriber.late && row.requestedAt.getTime() >= subscriber.joinedAt - SKEW_MS);
    for (const subscriber of fresh) {
      for (const row of read.rows) if (after(subscriber, row) && wants(subscriber, row)) subscriber.push(row);
      subscriber.from = read.highWater;
      subscriber.before = null;
    }
    replaying.forEach((subscriber, i) => {
      for (const row of read.replays[i]!) subscriber.push(row);
      subscriber.from = subscriber.after! > read.highWater ? subscriber.after! : read.highWater;
    });
  }
}
