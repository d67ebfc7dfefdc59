import type { JobListLiveCounts } from '../resolvers/job-list.js';
import { builder } from './builder.js';
import { JobLiveCountsRef } from './job.js';

export const JobListLiveCountsRef = builder.objectRef<JobListLiveCounts>('JobListLiveCounts').implement({
  description: 'One push of Subscription.jobListLiveCounts.',
  authScopes: { viewer: true },
  fields: (t) => ({
    complete: t.exposeBoolean('complete', {
      description: 'True on the first push: `changed` then holds every job, in id order; replace the list with it.',
    }),
    changed: t.expose('changed', {
      type: [JobLiveCountsRef],
      description: 'Jobs whose counts changed, or that were added, in id order (every job when complete).',
    }),
    removed: t.exposeIDList('removed', { description: 'Ids of the jobs deleted from the catalogue since the last push.' }),
  }),
});
