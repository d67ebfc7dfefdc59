// Ids are opaque: an id the server never issued names nothing, whatever its
// shape. Every field that takes an id answers for any string as for an
// unknown one: NOT_FOUND from mutations, null (or the contract's stated
// default) from queries; never BAD_USER_INPUT and never an internal error.
import { describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.js';
import { codes, useTestApp, type GqlResult } from './helpers.js';

const t = useTestApp();

const STRANGERS = [
  '00000000-0000-0000-0000-000000000000',
  '999999999',
  '9223372036854775807',
  '99999999999999999999',
  '0',
  '007',
  '-1',
  '1.5',
  'abc',
  '',
  ' ',
  '\u0000',
  'job\u0000x',
  '٣',
  '../etc/passwd',
  "' or 1=1 --",
  'x'.repeat(10_000),
];

type Case = [name: string, role: Role, query: string, vars: (id: string) => Record<string, unknown>, expectResult: (r: GqlResult) => void];

const notFound = (r: GqlResult) => {
  expect(codes(r)).toEqual(['NOT_FOUND']);
  expect(r.data ?? null).toBeNull();
};

const CASES: Case[] = [
  ['requeueNotification', 'OPERATOR', 'mutation($id: ID!) { requeueNotification(id: $id) { id } }', (id) => ({ id }), notFound],
  ['markNotificationRead', 'VIEWER', 'mutation($id: ID!) { markNotificationRead(id: $id) { id } }', (id) => ({ id }), notFound],
  ['deleteJob', 'ADMIN', 'mutation($id: ID!) { deleteJob(id: $id) }', (id) => ({ id }), notFound],
  ['unrevokeJob', 'ADMIN', 'mutation($id: ID!) { unrevokeJob(id: $id) }', (id) => ({ id }), notFound],
  ['deleteSchedule', 'ADMIN', 'mutation($id: ID!) { deleteSchedule(id: $id) }', (id) => ({ id }), notFound],
  [
    'upsertSchedule(jobId)',
    'ADMIN',
    'mutation($i: ScheduleInput!) { upsertSchedule(input: $i) { id } }',
    (id) => ({ i: { id: 'nightly', jobId: id, cron: '0 3 * * *' } }),
    notFound,
  ],
  ['startExecution(jobId)', 'OPERATOR', 'mutation($i: StartExecutionInput!) { startExecution(input: $i) { id } }', (id) => ({ i: { jobId: id, targetCount: 1 } }), notFound],
  [
    'reportExecutionResult(execId)',
    'OPERATOR',
    'mutation($i: ExecutionResultInput!) { reportExecutionResult(input: $i) { id } }',
    (id) => ({ i: { execId: id, agentId: 'host-1', success: true } }),
    notFound,
  ],
  // The contract: a job with nothing in flight is count 0 and no error (executions outlive their job).
  [
    'killJob',
    'OPERATOR',
    'mutation($id: ID!) { killJob(id: $id) { jobId count execIds } }',
    (id) => ({ id }),
    (r) => {
      expect(r.errors).toBeUndefined();
      expect(r.data!.killJob).toMatchObject({ count: 0, execIds: [] });
    },
  ],
  // Queries: the contract's "null if there is none", ACTIVE "for an id never revoked", an empty filter.
  ['notification', 'VIEWER', 'query($id: ID!) { notification(id: $id) { id } }', (id) => ({ id }), (r) => expect(r).toEqual({ data: { notification: null } })],
  ['job', 'VIEWER', 'query($id: ID!) { job(id: $id) { id } }', (id) => ({ id }), (r) => expect(r).toEqual({ data: { job: null } })],
  ['scriptStatus', 'VIEWER', 'query($id: ID!) { scriptStatus(jobId: $id) }', (id) => ({ id }), (r) => expect(r).toEqual({ data: { scriptStatus: 'ACTIVE' } })],
  [
    'executions(jobId)',
    'VIEWER',
    'query($id: ID!) { executions(jobId: $id) { totalCount nodes { id } } }',
    (id) => ({ id }),
    (r) => expect(r).toEqual({ data: { executions: { totalCount: 0, nodes: [] } } }),
  ],
];

describe('ids the server never issued', () => {
  for (const [name, role, query, vars, check] of CASES) {
    it(`${name}: the same answer for every string`, async () => {
      for (const id of STRANGERS) {
        const result = await t.gql(query, vars(id), role);
        try {
          check(result);
        } catch (error) {
          throw new Error(`${name}(${JSON.stringify(id.slice(0, 40))}): ${JSON.stringify(result).slice(0, 300)}`, { cause: error });
        }
      }
    });
  }

  it('a job or schedule id of another shape is still BAD_USER_INPUT when creating one (the client chooses it)', async () => {
    expect(codes(await t.gql('mutation { upsertJob(input: { id: "not valid!", version: "1" }) { id } }', {}, 'ADMIN'))).toEqual(['BAD_USER_INPUT']);
    await t.gql('mutation { upsertJob(input: { id: "real", version: "1" }) { id } }', {}, 'ADMIN');
    expect(codes(await t.gql('mutation { upsertSchedule(input: { id: "", jobId: "real", cron: "0 3 * * *" }) { id } }', {}, 'ADMIN'))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });
});
