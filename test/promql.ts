// The PromQL of deploy/grafana/opsgraph.json and deploy/prometheus/alerts.yml, for the tests that
// check it against a server's /metrics and a real Prometheus (test/dashboard.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface Panel {
  type: string;
  title: string;
  targets?: { refId: string; expr: string }[];
  panels?: Panel[];
}

export const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/opsgraph.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
};

/** Every query of every panel (rows' panels too). */
export function panelQueries(): PanelQuery[] {
  const all = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...all(p.panels ?? [])]);
  return all(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })));
}

/** Every alert rule's expression. */
export function ruleQueries(): { alert: string; expr: string }[] {
  const file = parse(readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return file.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions, keywords,
 * label names (in `{…}`, `by (…)`, `on (…)`, …), ranges, durations or numbers.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[a-zA-Z_:][\w:]*/gi)) {
    const token = match[0];
    if (/^\d/.test(token) || KEYWORDS.has(token.toLowerCase())) continue;
    if (/^\s*\(/.test(bare.slice(match.index! + token.length))) continue; // a function
    names.add(token);
  }
  return [...names];
}

/** A dashboard expression as Grafana sends it, with its variables set. */
export function substitute(expr: string, vars: { job: string; instance: string; rateInterval: string }): string {
  return expr
    .replaceAll('$__rate_interval', vars.rateInterval)
    .replaceAll('$job', vars.job)
    .replaceAll('$instance', vars.instance);
}
