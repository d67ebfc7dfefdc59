// The settings a fleet adds (issue 25): DATABASE_DIRECT_URL, DATABASE_PREPARED_STATEMENTS and SHUTDOWN_DRAIN.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const DB = 'postgres://opsgraph@db.internal:5432/opsgraph';
const POOLER = 'postgres://opsgraph@pgbouncer.internal:6432/opsgraph';

describe('DATABASE_DIRECT_URL', () => {
  it('defaults to none (DATABASE_URL serves LISTEN too)', () => {
    expect(loadConfig({ DATABASE_URL: DB }).databaseDirectUrl).toBeNull();
    expect(loadConfig({ DATABASE_URL: POOLER, DATABASE_DIRECT_URL: DB }).databaseDirectUrl).toBe(DB);
  });

  it('without DATABASE_URL is a ConfigError that names both', () => {
    expect(() => loadConfig({ DATABASE_DIRECT_URL: DB })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_DIRECT_URL: DB })).toThrow(/DATABASE_DIRECT_URL needs DATABASE_URL/);
  });

  it('must be a postgres URL', () => {
    expect(() => loadConfig({ DATABASE_URL: POOLER, DATABASE_DIRECT_URL: 'not a url' })).toThrow(/DATABASE_DIRECT_URL must be a URL/);
    expect(() => loadConfig({ DATABASE_URL: POOLER, DATABASE_DIRECT_URL: 'http://db.internal/' })).toThrow(/DATABASE_DIRECT_URL must be a postgres: or postgresql: URL/);
  });
});

describe('DATABASE_PREPARED_STATEMENTS', () => {
  const prepared = (env: Record<string, string>) => loadConfig(env).databasePreparedStatements;

  it('auto (the default): on with one URL, or a direct URL equal to it; off when DATABASE_DIRECT_URL differs (DATABASE_URL is a pooler)', () => {
    expect(prepared({})).toBe(true);
    expect(prepared({ DATABASE_URL: DB })).toBe(true);
    expect(prepared({ DATABASE_URL: DB, DATABASE_DIRECT_URL: DB })).toBe(true);
    expect(prepared({ DATABASE_URL: POOLER, DATABASE_DIRECT_URL: DB })).toBe(false);
    expect(prepared({ DATABASE_URL: POOLER, DATABASE_DIRECT_URL: DB, DATABASE_PREPARED_STATEMENTS: 'auto' })).toBe(false);
    expect(prepared({ DATABASE_URL: DB, DATABASE_PREPARED_STATEMENTS: 'AUTO' })).toBe(true);
  });

  it('on and off override auto either way, in any of the usual spellings', () => {
    for (const on of ['on', 'true', '1', 'yes', 'ON']) expect(prepared({ DATABASE_URL: POOLER, DATABASE_DIRECT_URL: DB, DATABASE_PREPARED_STATEMENTS: on }), on).toBe(true);
    // A pooler without a direct URL (LISTEN through it is deaf: test/fleet/live-through-pooler.test.ts) needs off by hand.
    for (const off of ['off', 'false', '0', 'no', 'Off']) expect(prepared({ DATABASE_URL: POOLER, DATABASE_PREPARED_STATEMENTS: off }), off).toBe(false);
  });

  it('anything else is a ConfigError that says what it takes', () => {
    for (const bad of ['maybe', 'disabled', '2']) {
      expect(() => loadConfig({ DATABASE_URL: DB, DATABASE_PREPARED_STATEMENTS: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ DATABASE_URL: DB, DATABASE_PREPARED_STATEMENTS: bad })).toThrow(/DATABASE_PREPARED_STATEMENTS must be auto, on or off/);
    }
  });
});

describe('SHUTDOWN_DRAIN', () => {
  it('defaults to 5 s, long enough for a balancer that checks every second and marks an instance down after 2 failures', () => {
    expect(loadConfig({}).shutdownDrainMs).toBe(5000);
    expect(loadConfig({ SHUTDOWN_DRAIN: '' }).shutdownDrainMs).toBe(5000);
  });

  it('takes a duration, and 0 for no drain', () => {
    expect(loadConfig({ SHUTDOWN_DRAIN: '2s' }).shutdownDrainMs).toBe(2000);
    expect(loadConfig({ SHUTDOWN_DRAIN: '500ms' }).shutdownDrainMs).toBe(500);
    expect(loadConfig({ SHUTDOWN_DRAIN: '1m' }).shutdownDrainMs).toBe(60_000);
    expect(loadConfig({ SHUTDOWN_DRAIN: '0' }).shutdownDrainMs).toBe(0);
  });

  it('anything else is a ConfigError naming the setting', () => {
    for (const bad of ['soon', '-1s', '5 seconds', 's']) {
      expect(() => loadConfig({ SHUTDOWN_DRAIN: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ SHUTDOWN_DRAIN: bad }), bad).toThrow(/SHUTDOWN_DRAIN must be a positive duration/);
    }
  });

  it('leaves SHUTDOWN_TIMEOUT (what may follow the drain) at 10 s', () => {
    expect(loadConfig({ SHUTDOWN_DRAIN: '2s' }).shutdownTimeoutMs).toBe(10_000);
  });
});

describe('LIVE_LEADER', () => {
  it('auto (the default): on with DATABASE_URL, off with the embedded PostgreSQL, which one process serves', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db/ops' }).live.leader).toBe(true);
    expect(loadConfig({}).live.leader).toBe(false);
    expect(loadConfig({ LIVE_LEADER: 'on' }).live.leader).toBe(true);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/ops', LIVE_LEADER: 'off' }).live.leader).toBe(false);
    expect(() => loadConfig({ LIVE_LEADER: 'sometimes' })).toThrow(ConfigError);
  });
});
