import type { ScheduleRow } from '../db/schedules.js';
import { deleteSchedule, jobById, listSchedules, upsertSchedule } from '../resolvers/jobs.js';
import { builder } from './builder.js';
import { JobRef } from './job.js';

const ScheduleRef = builder.objectRef<ScheduleRow>('Schedule').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    jobId: t.exposeID('jobId'),
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
      upsertSchedule(ctx, { ...input, id: String(input.id), jobId: String(input.jobId) }),
  }),
  deleteSchedule: t.field({
    type: 'ID',
    description: 'Delete a schedule; NOT_FOUND if there is none. Returns the id. ADMIN.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => deleteSchedule(ctx, String(args.id)),
  }),
}));
