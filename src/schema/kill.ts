import type { KillSignalRow } from '../db/kill-signals.js';
import { killJob, type KillJobResult } from '../resolvers/executions.js';
import { builder } from './builder.js';

const KillJobResultRef = builder.objectRef<KillJobResult>('KillJobResult').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    execIds: t.exposeIDList('execIds', { description: 'The executions that were signalled.' }),
    count: t.exposeInt('count'),
  }),
});

/** One signal as agents receive it; Subscription.killSignals (the event bus) emits these rows. */
export const KillSignalRef = builder.objectRef<KillSignalRow>('KillSignal').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Increases with every signal recorded; pass the last one seen as killSignals(after:).' }),
    execId: t.exposeID('execId'),
    jobId: t.exposeID('jobId'),
    requestedBy: t.exposeString('requestedBy'),
    requestedAt: t.expose('requestedAt', { type: 'DateTime' }),
  }),
});

builder.mutationField('killJob', (t) =>
  t.field({
    type: KillJobResultRef,
    description:
      'Send a kill signal to every PENDING or RUNNING execution of the job, one\n' +
      'per execution; agents receive them on Subscription.killSignals. A job with\n' +
      'nothing in flight returns count 0 and no error. Audited. OPERATOR.',
    authScopes: { operator: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => killJob(ctx, String(args.id)),
  }),
);
