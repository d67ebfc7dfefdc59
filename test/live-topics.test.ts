import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUS_CHANNELS } from '../src/live/pg-bus.js';
import { PROBES } from '../src/live/probes.js';
import { channelOf, TOPICS, topicsWaking, type LiveSubscription, type Topic } from '../src/live/topics.js';
import { schema } from '../src/schema/index.js';

// The topic catalogue (src/live/topics.ts) against what actually sends
// NOTIFYs: the migrations in sql/ and any SQL in src/. Reads the files, so a
// new pg_notify, trigger or topic that is not in the catalogue fails here.

const root = join(import.meta.dirname, '..');

function files(dir: string, ext: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(ext))
    .map((name) => join(dir, name));
}

/** SQL without its `--` comments, TypeScript without its own (a comment may well mention NOTIFY). */
const withoutComments = (sql: string) => sql.replace(/--[^\n]*/g, '');
const withoutTsComments = (ts: string) => ts.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');

interface Notify {
  file: string;
  /** The channel, or null when it is computed (only the shapes below are understood). */
  channel: string | null;
  text: string;
}

/** Every NOTIFY in a text: pg_notify(<channel>, …), NOTIFY <channel>, and calls of the trigger function opsgraph_notify_change('<topic>'). */
function notifies(file: string, text: string): Notify[] {
  const found: Notify[] = [];
  for (const m of text.matchAll(/pg_notify\s*\(\s*([^,]+),/gi)) {
    const literal = /^'([a-z0-9_]+)'$/i.exec(m[1]!.trim());
    found.push({ file, channel: literal ? literal[1]! : null, text: m[0] });
  }
  for (const m of text.matchAll(/\bnotify\s+([a-z0-9_]+)/gi)) found.push({ file, channel: m[1]!, text: m[0] });
  for (const m of text.matchAll(/opsgraph_notify_change\s*\(\s*'([a-z0-9_]+)'\s*\)/gi)) {
    found.push({ file, channel: `opsgraph_${m[1]}`, text: m[0] });
  }
  return found;
}

const sqlNotifies = files('sql', '.sql').flatMap((file) => notifies(file, withoutComments(readFileSync(join(root, file), 'utf8'))));
const srcNotifies = files('src', '.ts').flatMap((file) => notifies(file, withoutTsComments(readFileSync(join(root, file), 'utf8'))));
const topics = Object.keys(TOPICS) as Topic[];
const byChannel = new Map(topics.map((topic) => [channelOf(topic), topic]));

describe('the topic catalogue', () => {
  it('finds the NOTIFYs it checks (the parser is not blind)', () => {
    expect(sqlNotifies.length).toBeGreaterThanOrEqual(6);
    expect(sqlNotifies.map((n) => n.file)).toContain('sql/00050_change_capture.sql');
    expect(srcNotifies.map((n) => n.text).join()).toContain('heartbeatChannel');
    expect(notifies('x', "NOTIFY opsgraph_x; select pg_notify('opsgraph_y', '')").map((n) => n.channel)).toEqual(['opsgraph_y', 'opsgraph_x']);
  });

  it('lists every channel the SQL of sql/ notifies, in the migrations that notify it', () => {
    for (const notify of sqlNotifies) {
      // The one computed channel allowed: the trigger function whose argument is the topic (its calls are checked).
      if (notify.channel === null) {
        expect(notify.text, `${notify.file}: a NOTIFY on a computed channel`).toMatch(/'opsgraph_'\s*\|\|\s*tg_argv\[0\]/);
        continue;
      }
      const topic = byChannel.get(notify.channel);
      expect(topic, `${notify.file} notifies ${notify.channel}, which src/live/topics.ts does not list`).toBeDefined();
      const spec = TOPICS[topic!];
      expect('notifiedBy' in spec && (spec.notifiedBy as readonly string[]).includes(notify.file), `${notify.file} is not among ${topic}'s notifiedBy`).toBe(true);
    }
  });

  it('has every notified topic notified by each migration it names, and every polled one by none, with a probe', () => {
    for (const topic of topics) {
      const spec = TOPICS[topic];
      const where = new Set(sqlNotifies.filter((n) => n.channel === channelOf(topic)).map((n) => n.file));
      if ('notifiedBy' in spec) expect([...where].sort(), topic).toEqual([...spec.notifiedBy].sort());
      else {
        expect([...where], `${topic} is polled, yet notified`).toEqual([]);
        expect(PROBES[topic as keyof typeof PROBES], `${topic} has no probe`).toBeTypeOf('function');
      }
    }
  });

  it('knows every NOTIFY sent from src/ (none but the LISTEN heartbeat and the live bus, which no subscription hears)', () => {
    for (const notify of srcNotifies) {
      if (notify.channel === null && notify.file === join('src', 'live', 'pg-event-target.ts')) {
        expect(notify.text).toContain('heartbeatChannel');
        continue;
      }
      // "NOTIFY never reaches …" in a log message is prose, not a statement.
      if (/^notify\s/i.test(notify.text) && !notify.channel?.startsWith('opsgraph_')) continue;
      // The cluster's bus (src/live/pg-bus.ts): values and announcements, not topics.
      if (notify.file === join('src', 'live', 'pg-bus.ts')) {
        expect(Object.values(BUS_CHANNELS) as string[]).toContain(notify.channel);
        continue;
      }
      expect(byChannel.get(notify.channel ?? ''), `${notify.file}: ${notify.text}`).toBeDefined();
    }
  });

  it('wakes only subscriptions the schema has, and every live subscription is woken by some topic', () => {
    const fields = schema.getSubscriptionType()!.getFields();
    const woken = new Set(topics.flatMap((topic) => TOPICS[topic].wakes as readonly string[]));
    for (const name of woken) expect(fields[name], name).toBeDefined();
    for (const name of Object.keys(fields)) {
      expect(topicsWaking(name as LiveSubscription).length, `nothing wakes Subscription.${name}`).toBeGreaterThan(0);
    }
  });
});
