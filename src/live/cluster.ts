import type { Services } from '../context.js';
import type { Logger } from '../logger.js';
import { livePublications } from '../metrics.js';
import { badgeSpec } from './badges.js';
import { decodeValue, encodeValue, newer, type Announcement, type LiveBus, type LiveDescriptor, type Publication, type Version } from './bus.js';
import type { LeaderElection } from './leader.js';
import type { ClusterLink, LiveQueries, LiveSpec } from './live-queries.js';

interface Want {
  descriptor: LiveDescriptor;
  /** The instances that want it, each until when (refreshed by their full lists). */
  instances: Map<string, number>;
}

/**
 * One instance's part in computing the live badges once per cluster (issue 28).
 *
 * - Every instance announces on the bus the groups (badge and arguments) its
 *   subscribers want: on the first subscriber and after the last, and its full
 *   list every LIVE_ANNOUNCE_INTERVAL and whenever a new leader says hello. Every
 *   instance keeps the cluster's wants, so whoever is elected knows them at once;
 *   a want not refreshed for three intervals expires.
 * - The leader (src/live/leader.ts) computes every wanted group, its own and the
 *   others', from the topics as a standalone instance does, and publishes each
 *   new value with a version (its term, then a counter). On election it
 *   publishes every group's value at once, changed or not.
 * - A follower runs no badge statement but a new group's first value (through
 *   shared reads): it applies the leader's values, newer versions only, through
 *   the same pass as the leader's (LiveQueries.apply: each socket written once).
 *   After a bus reconnect it reads the latest stored values and announces again.
 */
export class LiveCluster implements ClusterLink {
  private term: number | null = null;
  private seq = 0;
  /** The highest term seen: a publication from an older one comes from a deposed leader. */
  private highestTerm = 0;
  /** The newest version applied, per group this instance wants. */
  private readonly versions = new Map<string, Version>();
  private readonly wants = new Map<string, Want>();
  private pendingAdds = new Map<string, LiveDescriptor>();
  private pendingRemoves = new Set<string>();
  private flushQueued = false;
  private timer: NodeJS.Timeout | null = null;
  closed = false;

  constructor(
    private readonly options: {
      instance: string;
      live: LiveQueries;
      bus: LiveBus;
      election: LeaderElection;
      /** The live pool's services, with which the leader computes other instances' groups. */
      services: Services;
      log: Logger;
      announceMs: number;
    },
  ) {}

  get leading(): boolean {
    return this.term !== null;
  }

  /**
   * Takes part in the election at once, and listens on the bus as soon as it
   * answers: a bus that is down at start (Redis restarting) is tried again with
   * backoff, and meanwhile a leader computes for its own subscribers and its
   * publications are sent again until they go through.
   */
  async start(): Promise<void> {
    const { bus, election, announceMs, log } = this.options;
    this.timer = setInterval(() => this.tick(), announceMs);
    this.timer.unref();
    election.start();
    for (let failures = 0; !this.closed; failures++) {
      try {
        await bus.start({
          values: (publications) => this.receive(publications),
          announcement: (message) => this.onAnnouncement(message),
          reconnected: () => void this.resync(),
        });
        break;
      } catch (error) {
        if (this.closed) return;
        const retryInMs = Math.min(5_000, 250 * 2 ** failures);
        log.warn({ err: error, retryInMs }, 'the live badges bus does not answer; trying again');
        await new Promise((resolve) => setTimeout(resolve, retryInMs).unref());
      }
    }
    if (this.closed) return;
    this.announce({ instance: this.options.instance, op: 'full', groups: this.fullList() });
    void this.resync();
  }

  // ClusterLink: called by LiveQueries.

  wanted(spec: LiveSpec<any>): void {
    if (!spec.descriptor) return;
    this.pendingRemoves.delete(spec.key);
    this.pendingAdds.set(spec.key, spec.descriptor);
    this.queueFlush();
  }

  unwanted(key: string): void {
    this.versions.delete(key);
    if (this.pendingAdds.delete(key)) return;
    this.pendingRemoves.add(key);
    this.queueFlush();
  }

  publish(values: { key: string; value: unknown }[]): void {
    const term = this.term;
    if (term === null) return;
    const publications: Publication[] = values.map(({ key, value }) => ({ key, term, seq: ++this.seq, value: encodeValue(value) }));
    livePublications.inc({ direction: 'sent' }, publications.length);
    this.options.bus.publish(publications).catch((error) => {
      // The followers missed these: send each group again (its value then, changed or not) shortly.
      this.options.log.warn({ err: error, groups: publications.length }, 'could not publish live values; publishing again');
      setTimeout(() => {
        if (this.term === term) this.options.live.republish(values.map((v) => v.key));
      }, 500).unref();
    });
  }

