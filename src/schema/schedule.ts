import type { ScheduleRow } from '../db/schedules.js';
import { deleteSchedule, jobById, listSchedules, upsertSchedule } from '../resolvers/jobs.js';
import { globalId, rowIdOf } from '../global-ids.js';
import { builder } from './builder.js';
import { JobRef } from './job.js';
import { NodeRef, ROW_ID } from './node.js';

const ScheduleRef = builder.objectRef<ScheduleRow>('Schedule').implement({
  authScopes: { viewer: true },
  interfaces: [NodeRef],
  fields: (t) => ({
    id: t.id({ resolve: (row) => globalId('Schedule', row.id) }),
    rowId: t.exposeID('id', { description: ROW_ID }),
    jobId: t.exposeID('jobId', { description: "The job's rowId." }),
    cron: t.exposeString('cron'),
    enabled: t.exposeBoolean('enabled'),
    job: t.field({ type: JobRef, nullable: true, resolve: (schedule, _args, ctx) => jobById(ctx, schedule.jobId) }),
  }),
});

const ScheduleInput = builder.inputType('ScheduleInput', {
  description: 'cron is a standard 5-field cron expression; anything else is BAD_USER_INPUT.',
  fields: (t) => ({
    id: t.id({ required: true }),
    jobId: t.id({ required: true }),
    cron: t.string({ required: true }),
    enabled: t.boolean({ defaultValue: true }),
  }),
});

builder.queryField('schedules', (t) =>
  t.field({
    type: [ScheduleRef],
    description: 'Every schedule, ordered by id. VIEWER.',
    authScopes: { viewer: true },
    resolve: (_root, _args, ctx) => listSchedules(ctx),
  }),
);

builder.mutationFields((t) => ({
  upsertSchedule: t.field({
    type: ScheduleRef,
    description: 'Create or replace a schedule; its job must exist (NOT_FOUND). ADMIN.',
    authScopes: { admin: true },
    args: { input: t.arg({ type: ScheduleInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      upsertSchedule(ctx, { ...input, id: rowIdOf('Schedule', input.id), jobId: rowIdOf('Job', input.jobId) }),
  }),
  deleteSchedule: t.field({
    type: 'ID',
    description: 'Delete a schedule; NOT_FOUND if there is none. Returns the id as given. ADMIN.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => (await deleteSchedule(ctx, rowIdOf('Schedule', args.id)), String(args.id)),
  }),
}));
