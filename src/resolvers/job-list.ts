import type { Services } from '../context.js';
import { listJobIdsWithLiveCounts, type LiveCounts } from '../db/jobs.js';

/**
 * The whole job list's live counts as one live value: `complete` (every job,
 * in id order), or what changed since the last value a subscriber was sent.
 */
export interface JobListLiveCounts {
  complete: boolean;
  /** The jobs whose counts changed (or that appeared); every job when complete. */
  changed: LiveCounts[];
  /** Ids of the jobs no longer in the catalogue. */
  removed: string[];
}

/** Every job with its counts, in one statement from the counter cache (as Query.jobs { live }). */
export async function jobListLiveCounts({ sql }: Services): Promise<JobListLiveCounts> {
  return { complete: true, changed: await listJobIdsWithLiveCounts(sql), removed: [] };
}

/**
 * What a subscriber that was last sent the list `previous` (null: nothing yet)
 * is sent for the list `next`: all of it at first, then only the jobs whose
 * counts differ and the ids of those gone. Both are complete lists.
 */
export function jobListChanges(previous: JobListLiveCounts | null, next: JobListLiveCounts): JobListLiveCounts {
  if (previous === null) return next;
  const before = new Map(previous.changed.map((job) => [job.id, job]));
  const changed: LiveCounts[] = [];
  for (const job of next.changed) {
    const old = before.get(job.id);
    before.delete(job.id);
    if (!old || old.running !== job.running || old.pending !== job.pending) changed.push(job);
  }
  return { complete: false, changed, removed: [...before.keys()] };
}
