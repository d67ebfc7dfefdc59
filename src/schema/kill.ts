import type { KillSignalRow } from '../db/kill-signals.js';
import { killJob, type KillJobResult } from '../resolvers/executions.js';
import { rowIdOf } from '../global-ids.js';
import { builder } from './builder.js';
import { ROW_ID } from './node.js';

const KillJobResultRef = builder.objectRef<KillJobResult>('KillJobResult').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    jobId: t.exposeID('jobId', { description: "The job's rowId." }),
    execIds: t.exposeIDList('execIds', { description: 'The rowIds of the executions that were signalled.' }),
    count: t.exposeInt('count'),
  }),
});

/** One signal as agents receive it; Subscription.killSignals (the event bus) emits these rows. */
export const KillSignalRef = builder.objectRef<KillSignalRow>('KillSignal').implement({
  authScopes: { operator: true },
  fields: (t) => ({
    // The one id that stays a bare number: the contract promises agents that it increases, and they
    // compare it. It is still unique across the API, as every other id is a global id, whose base64
    // text starts with the letter its type name's first byte gives (Q to W), never a digit.
    id: t.exposeID('id', { description: 'Increases with every signal recorded; pass the last one seen as killSignals(after:).' }),
    rowId: t.exposeID('id', { description: `${ROW_ID} The same as id: a kill signal's id is its sequence number.` }),
    execId: t.exposeID('execId', { description: "The execution's rowId." }),
    jobId: t.exposeID('jobId', { description: "The job's rowId." }),
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
    resolve: (_root, args, ctx) => killJob(ctx, rowIdOf('Job', args.id)),
  }),
);
