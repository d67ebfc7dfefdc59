// What the dashboard's browser tests share: Debian's Chromium driven by
// playwright-core (no browser is downloaded), signing in, polling, and axe-core.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const chromiumMissing = !existsSync(CHROMIUM);
/** In CI the tests must run: .ci/run installs Chromium, and a missing one fails in launchChromium. */
export const skipBrowser = chromiumMissing && !process.env.CI;
if (skipBrowser) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium); CI installs it and runs them`);

/** Generous: the machine may be busy. */
export const WAIT = { timeout: 20_000 };

export interface Browser {
  context: BrowserContext;
  /** What the pages' Content-Security-Policy blocked, as Chromium reported it on their consoles. */
  cspViolations: string[];
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  if (chromiumMissing) throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium (.ci/run does)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(path.join(tmpdir(), 'opsgraph-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const cspViolations: string[] = [];
  context.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(`${message.location().url}: ${message.text()}`);
  });
  return {
    context,
    cspViolations,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the page with nothing stored, and signs in from the keyboard. */
export async function openSignedIn(context: BrowserContext, origin: string, bearer: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(`${origin}/`, WAIT);
  await page.evaluate(() => localStorage.clear());
  await page.reload(WAIT);
  await page.getByLabel('Bearer token').fill(bearer);
  await page.getByLabel('Bearer token').press('Enter');
  return page;
}

/** Polls what `read` answers until the assertion holds (Playwright's own expect is not vitest's). */
export const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { ...WAIT, interval: 100 });
export const text = (page: Page, selector: string) => () => page.locator(selector).first().textContent();
export const state = (page: Page) => () => page.locator('#connection').getAttribute('data-state');
export const count = (page: Page, selector: string) => () => page.locator(selector).count();

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, which the
 * page's CSP does not govern) and returns the serious and critical violations.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const { violations, checked } = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return {
      violations: result.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => ({ target: n.target })) })) as AxeViolation[],
      checked: [...result.passes, ...result.incomplete, ...result.violations].map((r: any) => r.id) as string[],
    };
  });
  // A run that checked nothing would pass too: the colours and names must have been looked at.
  for (const rule of ['color-contrast', 'button-name']) if (!checked.includes(rule)) throw new Error(`axe-core did not run ${rule}`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
