// deploy/grafana/opsgraph.json and deploy/prometheus/alerts.yml against a running server (src/main.ts as
// its own process, as `npm start` runs it) under load: every metric they name is on its /metrics, and
// Debian's Prometheus, scraping it every second, answers every panel's query with series. The run's
// figures are printed (and written to test/artifacts/dashboard-check.md); docs/operations.md shows one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/db/embedded.js';
import { stopProcess } from '../scripts/fleet/stop-process.js';
import { createTestDatabase, token, until } from './helpers.js';
import { startReceiver, type Receiver } from './notifications-receiver.js';
import { requireTool, skipWithout } from './prometheus-tools.js';
import { dashboard, metricNames, panelQueries, ruleQueries, substitute } from './promql.js';
import { spawnServer, type SpawnedServer } from './spawn-server.js';
import { wsClient } from './ws-client.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const ARTIFACTS = path.join(ROOT, 'test/artifacts');
/** Series that Prometheus makes itself, not the server. */
const MADE_BY_PROMETHEUS = new Set(['up']);

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let server: SpawnedServer;
let receiver: Receiver;
let subscriber: Client;
let trafficRunning = true;
let traffic: Promise<void> = Promise.resolve();
let trafficError: unknown = null;
const tokens: Record<string, string> = {};

async function gql(query: string, as: 'VIEWER' | 'OPERATOR', variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[as]}` },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

const NOTIFY = 'mutation Notify($channel: NotificationChannel!, $to: String!) { sendNotification(input: { channel: $channel, recipient: $to, subject: "disk full", body: "db-2" }) { id } }';
/** A LOG notification (sent) and a webhook to a receiver that fails it (failed, then dead). */
let notifications: [string, string][] = [];

/** Dashboards polling their badges, a scanner writing, and a caller refused now and then, until stopped. */
async function load(): Promise<void> {
  for (let round = 0; trafficRunning; round++) {
    const asks = Array.from({ length: 4 }, () => gql('query Badges { scanStats { total } failureCount(since: "15m") { count } }', 'VIEWER'));
    asks.push(gql('query Dashboard { dashboard { deadLetterCount jobsRunning jobsPending } }', 'VIEWER'));
    if (round % 5 === 0) asks.push(gql(`mutation Scan { recordScan(input: { scanType: "gate", subjectId: "s-${round}" }) { id } }`, 'OPERATOR'));
    if (round % 20 === 0) asks.push(gql('mutation Refused { recordScan(input: { scanType: "gate", subjectId: "x" }) { id } }', 'VIEWER'));
    if (round % 40 === 0) for (const [channel, to] of notifications) asks.push(gql(NOTIFY, 'OPERATOR', { channel, to }));
    await Promise.all(asks);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function metricsText(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
}

beforeAll(async () => {
  db = await createTestDatabase();
  // Every webhook fails: attempt 1 is `failed`, attempt 2 `dead` (NOTIFICATION_MAX_ATTEMPTS=2).
  receiver = await startReceiver(() => 500);
  server = await spawnServer({
    DATABASE_URL: db.url,
    NOTIFICATION_WORKER: 'on',
    EXECUTION_REAPER: 'on',
    NOTIFICATION_MAX_ATTEMPTS: '2',
    NOTIFICATION_BACKOFF_UNIT: '1s',
    NOTIFICATION_BACKOFF_CAP: '1s',
    NOTIFICATION_RETRY_INTERVAL: '1s',
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
  });
  tokens.VIEWER = await token('VIEWER');
  tokens.OPERATOR = await token('OPERATOR');
  subscriber = wsClient(server.wsUrl, tokens.VIEWER!);
  subscriber.subscribe({ query: 'subscription Live { dashboard { deadLetterCount scanStats { total } } }' }, { next: () => {}, error: () => {}, complete: () => {} });
  notifications = [['LOG', 'ops'], ['WEBHOOK', receiver.url]];
  for (const [channel, to] of notifications) expect((await gql(NOTIFY, 'OPERATOR', { channel, to })).errors).toBeUndefined();
  traffic = load().catch((error) => void (trafficError = error));
  await until(async () => /opsgraph_notification_deliveries_total\{[^}]*outcome="dead"/.test(await metricsText()), 20_000);
}, 90_000);

afterAll(async () => {
  trafficRunning = false;
  await traffic;
  await subscriber?.dispose();
  await server?.stop();
  await receiver?.close();
  await db?.drop();
});

describe('the dashboard and the alert rules on a running server', () => {
  it('name only metrics that its /metrics exports (histograms by their _bucket, _sum and _count samples)', async () => {
    const text = await metricsText();
    const exported = new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[^{ ]+/.exec(l)![0]));
    const named = new Map<string, string>();
    for (const q of panelQueries()) for (const n of metricNames(q.expr)) named.set(n, `panel "${q.panel}"`);
    for (const r of ruleQueries()) for (const n of metricNames(r.expr)) named.set(n, `alert ${r.alert}`);
    // label_values(<series selector>, <label>): the selector's metric.
    for (const v of dashboard.templating.list) {
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(v.definition ?? '')?.[1];
      if (selector) for (const n of metricNames(selector)) named.set(n, `variable ${v.name}`);
    }
    expect(named.size).toBeGreaterThan(20);
    const missing = [...named].filter(([n]) => !MADE_BY_PROMETHEUS.has(n) && !exported.has(n)).map(([n, where]) => `${n} (${where})`);
    expect(missing).toEqual([]);
  });

  it('has the datasource as a variable and an instance selector, which every panel query uses', () => {
    const names = dashboard.templating.list.map((v) => `${v.name}:${v.type}`);
    expect(names).toEqual(expect.arrayContaining(['datasource:datasource', 'instance:query']));
    for (const q of panelQueries()) {
      for (const selector of q.expr.match(/\{[^}]*\}/g) ?? ['none']) expect(selector, `${q.panel} ${q.refId}`).toContain('instance=~"$instance"');
      expect(q.expr, `${q.panel} ${q.refId}`).not.toMatch(/[a-z_]+\[/); // every selector carries {…instance…}
    }
    // Grafana's layout: unique ids, panels inside the 24-column grid, none on top of another.
    const panels = dashboard.panels as unknown as { id: number; title: string; gridPos: { x: number; y: number; w: number; h: number } }[];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const [i, a] of panels.entries()) {
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
      for (const b of panels.slice(i + 1)) {
        const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        expect(apart, `${a.title} overlaps ${b.title}`).toBe(true);
      }
    }
    const json = JSON.stringify(dashboard.panels);
    expect(json).not.toMatch(/"uid":\s*"(?!\$\{datasource\})[^"]*"/); // no datasource but the variable
  });
});

describe.skipIf(skipWithout('prometheus', 'the dashboard check against a real Prometheus'))('in a real Prometheus scraping the server every second', () => {
  let prometheus: ChildProcess;
  let api: string;
  let dir: string;
  let output = '';

  async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: any[] } };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
    return body.data.result;
  }

  beforeAll(async () => {
    const binary = requireTool('prometheus');
    dir = mkdtempSync(path.join(tmpdir(), 'opsgraph-prometheus-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: ['${path.join(ROOT, 'deploy/prometheus/alerts.yml')}']`,
        'scrape_configs:',
        `  - { job_name: opsgraph, static_configs: [{ targets: ['127.0.0.1:${server.port}'] }] }`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(binary, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prometheus.stdout!.on('data', (c) => (output += c));
    prometheus.stderr!.on('data', (c) => (output += c));
    await until(async () => {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited:\n${output}`);
      return fetch(`${api}/-/ready`).then((r) => r.ok, () => false);
    }, 30_000);
    await until(async () => (await query('up{job="opsgraph"} == 1')).length === 1, 30_000);
    // 15 scrapes under load: every 10 s rate window below holds samples from the load.
    await new Promise((r) => setTimeout(r, 15_000));
  }, 90_000);

  afterAll(async () => {
    if (prometheus) await stopProcess(prometheus, 'SIGTERM', 10_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers every panel query with series, the variables set as Grafana would set them', async () => {
    const instance = `127.0.0.1:${server.port}`;
    const jobs = await (await fetch(`${api}/api/v1/label/job/values?match[]=opsgraph_ready`)).json();
    expect(jobs.data).toEqual(['opsgraph']);
    const instances = await (await fetch(`${api}/api/v1/label/instance/values?match[]=${encodeURIComponent('opsgraph_ready{job=~"opsgraph"}')}`)).json();
    expect(instances.data).toEqual([instance]);

    const rows: string[] = ['| panel | query | series | value |', '| --- | --- | --- | --- |'];
    const empty: string[] = [];
    const totals = new Map<string, number>();
    for (const q of panelQueries()) {
      const result = await query(substitute(q.expr, { job: 'opsgraph', instance, rateInterval: '10s' }));
      if (result.length === 0) empty.push(`${q.panel} ${q.refId}: ${q.expr}`);
      totals.set(`${q.panel} ${q.refId}`, result.reduce((sum, s) => sum + (Number(s.value[1]) || 0), 0));
      const shown = result
        .map((s) => {
          const labels = Object.values(s.metric).filter((v) => v !== 'opsgraph' && v !== instance).join(' ');
          const value = Number(s.value[1]);
          return `${labels ? `${labels}: ` : ''}${Number.isFinite(value) ? Number(value.toPrecision(3)) : s.value[1]}`;
        })
        .sort()
        .slice(0, 6)
        .join('; ');
      rows.push(`| ${q.panel} | ${q.refId} | ${result.length} | ${shown}${result.length > 6 ? '; …' : ''} |`);
    }
    const table = rows.join('\n');
    console.log(`dashboard queries in Prometheus:\n${table}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'dashboard-check.md'), `${table}\n`);
    expect(empty).toEqual([]);
    expect(trafficError).toBeNull();
    // And what the load made them show.
    expect(totals.get('Operations / s A')).toBeGreaterThan(1);
    expect(totals.get('Errors by operation A')).toBeGreaterThan(0);
    expect(totals.get('WebSocket connections A')).toBe(1);
    expect(totals.get('Live subscriptions by badge A')).toBe(1);
    expect(totals.get('Live passes and recomputes / s A')).toBeGreaterThan(0);
    expect(totals.get('Dead letters A')).toBeGreaterThanOrEqual(1);
    expect(totals.get('Ready and unhandled rejections A')).toBe(1);
  });

  it('loads and evaluates every alert rule without error', async () => {
    const body = await (await fetch(`${api}/api/v1/rules?type=alert`)).json();
    const rules = body.data.groups.flatMap((g: { rules: { name: string; health: string; lastError?: string }[] }) => g.rules);
    expect(rules.map((r: { name: string }) => r.name).sort()).toEqual(ruleQueries().map((r) => r.alert).sort());
    await until(async () => {
      const again = await (await fetch(`${api}/api/v1/rules?type=alert`)).json();
      return again.data.groups.flatMap((g: any) => g.rules).every((r: any) => r.health === 'ok');
    }, 10_000);
    // A healthy instance under this load sets none of them off, not even pending (each has a `for:`,
    // so none could fire within this test; a condition true here would be a rule that misfires).
    expect((await query('ALERTS')).map((s) => s.metric.alertname)).toEqual([]);
  });
});
