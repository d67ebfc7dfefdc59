// THREAT: hostile strings. A NUL byte in detail, a job's description or version,
// agentId, output, job(id), killJob(id), executions(jobId) or auditLog(action)
// reached PostgreSQL (whose text cannot hold one) and came back as a masked
// INTERNAL_SERVER_ERROR plus two error-level log lines with stacks; a lone UTF-16
// surrogate did the same in a job version, and elsewhere was stored silently as
// U+FFFD (so what was read back differed from what was written); a description
// or an output took 900 000 characters.
// DEFENCE: every String and ID argument, nested input fields included, is
// checked once at the edge (src/schema/input-checks.ts, a Pothos plugin run
// after the scope checks): no NUL, no lone surrogate, at most MAX_STRING_LENGTH
// characters; BAD_USER_INPUT with extensions.argument naming it (`input.version`).
// SETTING: MAX_STRING_LENGTH (default 100 000 characters); MAX_BODY_BYTES caps the request.
import fc from 'fast-check';
import { getNamedType, isInputObjectType, type GraphQLInputType } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';
import { codes, token, useTestApp, type GqlResult } from '../helpers.js';

const t = useTestApp();
const short = useTestApp({ MAX_STRING_LENGTH: '10' });

const NUL = 'a\u0000b';
const LONE = 'v1\uD800';

function refusedFor(result: GqlResult, argument: string) {
  expect(codes(result), JSON.stringify(result)).toEqual(['BAD_USER_INPUT']);
  expect(result.errors![0]!.extensions!.argument).toBe(argument);
}

