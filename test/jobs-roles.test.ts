import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../src/auth/roles.js';
import { codes, useTestApp } from './helpers.js';

const t = useTestApp();

/** Every job-control field with the least role the contract gives it. */
const FIELDS: [string, Role, string][] = [
  ['Query.jobs', 'VIEWER', `{ jobs { id live { running pending } scriptStatus } }`],
  ['Query.job', 'VIEWER', `{ job(id: "roles-job") { id } }`],
  ['Query.schedules', 'VIEWER', `{ schedules { id job { id } } }`],
  ['Query.executions', 'VIEWER', `{ executions { totalCount } }`],
  ['Query.scriptStatus', 'VIEWER', `{ scriptStatus(jobId: "roles-job") }`],
  ['Mutation.startExecution', 'OPERATOR', `mutation { startExecution(input: { jobId: "roles-job", targetCount: 1 }) { id } }`],
  ['Mutation.reportExecutionResult', 'OPERATOR', `mutation { reportExecutionResult(input: { execId: "1", agentId: "a", success: true }) { id } }`],
  ['Mutation.killJob', 'OPERATOR', `mutation { killJob(id: "roles-job") { count } }`],
  ['Mutation.upsertJob', 'ADMIN', `mutation { upsertJob(input: { id: "roles-job", version: "1" }) { id } }`],
  ['Mutation.upsertSchedule', 'ADMIN', `mutation { upsertSchedule(input: { id: "roles-s", jobId: "roles-job", cron: "0 0 * * *" }) { id } }`],
  ['Mutation.deleteSchedule', 'ADMIN', `mutation { deleteSchedule(id: "roles-s") }`],
  ['Mutation.unrevokeJob', 'ADMIN', `mutation { unrevokeJob(id: "roles-job") }`],
  ['Mutation.deleteJob', 'ADMIN', `mutation { deleteJob(id: "roles-job-gone") }`],
];

beforeAll(async () => {
  await t.sql`insert into jobs (id, version) values ('roles-job', '1')`;
  await t.sql`insert into executions (job_id, version, initiated_by, target_count) values ('roles-job', '1', 'x', 100000)`;
});

describe('the role matrix of job control', () => {
  for (const [field, least, query] of FIELDS) {
    it(`${field}: UNAUTHENTICATED without a token, FORBIDDEN below ${least}, allowed from ${least} up`, async () => {
      const anonymous = await t.gql(query, {}, null);
      expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
      for (const role of ROLES) {
        const result = await t.gql(query, {}, role);
        if (ROLES.indexOf(role) < ROLES.indexOf(least)) {
          expect(codes(result), `${role} on ${field}`).toEqual(['FORBIDDEN']);
        } else {
          // Allowed: the field ran (a repeated delete may find nothing left to delete).
          for (const code of codes(result)) expect(['NOT_FOUND'], `${role} on ${field}`).toContain(code);
        }
      }
    });
  }

  it('writes nothing for a refused mutation', async () => {
    await t.gql(`mutation { upsertJob(input: { id: "roles-refused", version: "1" }) { id } }`, {}, 'OPERATOR');
    await t.gql(`mutation { killJob(id: "roles-job") { count } }`, {}, 'VIEWER');
    const { jobs, audits } = (await t.sql<{ jobs: number; audits: number }[]>`
      select (select count(*)::int from jobs where id = 'roles-refused') as jobs,
             (select count(*)::int from audit_log where actor in ('test-viewer', 'test-operator') and action in ('upsertJob', 'killJob') and target = 'roles-refused') as audits`)[0]!;
    expect([jobs, audits]).toEqual([0, 0]);
  });
});