  /** Adds and removes of one tick, in one message each. */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      const { instance } = this.options;
      if (this.pendingAdds.size > 0) {
        const groups = [...this.pendingAdds].map(([key, descriptor]) => ({ key, descriptor }));
        this.pendingAdds = new Map();
        this.announce({ instance, op: 'add', groups });
      }
      if (this.pendingRemoves.size > 0) {
        const groups = [...this.pendingRemoves].map((key) => ({ key }));
        this.pendingRemoves = new Set();
        this.announce({ instance, op: 'remove', groups });
      }
    });
  }

  private announce(message: Announcement): void {
    if (this.closed) return;
    // Our own wants count for us at once (we may lead, or come to).
    this.onAnnouncement(message, true);
    this.options.bus.announce(message).catch((error) => this.options.log.debug({ err: error }, 'could not announce live groups'));
  }

  private fullList(): { key: string; descriptor: LiveDescriptor }[] {
    return this.options.live.wantedSpecs().flatMap((spec) => (spec.descriptor ? [{ key: spec.key, descriptor: spec.descriptor }] : []));
  }

  /** Every interval: the full list (which heals a lost message), and wants that were not refreshed expire. */
  private tick(): void {
    this.announce({ instance: this.options.instance, op: 'full', groups: this.fullList() });
    const now = Date.now();
    for (const [key, want] of this.wants) {
      for (const [instance, until] of want.instances) if (until < now) want.instances.delete(instance);
      if (want.instances.size === 0) this.forget(key);
    }
  }

  private forget(key: string): void {
    this.wants.delete(key);
    if (this.term !== null) this.options.live.unretain(key);
  }

  private onAnnouncement(message: Announcement, own = false): void {
    if (this.closed) return;
    if (message.instance === this.options.instance && !own) return;
    if (message.op === 'hello') {
      if (this.term !== null && message.term > this.term) this.options.election.yieldTo(message.term);
      this.highestTerm = Math.max(this.highestTerm, message.term);
      this.announce({ instance: this.options.instance, op: 'full', groups: this.fullList() });
      return;
    }
    if (message.op === 'remove') {
      for (const { key } of message.groups) {
        const want = this.wants.get(key);
        if (!want) continue;
        want.instances.delete(message.instance);
        if (want.instances.size === 0) this.forget(key);
      }
      return;
    }
    const until = Date.now() + 3 * this.options.announceMs;
    const listed = new Set<string>();
    for (const { key, descriptor } of message.groups) {
      listed.add(key);
      let want = this.wants.get(key);
      if (!want) {
        want = { descriptor, instances: new Map() };
        this.wants.set(key, want);
      }
      want.instances.set(message.instance, until);
      if (this.term !== null) this.retain(key, descriptor);
    }
    // A full list also says what the instance no longer wants.
    if (message.op === 'full') {
      for (const [key, want] of this.wants) {
        if (!listed.has(key) && want.instances.delete(message.instance) && want.instances.size === 0) this.forget(key);
      }
    }
  }

  private retain(key: string, descriptor: LiveDescriptor): void {
    try {
      const spec = badgeSpec(this.options.services, descriptor);
      if (spec.key !== key) throw new Error(`it makes the group ${spec.key}`);
      this.options.live.retain(spec);
    } catch (error) {
      this.options.log.warn({ err: error, key }, 'an announced live group cannot be computed here; ignored');
      this.wants.delete(key);
    }
  }

  private receive(publications: Publication[]): void {
    if (this.closed) return;
    const apply: { key: string; value: unknown }[] = [];
    for (const publication of publications) {
      if (this.term !== null) {
        // Our own publications come back; a higher term means this instance was deposed.
        if (publication.term > this.term) this.options.election.yieldTo(publication.term);
        else continue;
      }
      if (publication.term < this.highestTerm || !newer(publication, this.versions.get(publication.key))) {
        livePublications.inc({ direction: 'stale' });
        continue;
      }
      this.highestTerm = publication.term;
      this.versions.set(publication.key, { term: publication.term, seq: publication.seq });
      livePublications.inc({ direction: 'received' });
      try {
        apply.push({ key: publication.key, value: decodeValue(publication.value) });
      } catch (error) {
        this.options.log.warn({ err: error, key: publication.key }, 'an unreadable live value on the bus; ignored');
      }
    }
    if (apply.length > 0) this.options.live.apply(apply);
  }

  /** Leadership changed (the election's onChange). */
  elected(term: number | null): void {
    if (this.closed) return;
    const { live, instance } = this.options;
    if (term === null) {
      this.term = null;
      live.setComputing(false);
      return;
    }
    this.term = term;
    this.seq = 0;
    this.highestTerm = Math.max(this.highestTerm, term);
    this.versions.clear();
    live.setComputing(true);
    for (const [key, want] of this.wants) this.retain(key, want.descriptor);
    this.options.bus.announce({ instance, op: 'hello', term }).catch((error) => this.options.log.debug({ err: error }, 'could not say hello'));
  }

  /** After the bus reconnected: what was published meanwhile is read back, and our wants announced again. */
  private async resync(): Promise<void> {
    if (this.closed) return;
    this.announce({ instance: this.options.instance, op: 'full', groups: this.fullList() });
    if (this.term !== null) return;
    const keys = this.options.live.wantedSpecs().map((spec) => spec.key);
    try {
      this.receive(await this.options.bus.read(keys));
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not read the live values back after the bus reconnected');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.options.election.close();
    await this.options.bus.close();
  }
}
