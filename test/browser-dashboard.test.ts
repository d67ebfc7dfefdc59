// The dashboard page (issue 30) in a real Chromium: the failure chart, the
// live job list with Kill and Delete, controls by role, the signed-out states,
// keyboard use, 375 px, and axe-core in both colour schemes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.js';
import { ARTIFACTS, WAIT, axeViolations, count, eventually, launchChromium, openSignedIn, skipBrowser, state, text, type Browser } from './browser-kit.js';
import { TEST_SECRET, token, useTestApp } from './helpers.js';
import { wsClient } from './ws-client.js';

describe.skipIf(skipBrowser)('the dashboard page in Chromium', () => {
  const server = useTestApp();
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    browser = await launchChromium();
    origin = new URL(server.url).origin;
  }, 60_000);
  afterAll(() => browser?.close());

  /** An operation over real HTTP, as another client sends it; fails the test on any error. */
  async function call(query: string, variables: Record<string, unknown>, role: Role) {
    const result = await server.gql(query, variables, role);
    expect(result.errors).toBeUndefined();
    return result.data!;
  }
  const open = async (role: Role, viewport?: { width: number; height: number }) => openSignedIn(browser.context, origin, await token(role), viewport);
  const recordFailure = (kind: string, occurredAt?: string) =>
    call('mutation($input: RecordOrchestratorEventInput!) { recordOrchestratorEvent(input: $input) { id } }', { input: { kind, success: false, detail: 'browser test', occurredAt } }, 'OPERATOR');
  const upsertJob = (id: string) => call('mutation($id: ID!) { upsertJob(input: { id: $id, version: "1.0", description: "browser test" }) { id } }', { id }, 'ADMIN');
  const startExecution = async (jobId: string, targetCount: number) =>
    (await call('mutation($jobId: ID!, $n: Int!) { startExecution(input: { jobId: $jobId, targetCount: $n }) { id } }', { jobId, n: targetCount }, 'OPERATOR')).startExecution.id as string;
  const report = (execId: string, agentId: string, success: boolean) =>
    call('mutation($input: ExecutionResultInput!) { reportExecutionResult(input: $input) { status } }', { input: { execId, agentId, success } }, 'OPERATOR');
  const cell = (page: Page, jobId: string, column: 'running' | 'pending') => text(page, `tr[data-job="${jobId}"] [data-testid="${column}"]`);
  const chartBars = (page: Page, kind: string) => count(page, `#failure-chart rect.k-${kind}`);

  it('says the catalogue is empty and points to npm run seed; measures sign-in to live numbers and the assets loaded', async () => {
    const page = await browser.context.newPage();
    const assets = new Map<string, Buffer>();
    page.on('response', async (response) => {
      const url = new URL(response.url());
      if (url.origin === origin && (url.pathname === '/' || url.pathname.startsWith('/assets/')) && response.ok()) assets.set(url.pathname, await response.body());
    });
    await page.goto(`${origin}/`, WAIT);
    await page.evaluate(() => localStorage.clear());
    await page.reload(WAIT);
    await page.getByLabel('Bearer token').fill(await token('VIEWER'));
    await page.getByLabel('Bearer token').press('Enter');
    await eventually(text(page, '#connection')).toBe('Live');
    await page.locator('#jobs-empty').waitFor({ state: 'visible', ...WAIT });
    expect(await text(page, '#jobs-empty')()).toContain('npm run seed');
    await page.locator('#scans-empty').waitFor({ state: 'visible', ...WAIT });
    await eventually(text(page, '#chart-empty')).toBe('No failures in the last hour.');

    // The keyboard focus moves on from the form, which is gone, to the dashboard.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('failures-heading');

    // performance.measure is taken when the dashboard, the failure series and the job counts have all arrived.
    const measure = async () => page.evaluate(() => performance.getEntriesByName('opsgraph:sign-in-to-live')[0]?.duration ?? null);
    const timings: number[] = [];
    for (let i = 0; i < 5; i++) {
      if (i > 0) {
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByLabel('Bearer token').fill(await token('VIEWER'));
        await page.getByLabel('Bearer token').press('Enter');
      }
      await eventually(measure).not.toBeNull();
      timings.push(Math.round((await measure())!));
    }
    const signInToLive = { median: [...timings].sort((a, b) => a - b)[2], max: Math.max(...timings) };

    const own = [...assets].filter(([name]) => !name.startsWith('/assets/vendor/'));
    const vendor = [...assets].filter(([name]) => name.startsWith('/assets/vendor/'));
    const size = (files: [string, Buffer][]) => ({
      files: files.length,
      bytes: files.reduce((sum, [, body]) => sum + body.length, 0),
      gzip: files.reduce((sum, [, body]) => sum + gzipSync(body, { level: 9 }).length, 0),
    });
    const figures = { signInToLiveMs: signInToLive, own: size(own), vendor: size(vendor), ownFiles: own.map(([name, body]) => [name, body.length, gzipSync(body, { level: 9 }).length]) };
    console.log('dashboard page figures', JSON.stringify(figures));
    writeFileSync(path.join(ARTIFACTS, 'dashboard-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
    // Every module of the page was loaded from this server, and they stay small (the README states the figures).
    expect(own.map(([name]) => name)).toEqual(expect.arrayContaining(['/', '/assets/app.js', '/assets/chart.js', '/assets/jobs.js', '/assets/style.css']));
    expect(figures.own.gzip).toBeLessThan(20_000);
    await page.close();
  });

  it('draws failures stacked by kind, with the exact total, and redraws as failures are recorded through the API', async () => {
    const page = await open('OPERATOR');
    await eventually(text(page, '#failure-count')).toBe('0');
    expect(await count(page, '#failure-chart rect')()).toBe(0);

    await recordFailure('TRAFFIC');
    await recordFailure('TRAFFIC');
    await recordFailure('EMAIL');
    await eventually(text(page, '#failure-count')).toBe('3');
    await eventually(text(page, '#legend-traffic')).toBe('2');
    expect(await text(page, '#legend-email')()).toBe('1');
    expect(await text(page, '#legend-file')()).toBe('0');
    expect(await chartBars(page, 'traffic')()).toBeGreaterThan(0);
    expect(await chartBars(page, 'email')()).toBeGreaterThan(0);
    expect(await chartBars(page, 'file')()).toBe(0);
    expect(await page.locator('#chart-empty').isHidden()).toBe(true);
    expect(await text(page, '#chart-summary')()).toContain('3 failures in the last hour: 2 traffic, 0 file, 1 e-mail');
    expect(await page.locator('#failure-chart').getAttribute('role')).toBe('img');

    // Three hours ago: outside the hour, inside the day, in an earlier bar.
    await recordFailure('FILE', new Date(Date.now() - 3 * 3600_000).toISOString());
    await page.getByLabel('Window').selectOption('24h');
    await eventually(text(page, '#failure-count')).toBe('4');
    expect(await count(page, '#failure-chart g')()).toBe(2);
    expect(await chartBars(page, 'file')()).toBe(1);

    // The same numbers as a table, for screen readers and the curious: its totals add up to the badge.
    await page.getByText('The chart as a table').click();
    const cells = await page.locator('#chart-rows tr td:last-child').allTextContents();
    expect(cells.length).toBeGreaterThanOrEqual(48);
    expect(cells.reduce((sum, cell) => sum + Number(cell), 0)).toBe(4);
    await recordFailure('FILE');
    await eventually(async () => (await page.locator('#chart-rows tr td:last-child').allTextContents()).reduce((sum, cell) => sum + Number(cell), 0)).toBe(5);
    await page.close();
  });

  it("raises a job's running count after startExecution and lowers it after a Kill from the page", async () => {
    await upsertJob('patch.apply');
    const page = await open('OPERATOR');
    await eventually(cell(page, 'patch.apply', 'running')).toBe('0');
    expect(await text(page, '#jobs-hint')()).toBe('Deleting a job needs the ADMIN role.');
    expect(await page.getByRole('button', { name: 'Delete patch.apply' }).count()).toBe(0);

    const execId = await startExecution('patch.apply', 2);
    await eventually(cell(page, 'patch.apply', 'pending')).toBe('1');
    await report(execId, 'agent-1', true);
    await eventually(cell(page, 'patch.apply', 'running')).toBe('1');
    expect(await cell(page, 'patch.apply', 'pending')()).toBe('0');
    await eventually(text(page, '#jobs-running')).toBe('1');

    // An agent of the job: it stops what it is told to, and reports the execution failed.
    const agent = wsClient(server.wsUrl, await token('OPERATOR', 'agent-2'));
    const signals: string[] = [];
    // `after: "0"` replays what was signalled before the subscription was in place: no race with the click.
    const stop = agent.subscribe(
      { query: 'subscription($execId: ID!) { killSignals(execIds: [$execId], after: "0") { execId } }', variables: { execId } },
      {
        next: ({ data }) => {
          const signalled = (data as any).killSignals.execId as string;
          signals.push(signalled);
          void report(signalled, 'agent-2', false);
        },
        error: () => {},
        complete: () => {},
      },
    );
    try {
      const kill = page.getByRole('button', { name: 'Kill patch.apply' });
      await kill.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Kill patch.apply?' });
      await dialog.waitFor(WAIT);
      expect(await dialog.textContent()).toContain('1 running, 0 pending');
      // Cancel has the focus: Enter alone would not kill anything. Tab moves to Kill.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await eventually(text(page, '#jobs-action')).toBe('Kill signal sent to 1 execution of patch.apply.');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Kill patch.apply');
      await eventually(async () => signals).toEqual([execId]);
      await eventually(cell(page, 'patch.apply', 'running')).toBe('0');
      await eventually(text(page, '#jobs-running')).toBe('0');
    } finally {
      stop();
      await agent.dispose();
    }
    const [audit] = await server.sql`select actor from audit_log where action = 'killJob' and target = 'patch.apply'`;
    expect(audit?.actor).toBe('test-operator');
    await page.close();
  });

  it('deletes a job for an ADMIN, naming the schedules of a refused delete', async () => {
    await upsertJob('logs.rotate');
    await call('mutation { upsertSchedule(input: { id: "hourly-logs", jobId: "logs.rotate", cron: "5 * * * *" }) { id } }', {}, 'ADMIN');
    const page = await open('ADMIN');
    const remove = page.getByRole('button', { name: 'Delete logs.rotate' });
    await remove.click(WAIT);
    await page.getByRole('dialog', { name: 'Delete logs.rotate?' }).getByRole('button', { name: 'Delete' }).click();
    await eventually(text(page, '#jobs-action')).toBe('Could not delete logs.rotate: schedule “hourly-logs” still runs it. Delete or repoint that schedule first.');
    expect(await page.locator('tr[data-job="logs.rotate"]').count()).toBe(1);

    // Cancelling (Escape) leaves it alone.
    await remove.click();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden', ...WAIT });

    await call('mutation { deleteSchedule(id: "hourly-logs") }', {}, 'ADMIN');
    await remove.click();
    await page.getByRole('dialog', { name: 'Delete logs.rotate?' }).getByRole('button', { name: 'Delete' }).click();
    await eventually(text(page, '#jobs-action')).toBe('Deleted logs.rotate.');
    await eventually(count(page, 'tr[data-job="logs.rotate"]')).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('jobs-heading');
    expect((await call('{ job(id: "logs.rotate") { id } }', {}, 'VIEWER')).job).toBeNull();
    await page.close();
  });

  it('shows a VIEWER no kill, delete or rebalance controls, and each higher role only its own', async () => {
    await upsertJob('certs.renew');
    const viewer = await open('VIEWER');
    await eventually(count(viewer, 'tr[data-job="certs.renew"]')).toBe(1);
    expect(await viewer.getByRole('button', { name: /^(Kill|Delete|Rebalance)/ }).count()).toBe(0);
    expect(await viewer.locator('#rebalance-panel').isHidden()).toBe(true);
    expect(await viewer.locator('#jobs-actions-heading').isHidden()).toBe(true);
    expect(await text(viewer, '#jobs-hint')()).toBe('Killing a job needs the OPERATOR role; deleting one needs ADMIN.');
    await viewer.close();

    for (const [role, kill, remove, rebalance] of [
      ['OPERATOR', 1, 0, false],
      ['ADMIN', 1, 1, false],
      ['SUPERADMIN', 1, 1, true],
    ] as const) {
      const page = await open(role);
      await eventually(count(page, 'tr[data-job="certs.renew"]')).toBe(1);
      expect(await page.getByRole('button', { name: 'Kill certs.renew' }).count(), role).toBe(kill);
      expect(await page.getByRole('button', { name: 'Delete certs.renew' }).count(), role).toBe(remove);
      expect(await page.locator('#rebalance-panel').isVisible(), role).toBe(rebalance);
      await page.close();
    }
  });

  it('signs out with its message when the token expires while live, and when a stored token has expired', async () => {
    const page = await openSignedIn(browser.context, origin, await token('VIEWER', 'short-lived', 3));
    await eventually(text(page, '#connection')).toBe('Live');
    await eventually(text(page, '#connection')).toBe('Signed out: your token has expired. Paste a new one below.');
    expect(await state(page)()).toBe('signed-out');
    expect(await page.getByLabel('Bearer token').isVisible()).toBe(true);
    expect(await page.locator('#sign-out').isVisible()).toBe(false);
    expect(await text(page, '#failure-count')()).toBe('–');
    await page.close();

    const expired = await new SignJWT({ roles: ['viewer'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('yesterday')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_SECRET));
    const stored = await browser.context.newPage();
    await stored.goto(`${origin}/`, WAIT);
    await stored.evaluate((value) => localStorage.setItem('opsgraph.token', value), expired);
    await stored.reload(WAIT);
    await eventually(text(stored, '#connection')).toBe('Signed out: your token has expired. Paste a new one below.');
    expect(await state(stored)()).toBe('signed-out');
    await stored.close();
  });

  it('says "offline" when the browser loses the network, and goes live again when it is back', async () => {
    const page = await open('VIEWER');
    await eventually(text(page, '#connection')).toBe('Live');
    await browser.context.setOffline(true);
    try {
      await eventually(state(page)).toBe('offline');
      expect(await text(page, '#connection')()).toMatch(/^Offline/);
    } finally {
      await browser.context.setOffline(false);
    }
    await eventually(text(page, '#connection')).toBe('Live');
    await recordFailure('FILE');
    await eventually(text(page, '#announcer')).toMatch(/failures in the last hour/);
    await page.close();
  });

  it('announces live numbers politely: one sentence, not one per change', async () => {
    const page = await open('VIEWER');
    await eventually(text(page, '#announcer')).toMatch(/failures in the last hour.* Jobs: \d+ running, \d+ pending\. \d+ dead letters?\.$/);
    expect(await page.locator('#announcer').getAttribute('aria-live')).toBe('polite');
    // The numbers themselves are not live regions: only the throttled sentence is.
    expect(await count(page, 'main [aria-live]')()).toBe(0);
    await page.evaluate(() => {
      (window as any).__spoken = 0;
      new MutationObserver(() => (window as any).__spoken++).observe(document.getElementById('announcer')!, { childList: true, characterData: true, subtree: true });
    });
    const before = Number(await text(page, '#failure-count')());
    for (let i = 1; i <= 3; i++) {
      await recordFailure('TRAFFIC');
      await eventually(text(page, '#failure-count')).toBe(String(before + i));
    }
    // Three changes on screen within a few seconds; at most one (throttled) announcement.
    expect(await page.evaluate(() => (window as any).__spoken)).toBeLessThanOrEqual(1);
    await page.close();
  });

  it('is reachable by keyboard: Tab gets to the window, the chart table, the job actions and sign out', async () => {
    await upsertJob('certs.renew');
    const page = await open('SUPERADMIN');
    await eventually(count(page, 'tr[data-job] button')).toBeGreaterThan(0);
    await page.locator('.skip').focus(); // the first stop
    const reached = new Set<string>();
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const name = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el ? el.id || el.getAttribute('aria-label') || el.textContent?.trim() || el.tagName : '';
      });
      reached.add(name);
    }
    for (const name of ['sign-out', 'window', 'The chart as a table', 'jobs-table', 'Kill certs.renew', 'Delete certs.renew', 'rebalance']) expect([...reached], name).toContain(name);
    await page.close();
  });

  it('fits 375 px without sideways scrolling', async () => {
    await upsertJob('certs.renew');
    const page = await open('SUPERADMIN', { width: 375, height: 812 });
    await eventually(count(page, 'tr[data-job] button')).toBeGreaterThan(0);
    await eventually(text(page, '#failure-count')).toMatch(/^\d+$/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    const box = await page.getByRole('button', { name: 'Kill certs.renew' }).boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-375.png'), fullPage: true });
    await page.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe-core violations in the ${colorScheme} scheme: signed out, live, and confirming`, async () => {
      const signedOut = await browser.context.newPage();
      await signedOut.emulateMedia({ colorScheme });
      await signedOut.goto(`${origin}/`, WAIT);
      await signedOut.evaluate(() => localStorage.clear());
      await signedOut.reload(WAIT);
      await eventually(state(signedOut)).toBe('signed-out');
      expect(await axeViolations(signedOut)).toEqual([]);
      await signedOut.close();

      await upsertJob('certs.renew');
      await recordFailure('EMAIL');
      await call('mutation($input: RecordScanInput!) { recordScan(input: $input) { id } }', { input: { scanType: 'malware', subjectId: 'host-1' } }, 'OPERATOR');
      await server.sql`insert into notifications (channel, recipient, subject, body, status, retry_count, last_error) values ('LOG', 'ops', 'Backup failed', '-', 'DEAD', 5, 'HTTP 503')`;
      const page = await openSignedIn(browser.context, origin, await token('SUPERADMIN'));
      await page.emulateMedia({ colorScheme });
      await eventually(count(page, 'tr[data-job] button')).toBeGreaterThan(0);
      await eventually(count(page, '#dead-list li')).toBeGreaterThan(0);
      await eventually(count(page, '#failure-chart rect')).toBeGreaterThan(0);
      await page.getByText('The chart as a table').click();
      expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(colorScheme === 'dark');
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${colorScheme}.png`), fullPage: true });

      await page.getByRole('button', { name: 'Kill certs.renew' }).click();
      await page.getByRole('dialog').waitFor(WAIT);
      expect(await axeViolations(page)).toEqual([]);
      await page.keyboard.press('Escape');
      await page.close();
    });
  }

  // Last: the thousand jobs would stretch the other tests' pages.
  it('keeps 1 000 jobs live over one subscription, and updates only the row that changed', async () => {
    const page = await browser.context.newPage();
    const subscribes: string[] = [];
    page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload));
        if (message.type === 'subscribe') subscribes.push(/subscription (\w+)/.exec(message.payload.query)?.[1] ?? '?');
      }),
    );
    await page.goto(`${origin}/`, WAIT);
    await page.evaluate(() => localStorage.clear());
    await page.reload(WAIT);
    subscribes.length = 0; // the first load signed in with the token an earlier test left
    await page.getByLabel('Bearer token').fill(await token('VIEWER'));
    await page.getByLabel('Bearer token').press('Enter');
    await eventually(text(page, '#connection')).toBe('Live');
    const [{ n: before } = { n: NaN }] = await server.sql<{ n: number }[]>`select count(*)::int as n from jobs`;
    await eventually(count(page, 'tr[data-job]')).toBe(before);

    // Added behind the page's back, as another instance or a migration would.
    await server.sql`insert into jobs (id, version) select 'bulk.' || lpad(n::text, 4, '0'), '1' from generate_series(1, 1000) as n`;
    await eventually(count(page, 'tr[data-job]')).toBe(before + 1000);
    await page.evaluate(() => {
      (window as any).__changed = new Set();
      new MutationObserver((records) => {
        for (const record of records) (window as any).__changed.add((record.target.parentElement ?? record.target as Element).closest('tr')?.dataset.job);
      }).observe(document.getElementById('job-rows')!, { childList: true, characterData: true, subtree: true });
    });
    await startExecution('bulk.0500', 4);
    await eventually(cell(page, 'bulk.0500', 'pending')).toBe('1');
    expect(await page.evaluate(() => [...(window as any).__changed])).toEqual(['bulk.0500']);
    expect(subscribes.sort()).toEqual(['DashboardBadges', 'FailureSeries', 'JobListCounts']);

    // Deleted behind its back too: the push names them, and they go.
    await server.sql`delete from jobs where id like 'bulk.%' and id <> 'bulk.0500'`;
    await eventually(count(page, 'tr[data-job]')).toBe(before + 1);
    await page.close();
  });

  it("ran every page above within its Content-Security-Policy (the scan bars' widths are set through the CSSOM)", () => {
    expect(browser.cspViolations).toEqual([]);
  });
});
