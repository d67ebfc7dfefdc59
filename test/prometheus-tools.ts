// Debian's `prometheus` package (promtool and the prometheus server) for the tests of deploy/prometheus
// and deploy/grafana. CI installs it (.ci/run) and there a missing binary fails; elsewhere the tests that
// need it are skipped with a warning, as test/browser.test.ts does without Chromium.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const DIRECTORIES = (process.env.PATH ?? '').split(path.delimiter);

/** The path of `name`, or null when it is not installed. */
export function prometheusTool(name: 'promtool' | 'prometheus'): string | null {
  for (const dir of DIRECTORIES) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return null;
}

/** Whether tests that need `name` are skipped here (warning once); never in CI, where their beforeAll fails instead. */
export function skipWithout(name: 'promtool' | 'prometheus', what: string): boolean {
  if (prometheusTool(name) !== null || process.env.CI) return false;
  console.warn(`${what} skipped: ${name} is missing (apt-get install -y prometheus); CI installs it and runs them`);
  return true;
}

/** The tool's path, or the error a CI run fails with. */
export function requireTool(name: 'promtool' | 'prometheus'): string {
  const file = prometheusTool(name);
  if (file === null) throw new Error(`${name} is missing: install Debian's prometheus package (apt-get install -y prometheus; .ci/run does)`);
  return file;
}
