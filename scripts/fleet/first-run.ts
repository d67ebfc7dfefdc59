// scripts/first-run.ts's fleet step: the README's "Run a fleet locally" as a newcomer follows it, in the
// same fresh clone, on the data `npm start` left there. `npm run fleet` with FLEET_STATE_FILE, the URL and
// token it prints, a query through the balancer, the badge page in Chromium through HAProxy showing live
// numbers, `kill -HUP` for a rolling restart under that page, then Ctrl-C stopping all it started.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { embeddedLocation, freePort } from '../../src/db/embedded.js';

type Check = (what: string, ok: boolean, detail?: string) => void;

interface State {
  runner: { pid: number };
  instances: { name: string; pid: number; port: number; state: string; restarts: number }[];
  balancer: { pid: number; port: number };
  pooler: { pid: number; port: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });

/** Running, and not a zombie waiting for its reaper. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    if (process.platform !== 'linux') return true;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function gql(url: string, token: string, query: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string }[] };
}

export const recordScan = (url: string, token: string, subject: string) =>
  gql(url, token, `mutation { recordScan(input: { scanType: "checkin", subjectId: "${subject}" }) { id } }`);

/** The number on the page's scan badge once it equals `expected`, or what it shows after `ms`. */
async function badgeReaches(page: Page, expected: number, ms: number): Promise<number> {
  const read = async () => Number((await page.locator('#scan-total').textContent())?.replace(/\D/g, '') || NaN);
  let shown = await read();
  for (const end = Date.now() + ms; shown !== expected && Date.now() < end; ) {
    await page.waitForTimeout(100);
    shown = await read();
  }
  return shown;
}

export async function fleetFirstRun(options: { clone: string; home: string; env: Record<string, string>; check: Check; chromiumPath: string }): Promise<void> {
  const { clone, home, check } = options;
  const stateFile = path.join(home, 'fleet.json');
  const env: Record<string, string> = { ...options.env, FLEET_STATE_FILE: stateFile };
  delete env.PORT;
  if (!(await portFree(4000))) env.FLEET_PORT = String(await freePort());
  const t0 = Date.now();
  const child = spawn('npm', ['run', 'fleet'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  let state: State | null = null;
  let profile: string | null = null;
  let browser: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | null = null;
  try {
    let url: string | undefined;
    let token: string | undefined;
    for (const end = Date.now() + 240_000; !(url && token); await sleep(200)) {
      url = /opsgraph fleet is up at (http:\/\/\S+\/graphql)/.exec(output)?.[1];
      token = /Bearer (\S+?)"/.exec(output)?.[1];
      if (child.exitCode !== null || Date.now() > end) throw new Error(`npm run fleet did not come up (exit ${child.exitCode}):\n${output}`);
    }
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
    check(
      'npm run fleet printed the balancer URL and a token; FLEET_STATE_FILE lists 3 ready instances',
      state.instances.length === 3 && state.instances.every((i) => i.state === 'ready') && url.includes(`:${state.balancer.port}/`),
      `${url}, up in ${Date.now() - t0} ms; instances on ${state.instances.map((i) => i.port).join(', ')}, PgBouncer on ${state.pooler.port}`,
    );
    const me = await gql(url, token, '{ me { rowId } scanStats { total } }');
    check('a query with the printed token through HAProxy', me.data?.me?.rowId === 'dev-superadmin' && !me.errors, JSON.stringify(me.data));

    let page: Page | null = null;
    if (!existsSync(options.chromiumPath)) {
      check(`Chromium at ${options.chromiumPath}`, !process.env.CI, 'missing: skipped outside CI');
    } else {
      profile = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-first-run-fleet-chromium-'));
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: options.chromiumPath,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
      });
      page = await browser.newPage();
      await page.goto(new URL('/', url).href, { timeout: 30_000 });
      await page.getByLabel('Bearer token').fill(token);
      await page.getByLabel('Bearer token').press('Enter');
      await page.locator('#connection[data-state="live"]').waitFor({ timeout: 30_000 });
      const before = await badgeReaches(page, me.data.scanStats.total, 20_000);
      await recordScan(url, token, 'first-run-fleet');
      const after = await badgeReaches(page, before + 1, 20_000);
      check('the badge page through the balancer signs in and shows live numbers', before === me.data.scanStats.total && after === before + 1, `scans ${before} → ${after}`);
    }

    // A deploy, as the README says: SIGHUP to the runner rolls the instances one by one.
    const rolled = Date.now();
    process.kill(state.runner.pid, 'SIGHUP');
    for (const end = Date.now() + 180_000; !output.includes('rolling restart done'); await sleep(200)) {
      if (child.exitCode !== null || Date.now() > end) throw new Error(`the rolling restart did not finish:\n${output}`);
    }
    const restarted = JSON.parse(readFileSync(stateFile, 'utf8')) as State;
    const total = (await gql(url, token, '{ scanStats { total } }')).data?.scanStats?.total as number;
    const written = await recordScan(url, token, 'first-run-fleet-after-roll');
    let detail = `${Math.round((Date.now() - rolled) / 1000)} s, new pids ${restarted.instances.map((i) => i.pid).join(', ')}`;
    let live = !written.errors;
    if (page) {
      const shown = await badgeReaches(page, total + 1, 20_000);
      const state = await page.locator('#connection').getAttribute('data-state');
      live &&= shown === total + 1 && state === 'live';
      detail += `; the page shows ${shown} (expected ${total + 1}), ${state}`;
    }
    check(
      'kill -HUP rolls a restart through every instance, and the page stays live',
      live && restarted.instances.every((i, n) => i.pid !== state!.instances[n]!.pid && i.state === 'ready'),
      detail,
    );
    await browser?.close();
    browser = null;
    const { pgDir } = await embeddedLocation(path.join(clone, '.data'));
    const postmaster = Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

    // Ctrl-C: SIGINT to the terminal's process group (npm and the runner; the rest run in groups of their own).
    process.kill(-child.pid!, 'SIGINT');
    const npmExit = await Promise.race([exited, sleep(60_000).then(() => 'still running after 60 s')]);
    const pids = [...restarted.instances.map((i) => i.pid), restarted.balancer.pid, restarted.pooler.pid, restarted.runner.pid, postmaster];
    for (const end = Date.now() + 20_000; pids.some(alive) && Date.now() < end; ) await sleep(100);
    check(
      'Ctrl-C stops the instances, HAProxy, PgBouncer and PostgreSQL; npm exits 0 and the state file goes',
      npmExit === 'code 0' && !pids.some(alive) && !existsSync(stateFile),
      `npm: ${npmExit}; still running: ${pids.filter(alive).join(', ') || 'none'}`,
    );
    state = null;
  } finally {
    await browser?.close().catch(() => {});
    if (child.exitCode === null) {
      process.kill(-child.pid!, 'SIGINT');
      await Promise.race([exited, sleep(30_000)]);
    }
    if (state) for (const pid of [...state.instances.map((i) => i.pid), state.balancer.pid, state.pooler.pid]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (profile) await rm(profile, { recursive: true, force: true });
  }
}
