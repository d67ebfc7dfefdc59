import type { ExecutionRow } from '../db/executions.js';
import { listExecutions, reportExecutionResult, startExecution } from '../resolvers/executions.js';
import { jobById } from '../resolvers/jobs.js';
import { builder } from './builder.js';
import { JobRef } from './job.js';
import { connectionOf } from './page-info.js';

const ExecutionStatusEnum = builder.enumType('ExecutionStatus', {
  values: ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'] as const,
});

export const ExecutionRef = builder.objectRef<ExecutionRow>('Execution').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    jobId: t.exposeID('jobId'),
    version: t.exposeString('version'),
    initiatedBy: t.exposeString('initiatedBy'),
    targetCount: t.exposeInt('targetCount'),
    resultCount: t.exposeInt('resultCount'),
    status: t.expose('status', { type: ExecutionStatusEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    job: t.field({ type: JobRef, nullable: true, resolve: (execution, _args, ctx) => jobById(ctx, execution.jobId) }),
  }),
});

const ExecutionConnection = connectionOf('Execution', ExecutionRef);

const StartExecutionInput = builder.inputType('StartExecutionInput', {
  description: 'targetCount is 1..100000.',
  fields: (t) => ({
    jobId: t.id({ required: true }),
    targetCount: t.int({ required: true }),
  }),
});

const ExecutionResultInput = builder.inputType('ExecutionResultInput', {
  fields: (t) => ({
    execId: t.id({ required: true }),
    agentId: t.string({ required: true }),
    success: t.boolean({ required: true }),
    output: t.string(),
  }),
});

builder.queryField('executions', (t) =>
  t.field({
    type: ExecutionConnection,
    description: 'Executions, newest first, filtered by job and/or status. `first` is 1..500. VIEWER.',
    authScopes: { viewer: true },
    args: {
      jobId: t.arg.id(),
      status: t.arg({ type: ExecutionStatusEnum }),
      first: t.arg.int({ defaultValue: 50 }),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) =>
      listExecutions(ctx, { ...args, jobId: args.jobId === null || args.jobId === undefined ? null : String(args.jobId) }),
  }),
);

builder.mutationFields((t) => ({
  startExecution: t.field({
    type: ExecutionRef,
    description:
      'Start an execution of a job on targetCount agents: a PENDING execution.\n' +
      'NOT_FOUND for an unknown job, CONFLICT if the job is revoked. OPERATOR.',
    authScopes: { operator: true },
    args: { input: t.arg({ type: StartExecutionInput, required: true }) },
    resolve: (_root, { input }, ctx) => startExecution(ctx, { ...input, jobId: String(input.jobId) }),
  }),
  reportExecutionResult: t.field({
    type: ExecutionRef,
    description:
      "Record one agent's result for an execution: the first result makes it\n" +
      'RUNNING; when results reach targetCount it becomes COMPLETED (FAILED if\n' +
      'any result failed). NOT_FOUND for an unknown execution. OPERATOR.',
    authScopes: { operator: true },
    args: { input: t.arg({ type: ExecutionResultInput, required: true }) },
    resolve: (_root, { input }, ctx) => reportExecutionResult(ctx, { ...input, execId: String(input.execId) }),
  }),
}));
