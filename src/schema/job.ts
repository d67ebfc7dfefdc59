import type { JobRow, LiveCounts } from '../db/jobs.js';
import {
  deleteJob,
  jobById,
  listJobs,
  liveCounts,
  scriptStatus,
  scriptStatusOfJob,
  unrevokeJob,
  upsertJob,
} from '../resolvers/jobs.js';
import { globalId, rowIdOf } from '../global-ids.js';
import { builder } from './builder.js';
import { NodeRef, ROW_ID } from './node.js';
import { selectedFieldNames } from './selected-fields.js';

export const ScriptStatusEnum = builder.enumType('ScriptStatus', { values: ['ACTIVE', 'REVOKED'] as const });

// Job and JobLiveCounts declare their least role on the type, but it is checked
// where one is returned, not again on each field of each object: Query.jobs
// lists 1 000 jobs, and the per-field check was most of its execution (every
// field wrapped, so no executor could read a property directly). Every field
// that returns either type checks at least VIEWER itself; test/schema.test.ts
// proves that for every type whose fields skip their type's scopes.
const checkedWhereReturned = { skipTypeScopes: true } as const;

export const JobLiveCountsRef = builder.objectRef<LiveCounts>('JobLiveCounts').implement({
  authScopes: { viewer: true },
  interfaces: [NodeRef],
  fields: (t) => ({
    // The global id is made from the job's id on the row, once per job (src/global-ids.ts keeps it):
    // encoding it anew for each of Query.jobs' 1 000 rows doubled the list's time (bench/README.md).
    id: t.id({
      ...checkedWhereReturned,
      description: 'Stable identity for client caches, derived from the job id.',
      resolve: (counts) => globalId('JobLiveCounts', counts.id),
    }),
    rowId: t.exposeID('id', { ...checkedWhereReturned, description: `${ROW_ID} The job's rowId.` }),
    running: t.exposeInt('running', { ...checkedWhereReturned, description: 'Executions with at least one result and more to come.' }),
    pending: t.exposeInt('pending', { ...checkedWhereReturned, description: 'Executions published but with no result yet.' }),
  }),
});

export const JobRef = builder.objectRef<JobRow>('Job').implement({
  authScopes: { viewer: true },
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ ...checkedWhereReturned, resolve: (job) => globalId('Job', job.id) }),
    rowId: t.exposeID('id', { ...checkedWhereReturned, description: ROW_ID }),
    version: t.exposeString('version', checkedWhereReturned),
    description: t.exposeString('description', { ...checkedWhereReturned, nullable: true }),
    inventory: t.exposeBoolean('inventory', checkedWhereReturned),
    live: t.field({
      ...checkedWhereReturned,
      type: JobLiveCountsRef,
      description: 'In-flight executions of this job; loaded for a whole list in one query.',
      resolve: (job, _args, ctx) => liveCounts(ctx, job),
    }),
    scriptStatus: t.field({
      ...checkedWhereReturned,
      type: ScriptStatusEnum,
      resolve: (job, _args, ctx) => scriptStatusOfJob(ctx, job.id),
    }),
    createdAt: t.expose('createdAt', { ...checkedWhereReturned, type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { ...checkedWhereReturned, type: 'DateTime' }),
  }),
});

const JobInput = builder.inputType('JobInput', {
  description: 'id matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$; version is 1..64 characters.',
  fields: (t) => ({
    id: t.id({ required: true }),
    version: t.string({ required: true }),
    description: t.string(),
    inventory: t.boolean({ defaultValue: false }),
  }),
});

/** Job fields answered from a job's id and live counts alone (scriptStatus loads by id). */
const FROM_ID_AND_COUNTS = new Set(['__typename', 'id', 'rowId', 'live', 'scriptStatus']);
const onlyIdsAndCounts = (info: Parameters<typeof selectedFieldNames>[0]) =>
  [...selectedFieldNames(info)].every((name) => FROM_ID_AND_COUNTS.has(name));

builder.queryFields((t) => ({
  jobs: t.field({
    type: [JobRef],
    description: 'Every job in the catalog, ordered by id, each with its live counts. VIEWER.',
    authScopes: { viewer: true },
    resolve: (_root, _args, ctx, info) => listJobs(ctx, onlyIdsAndCounts(info) ? 'counts' : 'all'),
  }),
  job: t.field({
    type: JobRef,
    nullable: true,
    description: 'One job; null if there is none with that id. VIEWER.',
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => jobById(ctx, rowIdOf('Job', args.id)),
  }),
  scriptStatus: t.field({
    type: ScriptStatusEnum,
    description: "Whether agents may still run a job's commands. ACTIVE for an id never revoked. VIEWER.",
    authScopes: { viewer: true },
    args: { jobId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => scriptStatus(ctx, rowIdOf('Job', args.jobId)),
  }),
}));

builder.mutationFields((t) => ({
  upsertJob: t.field({
    type: JobRef,
    description: 'Create or replace a job in the catalog. Audited. ADMIN.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: JobInput, required: true }) },
    resolve: (_root, { input }, ctx) => upsertJob(ctx, { ...input, id: rowIdOf('Job', input.id) }),
  }),
  deleteJob: t.field({
    type: 'ID',
    description:
      'Delete a job. CONFLICT (naming the schedule) while a schedule references it;\n' +
      "NOT_FOUND if there is no such job. Revokes the job's script status first,\n" +
      'so commands already in flight are refused. Returns the id as given. Audited. ADMIN.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => (await deleteJob(ctx, rowIdOf('Job', args.id)), String(args.id)),
  }),
  unrevokeJob: t.field({
    type: ScriptStatusEnum,
    description: "Set a job's script status back to ACTIVE. Audited. ADMIN.",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => unrevokeJob(ctx, rowIdOf('Job', args.id)),
  }),
}));
