import postgres from 'postgres';
import { sessionClient } from '../db/client.js';
import type { Logger } from '../logger.js';
import { liveLeader, liveStatements } from '../metrics.js';

/** The session advisory lock of the live badges' leader: 'opsg' as a bigint (pg_locks: classid 0, objid 0x6f707367). */
export const LEADER_LOCK = 0x6f707367;

export interface LeaderOptions {
  /** DATABASE_DIRECT_URL: a session of its own (a transaction pooler would hand the lock to whoever comes next). */
  url: string;
  /** This instance, as live_leader and the logs name it. */
  instance: string;
  log: Logger;
  /** LIVE_LEADER_TIMEOUT: a heartbeat older than this deposes the leader; beats and checks run 4 times as often. */
  timeoutMs: number;
  /** Called with the new term on election, and with null on stepping down. */
  onChange(term: number | null): void;
  /** Whether this instance may lead now: not when its LISTEN connection hears no NOTIFY (a transaction pooler). */
  eligible?: () => boolean;
}

/**
 * `promise`, or a rejection when it has not settled `ms` after the call. A busy
 * event loop (a pass writing 10 000 sockets, thousands of connections opening)
 * runs an overdue timer before it reads the answer already waiting on the
 * socket: the deadline is checked only after the poll phase has read it
 * (setImmediate), or a leader would step down for its own CPU work.
 */
const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => setImmediate(() => settled || reject(new Error(`no answer within ${ms} ms`))), ms);
    promise.then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });

/**
 * The election of the live badges' leader: whoever holds the session advisory
 * lock LEADER_LOCK on the direct connection leads. Any instance can lead.
 *
 * - Every instance tries the lock every timeout/4 while it does not lead; the
 *   winner takes a new term from the live_leader_terms sequence and writes it,
 *   its backend pid and a heartbeat to live_leader.
 * - The leader beats every timeout/4 on the same session: an UPDATE that must
 *   find its own term and pid. A beat that fails, finds another term or pid
 *   (the connection was replaced, so the lock is gone) or gets no answer within
 *   the timeout makes it step down: it drops that session and competes again.
 * - A leader that dies (kill -9, its connection cut) releases the lock with
 *   its session. One that stops beating while its session lives on (a paused
 *   process) is deposed: the instance that finds its heartbeat older than the
 *   timeout terminates the lock holder's backend (pg_terminate_backend, which
 *   the same database role may do), and takes the lock on its next try.
 */
export class LeaderElection {
  private client: postgres.Sql | null = null;
  private term: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private closed = false;
  private readonly tickMs: number;

  constructor(private readonly options: LeaderOptions) {
    this.tickMs = Math.max(50, Math.floor(options.timeoutMs / 4));
  }

  get leading(): boolean {
    return this.term !== null;
  }

  get currentTerm(): number | null {
    return this.term;
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  private connect(): postgres.Sql {
    return sessionClient(this.options.url, `opsgraph-leader:${this.options.instance}`);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      if (this.options.eligible && !this.options.eligible()) {
        if (this.term !== null) this.stepDown('its LISTEN connection hears no NOTIFY');
        else this.dropSession();
        return;
      }
      if (this.term === null) await this.compete();
      else await this.beat();
    } catch (error) {
      this.options.log.debug({ err: error }, 'live leader election: the database did not answer');
      if (this.term !== null) this.stepDown('its heartbeat failed');
      else this.dropSession();
    } finally {
      this.busy = false;
    }
  }

  private async compete(): Promise<void> {
    const sql = (this.client ??= this.connect());
    const limit = this.options.timeoutMs * 2;
    liveStatements.inc({ kind: 'election' });
    const [row] = await withTimeout(
      sql<{ got: boolean; ageMs: number | null }[]>`
        select pg_try_advisory_lock(${LEADER_LOCK}::bigint) as got,
               (select (extract(epoch from clock_timestamp() - beat_at) * 1000)::float8 from live_leader) as "ageMs"`,
      limit,
    );
    if (this.closed) return;
    if (row!.got) {
      liveStatements.inc({ kind: 'election' });
      const [elected] = await withTimeout(
        sql<{ term: string }[]>`
          insert into live_leader (id, term, instance, pid, beat_at)
          values (true, nextval('live_leader_terms'), ${this.options.instance}, pg_backend_pid(), clock_timestamp())
          on conflict (id) do update
            set term = excluded.term, instance = excluded.instance, pid = excluded.pid, beat_at = excluded.beat_at
          returning term::text`,
        limit,
      );
      if (this.closed) return;
      this.term = Number(elected!.term);
      liveLeader.set(1);
      this.options.log.info({ term: this.term, instance: this.options.instance }, 'this instance now leads the live badges');
      this.options.onChange(this.term);
      return;
    }
    if (row!.ageMs !== null && row!.ageMs > this.options.timeoutMs) {
      liveStatements.inc({ kind: 'election' });
      const terminated = await withTimeout(
        sql<{ pid: number }[]>`
          select pid, pg_terminate_backend(pid) from pg_locks
          where locktype = 'advisory' and classid = 0 and objid = ${LEADER_LOCK} and objsubid = 1 and granted
            and pid <> pg_backend_pid()`,
        limit,
      );
      if (terminated.length > 0) {
        this.options.log.warn({ pids: terminated.map((t) => t.pid), heartbeatAgeMs: Math.round(row!.ageMs) }, 'deposed a live badges leader whose heartbeat stopped');
        // Its backend exits at once: try for the lock again without waiting for the next tick.
        setTimeout(() => void this.tick(), 20).unref();
      }
    }
  }

  private async beat(): Promise<void> {
    const sql = this.client!;
    const term = this.term!;
    liveStatements.inc({ kind: 'election' });
    const rows = await withTimeout(
      sql`update live_leader set beat_at = clock_timestamp() where term = ${term} and pid = pg_backend_pid() returning 1`,
      this.options.timeoutMs,
    );
    if (this.term !== term) return;
    if (rows.length === 0) this.stepDown('its lock session was replaced or another instance leads');
  }

  private stepDown(reason: string): void {
    const term = this.term;
    this.term = null;
    liveLeader.set(0);
    this.dropSession();
    if (term !== null) {
      this.options.log.warn({ term, reason }, 'this instance no longer leads the live badges');
      this.options.onChange(null);
    }
  }

  /** Ends the session (and with it the lock, if the server still sees it); the next try opens a new one. */
  private dropSession(): void {
    const old = this.client;
    this.client = null;
    void old?.end({ timeout: 0 }).catch(() => {});
  }

  /** Another leader with a higher term was seen on the bus: this one is deposed, whatever its session says. */
  yieldTo(term: number): void {
    if (this.term !== null && term > this.term) this.stepDown(`a leader with term ${term} publishes`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const was = this.term;
    this.term = null;
    if (was !== null) liveLeader.set(0);
    const client = this.client;
    this.client = null;
    // Ending the session releases the lock: a follower takes over at its next try.
    await client?.end({ timeout: 1 }).catch(() => {});
  }
}
