import { describe, expect, it } from 'vitest';
import { seedDemo, simulateStep } from '../scripts/demo-data.js';
import { useTestApp } from './helpers.js';

describe('npm run seed / simulate', () => {
  const t = useTestApp();

  it('fills every badge, and a second seed replaces the demo rows instead of adding to them', async () => {
    await t.sql`insert into notifications (channel, recipient, subject, body) values ('LOG', 'someone', 'not demo', '-')`;
    const first = await seedDemo(t.sql);
    const second = await seedDemo(t.sql);

    expect(second.jobs).toBe(6);
    expect(second.scans).toBe(first.scans);
    expect(second.notifications).toEqual(first.notifications);
    for (const status of ['PENDING', 'SENT', 'FAILED', 'DEAD', 'READ']) expect(second.notifications[status]).toBeGreaterThan(0);
    expect(second.running).toBeGreaterThan(0);
    expect(second.pending).toBeGreaterThan(0);
    expect(second.failuresLastHour).toBeGreaterThan(0);
    const [mine] = await t.sql`select count(*)::int as n from notifications where subject = 'not demo'`;
    expect(mine!.n).toBe(1);

    // The counter cache matches the scans exactly, and the API serves what was seeded.
    const [drift] = await t.sql`
      select count(*)::int as n from (select scan_type, count(*) as c from scans group by 1) s
      full join (select scan_type, sum(count) as c from scan_counters group by 1) k using (scan_type)
      where s.c is distinct from k.c`;
    expect(drift!.n).toBe(0);
    const [week] = await t.sql`
      select count(*)::int as n from orchestrator_events
      where not success and occurred_at between now() - interval '7 days' and now()`;
    expect(week!.n).toBeGreaterThan(100);
    const { data } = await t.gql('{ jobs { id live { running pending } } }', {}, 'VIEWER');
    const live = data!.jobs.reduce((sum: number, job: any) => sum + job.live.running + job.live.pending, 0);
    expect(live).toBe(second.running + second.pending);
  });

  it('simulate keeps writing demo rows', async () => {
    const [before] = await t.sql`
      select (select count(*) from scans) + (select count(*) from orchestrator_events)
           + (select count(*) from notifications) + (select count(*) from execution_results)
           + (select count(*) from executions) as n`;
    const done: string[] = [];
    for (let i = 0; i < 20; i++) done.push(await simulateStep(t.sql));
    const [after] = await t.sql`
      select (select count(*) from scans) + (select count(*) from orchestrator_events)
           + (select count(*) from notifications) + (select count(*) from execution_results)
           + (select count(*) from executions) as n`;
    expect(Number(after!.n) - Number(before!.n)).toBe(20);
    expect(done.every((line) => line.length > 0)).toBe(true);
  });
});

describe('npm run simulate beside a restarted npm start', () => {
  it('finds the running embedded PostgreSQL again on the port its restart moved it to, and never one that stopped', async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { runningEmbeddedUrl } = await import('../scripts/database.js');
    // A DATA_DIR holding a cluster in place (DATA_DIR/pg), as the server's postmaster.pid describes it.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'opsgraph-simulate-'));
    try {
      await mkdir(path.join(dataDir, 'pg'));
      await writeFile(path.join(dataDir, 'pg', 'PG_VERSION'), '17\n');
      await writeFile(path.join(dataDir, 'pg-password'), 'p@ss\n');
      const postmaster = (pid: number, port: number) =>
        writeFile(path.join(dataDir, 'pg', 'postmaster.pid'), `${pid}\n${dataDir}/pg\n1796620268\n${port}\n/tmp\n127.0.0.1\n`);
      await postmaster(process.pid, 24214);
      expect(await runningEmbeddedUrl(dataDir, dataDir)).toBe('postgres://postgres:p%40ss@127.0.0.1:24214/postgres');
      await postmaster(process.pid, 30326); // npm start restarted
      expect(await runningEmbeddedUrl(dataDir, dataDir)).toBe('postgres://postgres:p%40ss@127.0.0.1:30326/postgres');
      await postmaster(2 ** 22 + 1, 30326); // above Linux's highest pid: nobody runs it
      expect(await runningEmbeddedUrl(dataDir, dataDir)).toBeNull();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