describe('string arguments at the edge', () => {
  let execId: string;
  beforeAll(async () => {
    await t.gql('mutation { upsertJob(input: { id: "edge-job", version: "1" }) { id } }', {}, 'ADMIN');
    const started = await t.gql('mutation { startExecution(input: { jobId: "edge-job", targetCount: 5 }) { id } }', {}, 'OPERATOR');
    execId = started.data!.startExecution.id;
  });

  it('refuses a NUL byte in every argument the probe found, naming the argument (it was INTERNAL_SERVER_ERROR)', async () => {
    const cases: [string, Record<string, unknown>, string, 'VIEWER' | 'OPERATOR' | 'ADMIN'][] = [
      ['mutation($v: String) { recordOrchestratorEvent(input: { kind: TRAFFIC, success: false, detail: $v }) { id } }', { v: NUL }, 'input.detail', 'OPERATOR'],
      ['mutation($v: String) { upsertJob(input: { id: "edge-job", version: "1", description: $v }) { id } }', { v: NUL }, 'input.description', 'ADMIN'],
      ['mutation($v: String!) { upsertJob(input: { id: "edge-job", version: $v }) { id } }', { v: NUL }, 'input.version', 'ADMIN'],
      ['mutation($e: ID!, $v: String!) { reportExecutionResult(input: { execId: $e, agentId: $v, success: true }) { id } }', { v: NUL }, 'input.agentId', 'OPERATOR'],
      ['mutation($e: ID!, $v: String) { reportExecutionResult(input: { execId: $e, agentId: "a1", success: true, output: $v }) { id } }', { v: NUL }, 'input.output', 'OPERATOR'],
      ['query($v: ID!) { job(id: $v) { id } }', { v: NUL }, 'id', 'VIEWER'],
      ['mutation($v: ID!) { killJob(id: $v) { count } }', { v: NUL }, 'id', 'OPERATOR'],
      ['query($v: ID) { executions(jobId: $v) { totalCount } }', { v: NUL }, 'jobId', 'VIEWER'],
      ['query($v: String) { auditLog(action: $v) { totalCount } }', { v: NUL }, 'action', 'ADMIN'],
    ];
    for (const [query, variables, argument, role] of cases) {
      refusedFor(await t.gql(query, { e: execId, ...variables }, role), argument);
    }
  });

  it('refuses lone surrogates (a job version failed; other fields stored U+FFFD), and keeps real pairs', async () => {
    refusedFor(await t.gql('mutation($v: String!) { upsertJob(input: { id: "edge-job", version: $v }) { id } }', { v: LONE }, 'ADMIN'), 'input.version');
    refusedFor(
      await t.gql('mutation($v: String!) { recordScan(input: { scanType: "checkin", subjectId: $v }) { id } }', { v: '\uDC00x' }, 'OPERATOR'),
      'input.subjectId',
    );
    const pair = await t.gql('mutation($v: String!) { upsertJob(input: { id: "edge-job", version: $v }) { version } }', { v: 'v😀' }, 'ADMIN');
    expect(pair.data).toEqual({ upsertJob: { version: 'v😀' } });
  });

  it('refuses strings over MAX_STRING_LENGTH characters (a description took 900 000), counting code points', async () => {
    const long = 'd'.repeat(100_001);
    refusedFor(await t.gql('mutation($v: String) { upsertJob(input: { id: "edge-job", version: "1", description: $v }) { id } }', { v: long }, 'ADMIN'), 'input.description');
    refusedFor(await t.gql('mutation($e: ID!, $v: String) { reportExecutionResult(input: { execId: $e, agentId: "a2", success: true, output: $v }) { id } }', { e: execId, v: 'o'.repeat(900_000) }, 'OPERATOR'), 'input.output');
    const atLimit = await t.gql('mutation($v: String) { upsertJob(input: { id: "edge-job", version: "1", description: $v }) { id } }', { v: 'd'.repeat(100_000) }, 'ADMIN');
    expect(codes(atLimit)).toEqual([]);
    // The setting: ten characters, and an emoji counts as one.
    expect(codes(await short.gql('query($v: String) { auditLog(action: $v) { totalCount } }', { v: '😀'.repeat(10) }, 'ADMIN'))).toEqual([]);
    refusedFor(await short.gql('query($v: String) { auditLog(action: $v) { totalCount } }', { v: 'x'.repeat(11) }, 'ADMIN'), 'action');
  });

  it('checks literals and list items as well as variables, in subscriptions too', async () => {
    refusedFor(await t.gql('{ job(id: "a\\u0000b") { id } }', {}, 'VIEWER'), 'id');
    const sse = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${await token('OPERATOR')}` },
      body: JSON.stringify({ query: 'subscription($ids: [ID!]) { killSignals(execIds: $ids) { execId } }', variables: { ids: ['1', NUL] } }),
    });
    const text = await sse.text();
    expect(text).toContain('BAD_USER_INPUT');
    expect(text).toContain('execIds[1]');
  });

  it('judges the role before the input: an anonymous caller with a NUL gets UNAUTHENTICATED', async () => {
    expect(codes(await t.gql('mutation($v: ID!) { killJob(id: $v) { count } }', { v: NUL }, null))).toEqual(['UNAUTHENTICATED']);
  });
});

// ---------------------------------------------------------------------------
// The property: arbitrary Unicode (NULs and lone surrogates included) in every
// string argument of every mutation never gives INTERNAL_SERVER_ERROR, and
// whatever is accepted reads back exactly as sent.

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const hostile = fc.string({
  unit: fc.oneof({ arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 12 }, { arbitrary: fc.constant('\u0000'), weight: 1 }, { arbitrary: lone, weight: 1 }),
  maxLength: 40,
});
const isClean = (s: string) => !s.includes('\u0000') && !/[\uD800-\uDFFF]/u.test(s);

interface Case {
  role: 'OPERATOR' | 'ADMIN' | 'SUPERADMIN';
  strings: string[];
  send(values: string[]): Promise<GqlResult>;
  /** Reads what was stored back (only called when the mutation succeeded); returns [sent, stored] pairs. */
  readBack?(values: string[], result: GqlResult): Promise<[unknown, unknown][]>;
}

describe('fast-check: every string argument of every mutation', () => {
  let execId: string;
  beforeAll(async () => {
    await t.gql('mutation { upsertJob(input: { id: "prop-job", version: "1" }) { id } }', {}, 'ADMIN');
    execId = (await t.gql('mutation { startExecution(input: { jobId: "prop-job", targetCount: 100000 }) { id: rowId } }', {}, 'OPERATOR')).data!.startExecution.id;
  });

  let jobSeq = 0;
  const reported = new Set<string>();
  const cases: Record<string, Case> = {
    upsertJob: {
      role: 'ADMIN',
      strings: ['id', 'version', 'description'],
      send: ([id, version, description]) =>
        t.gql('mutation($i: JobInput!) { upsertJob(input: $i) { id: rowId version description } }', { i: { id, version, description } }, 'ADMIN'),
      readBack: async ([id, version, description]) => {
        const read = await t.gql('query($id: ID!) { job(id: $id) { id: rowId version description } }', { id }, 'VIEWER');
        return [[{ id, version, description }, read.data!.job]];
      },
    },
    upsertJobValidId: {
      role: 'ADMIN',
      strings: ['version', 'description'],
      send: ([version, description]) =>
        t.gql('mutation($i: JobInput!) { upsertJob(input: $i) { id } }', { i: { id: `prop-${jobSeq++}`, version, description } }, 'ADMIN'),
      readBack: async ([version, description], result) => {
        const read = await t.gql('query($id: ID!) { job(id: $id) { version description } }', { id: result.data!.upsertJob.id }, 'VIEWER');
        return [[{ version, description }, read.data!.job]];
      },
    },
    upsertSchedule: {
      role: 'ADMIN',
      strings: ['id', 'jobId', 'cron'],
      send: ([id, jobId, cron]) => t.gql('mutation($i: ScheduleInput!) { upsertSchedule(input: $i) { id: rowId jobId cron } }', { i: { id, jobId, cron } }, 'ADMIN'),
      readBack: async ([id, jobId, cron], result) => [[{ id, jobId, cron }, result.data!.upsertSchedule]],
    },
    recordScan: {
      role: 'OPERATOR',
      strings: ['scanType', 'subjectId'],
      send: ([scanType, subjectId]) => t.gql('mutation($i: RecordScanInput!) { recordScan(input: $i) { id: rowId } }', { i: { scanType, subjectId } }, 'OPERATOR'),
      readBack: async ([scanType, subjectId], result) => {
        const [row] = await t.sql`select scan_type, subject_id from scans where id = ${result.data!.recordScan.id}`;
        return [[{ scanType, subjectId }, { scanType: row!.scan_type, subjectId: row!.subject_id }]];
      },
    },
    recordScanValidType: {
      role: 'OPERATOR',
      strings: ['subjectId'],
      send: ([subjectId]) => t.gql('mutation($s: String!) { recordScan(input: { scanType: "prop", subjectId: $s }) { id: rowId } }', { s: subjectId }, 'OPERATOR'),
      readBack: async ([subjectId], result) => {
        const [row] = await t.sql`select subject_id from scans where id = ${result.data!.recordScan.id}`;
        return [[subjectId, row!.subject_id]];
      },
    },
    recordOrchestratorEvent: {
      role: 'OPERATOR',
      strings: ['detail'],
      send: ([detail]) => t.gql('mutation($d: String) { recordOrchestratorEvent(input: { kind: FILE, success: true, detail: $d }) { detail } }', { d: detail }, 'OPERATOR'),
      // The answer is the row as PostgreSQL stored it (insert … returning).
      readBack: async ([detail], result) => [[detail, result.data!.recordOrchestratorEvent.detail]],
    },
    sendNotification: {
      role: 'OPERATOR',
      strings: ['recipient', 'subject', 'body'],
      send: ([recipient, subject, body]) =>
        t.gql('mutation($i: SendNotificationInput!) { sendNotification(input: $i) { id } }', { i: { channel: 'LOG', recipient, subject, body } }, 'OPERATOR'),
      readBack: async ([recipient, subject, body], result) => {
        const read = await t.gql('query($id: ID!) { notification(id: $id) { recipient subject body } }', { id: result.data!.sendNotification.id }, 'OPERATOR');
        return [[{ recipient, subject, body }, read.data!.notification]];
      },
    },
    sendWebhook: {
      role: 'OPERATOR',
      strings: ['recipient'],
      send: ([recipient]) =>
        t.gql('mutation($i: SendNotificationInput!) { sendNotification(input: $i) { id } }', { i: { channel: 'WEBHOOK', recipient, subject: 's', body: 'b' } }, 'OPERATOR'),
    },
    startExecution: {
      role: 'OPERATOR',
      strings: ['jobId'],
      send: ([jobId]) => t.gql('mutation($j: ID!) { startExecution(input: { jobId: $j, targetCount: 1 }) { id } }', { j: jobId }, 'OPERATOR'),
    },
    reportExecutionResult: {
      role: 'OPERATOR',
      strings: ['agentId', 'output'],
      send: ([agentId, output]) =>
        t.gql('mutation($i: ExecutionResultInput!) { reportExecutionResult(input: $i) { id } }', { i: { execId, agentId, output, success: true } }, 'OPERATOR'),
      readBack: async ([agentId, output]) => {
        const [row] = await t.sql`select agent_id, output from execution_results where exec_id = ${execId} and agent_id = ${agentId!}`;
        // A repeat report for the same agent stores nothing new: only a first report is compared.
        const first = !reported.has(agentId!);
        reported.add(agentId!);
        return first ? [[{ agentId, output }, { agentId: row?.agent_id, output: row?.output }]] : [];
      },
    },
    reportExecutionResultExecId: {
      role: 'OPERATOR',
      strings: ['execId'],
      send: ([id]) => t.gql('mutation($e: ID!) { reportExecutionResult(input: { execId: $e, agentId: "x", success: true }) { id } }', { e: id }, 'OPERATOR'),
    },
    ...Object.fromEntries(
      ['deleteJob', 'deleteSchedule', 'unrevokeJob'].map((name) => [
        name,
        { role: 'ADMIN', strings: ['id'], send: ([id]: string[]) => t.gql(`mutation($id: ID!) { ${name}(id: $id) }`, { id }, 'ADMIN') } satisfies Case,
      ]),
    ),
    killJob: { role: 'OPERATOR', strings: ['id'], send: ([id]) => t.gql('mutation($id: ID!) { killJob(id: $id) { count } }', { id }, 'OPERATOR') },
    requeueNotification: { role: 'OPERATOR', strings: ['id'], send: ([id]) => t.gql('mutation($id: ID!) { requeueNotification(id: $id) { id } }', { id }, 'OPERATOR') },
    markNotificationRead: { role: 'OPERATOR', strings: ['id'], send: ([id]) => t.gql('mutation($id: ID!) { markNotificationRead(id: $id) { id } }', { id }, 'OPERATOR') },
    rotateWebhookSigningSecret: {
      role: 'SUPERADMIN',
      strings: ['overlap'],
      send: ([overlap]) => t.gql('mutation($o: String) { rotateWebhookSigningSecret(overlap: $o) { expiresAt } }', { o: overlap }, 'SUPERADMIN'),
    },
  };

  it('covers every mutation that takes a string, so a new one must be added here', () => {
    const carries = (type: GraphQLInputType): boolean => {
      const named = getNamedType(type);
      return isInputObjectType(named) ? Object.values(named.getFields()).some((f) => carries(f.type)) : named.name === 'String' || named.name === 'ID';
    };
    const withStrings = Object.values(schema.getMutationType()!.getFields())
      .filter((field) => field.args.some((arg) => carries(arg.type)))
      .map((field) => field.name)
      .sort();
    const covered = new Set(Object.keys(cases).map((name) => name.replace(/(ValidId|ValidType|ExecId)$/, '').replace(/^sendWebhook$/, 'sendNotification')));
    expect(withStrings.filter((name) => !covered.has(name))).toEqual([]);
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: never INTERNAL_SERVER_ERROR; what is accepted reads back identical`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(hostile, { minLength: c.strings.length, maxLength: c.strings.length }), async (values) => {
          const result = await c.send(values);
          for (const error of result.errors ?? []) {
            expect(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT'], `${name} ${JSON.stringify(values)}: ${JSON.stringify(error)}`).toContain(error.extensions?.code);
          }
          if (!values.every(isClean)) {
            expect(codes(result)).toEqual(['BAD_USER_INPUT']);
            expect(c.strings.map((s) => String(result.errors![0]!.extensions!.argument).endsWith(s))).toContain(true);
            return;
          }
          if (!result.errors && c.readBack) {
            for (const [sent, stored] of await c.readBack(values, result)) expect(stored).toEqual(sent);
          }
        }),
        { numRuns: 40 },
      );
    });
  }
});
