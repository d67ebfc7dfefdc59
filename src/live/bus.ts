// The bus of the live badges' cluster (src/live/cluster.ts): the leader
// publishes each badge group's new value on it, with a version, and every
// instance announces on it the groups its subscribers want. Two
// implementations behind this one interface: PostgreSQL (src/live/pg-bus.ts,
// the default: NOTIFY and the live_values table, nothing else to run) and
// Redis (src/live/redis-bus.ts, when REDIS_URL is set: no NOTIFY and no LISTEN
// connection for values).

/**
 * The version of a published value: the leader's term (a PostgreSQL sequence,
 * taken on each election), then a counter of that leader's publications. The
 * newer version wins, so a deposed leader that publishes late (a process
 * resumed after a pause) changes nothing.
 */
export interface Version {
  term: number;
  seq: number;
}

export const newer = (a: Version, b: Version | null | undefined): boolean =>
  !b || a.term > b.term || (a.term === b.term && a.seq > b.seq);

/** One badge group's value as it travels: `value` is encodeValue's text. */
export interface Publication extends Version {
  key: string;
  value: string;
}

/** What a group is, for the leader to compute it: the badge and its arguments (src/live/badges.ts, badgeSpec). */
export interface LiveDescriptor {
  badge: string;
  args: Record<string, unknown>;
}

/**
 * add / remove: one instance's subscribers started or stopped wanting groups.
 * full: every group the instance wants (sent every LIVE_ANNOUNCE_INTERVAL, and
 * when a leader says hello); a want not refreshed for three intervals expires,
 * so a lost message heals. hello: a new leader asks every instance for its
 * full list.
 */
export type Announcement =
  | { instance: string; op: 'add' | 'full'; groups: { key: string; descriptor: LiveDescriptor }[] }
  | { instance: string; op: 'remove'; groups: { key: string }[] }
  | { instance: string; op: 'hello'; term: number };

export interface BusHandlers {
  /** Values published by a leader (possibly this instance: they come back too). */
  values(publications: Publication[]): void;
  announcement(message: Announcement): void;
  /** The bus connection came back: messages sent meanwhile are lost; read the values again, announce again. */
  reconnected(): void;
}

export interface LiveBus {
  readonly kind: 'postgres' | 'redis';
  /** Starts listening; handlers are called from then on. */
  start(handlers: BusHandlers): Promise<void>;
  /** Stores and sends values; a stored value with a newer version is kept. */
  publish(publications: Publication[]): Promise<void>;
  /** The latest stored value of each key (those with one). */
  read(keys: string[]): Promise<Publication[]>;
  announce(message: Announcement): Promise<void>;
  close(): Promise<void>;
}

/**
 * Values are JSON with their Dates kept (asOf, updatedAt): a follower executes
 * the same document on them as the leader would, and the DateTime scalar wants
 * a Date.
 */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, encoded) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : encoded;
  });
}

export function decodeValue(text: string): unknown {
  return JSON.parse(text, (_key, value) =>
    value !== null && typeof value === 'object' && typeof value.$date === 'string' && Object.keys(value).length === 1 ? new Date(value.$date) : value,
  );
}
