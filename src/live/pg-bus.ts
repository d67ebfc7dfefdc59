import postgres from 'postgres';
import { sessionClient } from '../db/client.js';
import type { Logger } from '../logger.js';
import { liveStatements } from '../metrics.js';
import type { Announcement, BusHandlers, LiveBus, Publication } from './bus.js';

/** The channels of the PostgreSQL bus (not topics: no badge is woken by them; test/live-topics.test.ts knows them). */
export const BUS_CHANNELS = { values: 'opsgraph_live_values', wanted: 'opsgraph_live_wanted' } as const;

/** NOTIFY's payload must be shorter than 8000 bytes; a message that would not fit leaves its value in live_values. */
const MAX_PAYLOAD = 7_900;

/**
 * The bus on PostgreSQL, the default. One statement per publishing pass
 * stores every changed value in live_values (newer versions only) and
 * NOTIFYs it: with the value inline when the message fits NOTIFY's 8000-byte
 * payload, else with only its key and version, and each instance then reads
 * the value from live_values (one statement per follower, for large values
 * only: a job list's counts, a dashboard with many windows). Announcements
 * are NOTIFYs too, split into messages that fit. Everything on
 * DATABASE_DIRECT_URL: LISTEN through a transaction pooler hears nothing.
 */
export class PgBus implements LiveBus {
  readonly kind = 'postgres' as const;
  private readonly sql: postgres.Sql;
  private handlers: BusHandlers | null = null;
  private closed = false;
  private pendingReads = new Set<string>();
  private readonly listening = new Set<'values' | 'wanted'>();
  /** Channels whose LISTEN took effect once: the next onlisten is a reconnect. */
  private readonly heard = new Set<'values' | 'wanted'>();
  private readScheduled = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    this.sql = sessionClient(url, 'opsgraph-live-bus');
  }

  /** Called again after a failure: each channel is LISTENed once. */
  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    const onlisten = (channel: 'values' | 'wanted') => () => {
      if (this.closed) return;
      if (this.heard.has(channel)) handlers.reconnected();
      this.heard.add(channel);
    };
    if (!this.listening.has('values')) {
      liveStatements.inc({ kind: 'bus' });
      await this.sql.listen(BUS_CHANNELS.values, (payload) => this.onValues(payload), onlisten('values'));
      this.listening.add('values');
    }
    if (!this.listening.has('wanted')) {
      liveStatements.inc({ kind: 'bus' });
      await this.sql.listen(BUS_CHANNELS.wanted, (payload) => this.onWanted(payload), onlisten('wanted'));
      this.listening.add('wanted');
    }
  }

  private onValues(payload: string): void {
    if (this.closed) return;
    let message: { k: string; t: number; s: number; d?: string };
    try {
      message = JSON.parse(payload);
    } catch {
      return;
    }
    if (message.d !== undefined) {
      this.handlers?.values([{ key: message.k, term: Number(message.t), seq: Number(message.s), value: message.d }]);
      return;
    }
    // Too large for the payload: read it from live_values, with any others of this wave, in one statement.
    this.pendingReads.add(message.k);
    if (this.readScheduled) return;
    this.readScheduled = true;
    setImmediate(() => {
      this.readScheduled = false;
      const keys = [...this.pendingReads];
      this.pendingReads.clear();
      this.read(keys).then(
        (publications) => publications.length > 0 && this.handlers?.values(publications),
        (error) => this.log.warn({ err: error }, 'could not read live values too large for NOTIFY'),
      );
    });
  }

  private onWanted(payload: string): void {
    if (this.closed) return;
    try {
      this.handlers?.announcement(JSON.parse(payload) as Announcement);
    } catch {
      // not ours
    }
  }

  async publish(publications: Publication[]): Promise<void> {
    if (publications.length === 0) return;
    liveStatements.inc({ kind: 'bus' });
    const rows = publications.map((p) => ({ key: p.key, term: p.term, seq: p.seq, value: p.value }));
    await this.sql`
      with input as (
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as t(key text, term bigint, seq bigint, value text)
      ), stored as (
        insert into live_values as v (key, term, seq, value, published_at)
        select key, term, seq, value, now() from input
        on conflict (key) do update
          set term = excluded.term, seq = excluded.seq, value = excluded.value, published_at = excluded.published_at
          where (v.term, v.seq) < (excluded.term, excluded.seq)
        returning key, term, seq, value
      ), messages as (
        select key, json_build_object('k', key, 't', term, 's', seq, 'd', value)::text as whole,
               json_build_object('k', key, 't', term, 's', seq)::text as bare
        from stored
      )
      select count(pg_notify('opsgraph_live_values', case when octet_length(whole) <= ${MAX_PAYLOAD} then whole else bare end))
      from messages`;
  }

  async read(keys: string[]): Promise<Publication[]> {
    if (keys.length === 0) return [];
    liveStatements.inc({ kind: 'bus' });
    const rows = await this.sql<{ key: string; term: string; seq: string; value: string }[]>`
      select key, term::text, seq::text, value from live_values where key in ${this.sql(keys)}`;
    return rows.map((row) => ({ key: row.key, term: Number(row.term), seq: Number(row.seq), value: row.value }));
  }

  async announce(message: Announcement): Promise<void> {
    for (const part of splitAnnouncement(message, MAX_PAYLOAD)) {
      liveStatements.inc({ kind: 'bus' });
      await this.sql`select pg_notify('opsgraph_live_wanted', ${part})`;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sql.end({ timeout: 1 });
  }
}

/** An announcement as NOTIFY payloads of at most `max` bytes each (a list of groups split over several). */
export function splitAnnouncement(message: Announcement, max: number): string[] {
  const whole = JSON.stringify(message);
  if (Buffer.byteLength(whole) <= max || message.op === 'hello') return [whole];
  const parts: string[] = [];
  let groups: unknown[] = [];
  const flush = () => {
    // A full list in several messages: each is an add (a full list also removes what it leaves out).
    if (groups.length > 0) parts.push(JSON.stringify({ ...message, op: 'add', groups }));
    groups = [];
  };
  const base = Buffer.byteLength(JSON.stringify({ ...message, groups: [] }));
  let size = base;
  for (const group of message.groups) {
    const length = Buffer.byteLength(JSON.stringify(group)) + 1;
    // A single group too large for one message cannot be announced here; the PostgreSQL bus then serves it
    // to its own instance only (keys are short: a badge and its arguments).
    if (base + length > max) continue;
    if (size + length > max) {
      flush();
      size = base;
    }
    groups.push(group);
    size += length;
  }
  flush();
  return parts;
}
