// deploy/prometheus/alerts.yml: promtool's own checks and unit tests (alerts.test.yml), and what every
// rule must carry (for, severity, summary, a runbook that exists in docs/operations.md).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireTool, skipWithout } from './prometheus-tools.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RULES = path.join(ROOT, 'deploy/prometheus/alerts.yml');
const TESTS = path.join(ROOT, 'deploy/prometheus/alerts.test.yml');
const run = promisify(execFile);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: unknown[];
}

const rules: Rule[] = parse(readFileSync(RULES, 'utf8')).groups.flatMap((g: { rules: Rule[] }) => g.rules);
const unitTests: AlertTest[] = parse(readFileSync(TESTS, 'utf8')).tests.flatMap((t: { alert_rule_test: AlertTest[] }) => t.alert_rule_test);

/** GitHub's anchor of a Markdown heading. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
}

describe('the alert rules as written', () => {
  it('cover what issue 27 asks for, each with for:, a severity, a summary and a runbook in docs/operations.md', () => {
    const names = rules.map((r) => r.alert);
    for (const required of [
      'OpsgraphHighErrorRatio',
      'OpsgraphHighLatencyP99',
      'OpsgraphDeadLettersGrowing',
      'OpsgraphOutboxBehind',
      'OpsgraphListenFailing',
      'OpsgraphLivePassSlow',
      'OpsgraphUnhandledRejections',
      'OpsgraphInstanceNotReady',
    ]) expect(names).toContain(required);
    const anchors = new Set(
      readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) => anchor(line.replace(/^#+/, ''))),
    );
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      const runbook = rule.annotations?.runbook_url ?? '';
      expect(runbook, rule.alert).toMatch(/^docs\/operations\.md#/);
      expect(anchors.has(runbook.split('#')[1]!), `${rule.alert}: ${runbook} has no heading in docs/operations.md`).toBe(true);
    }
  });

  it('each alert is seen firing and, later, cleared by alerts.test.yml', () => {
    const minutes = (t: string) => Number(/^(\d+)m$/.exec(t)![1]);
    for (const rule of rules) {
      const cases = unitTests.filter((t) => t.alertname === rule.alert);
      const firing = cases.filter((t) => t.exp_alerts.length > 0).map((t) => minutes(t.eval_time));
      const quiet = cases.filter((t) => t.exp_alerts.length === 0).map((t) => minutes(t.eval_time));
      expect(firing.length, `${rule.alert} never expected to fire`).toBeGreaterThan(0);
      expect(quiet.some((q) => q > Math.min(...firing)), `${rule.alert} never expected to clear after firing`).toBe(true);
      expect(quiet.some((q) => q < Math.min(...firing)), `${rule.alert} never expected quiet before firing`).toBe(true);
    }
  });
});

describe.skipIf(skipWithout('promtool', 'promtool checks of deploy/prometheus'))('promtool', () => {
  let promtool: string;
  beforeAll(() => {
    promtool = requireTool('promtool');
  });

  it('check rules accepts alerts.yml', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', RULES]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('test rules passes: every alert fires and clears as alerts.test.yml expects', async () => {
    const { stdout } = await run(promtool, ['test', 'rules', TESTS]);
    expect(stdout).toMatch(/SUCCESS/);
  });

  it('test rules fails when an expectation is wrong (the unit tests do check something)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'opsgraph-alerts-'));
    try {
      copyFileSync(RULES, path.join(dir, 'alerts.yml'));
      const wrong = readFileSync(TESTS, 'utf8').replace('summary: "a:4000 is not ready"', 'summary: "a:4000 is fine"');
      writeFileSync(path.join(dir, 'alerts.test.yml'), wrong);
      const outcome = await run(promtool, ['test', 'rules', path.join(dir, 'alerts.test.yml')]).then(
        () => 'passed',
        (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
      );
      expect(outcome).toMatch(/FAILED[\s\S]*OpsgraphInstanceNotReady/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
