// One fixture for the store checks of every normalised client (Relay, Apollo,
// urql): objects of different types whose natural keys are the same string,
// which Relay's store (keyed by id alone) used to merge into one record.
import { expect } from 'vitest';
import type { TestApp } from '../helpers.js';

/** What the collision query must read back, whatever the client's store did with it. */
export interface CollisionTruth {
  notification: { rowId: string; status: string };
  execution: { rowId: string; status: string; jobId: string };
  job: { rowId: string; live: { running: number; pending: number } };
  schedule: { rowId: string; cron: string };
}

/**
 * Job "1" (and so its JobLiveCounts "1"), schedule "1", notification 1 and a
 * RUNNING execution 1 of job "1": on the old ids, five objects with the id "1".
 * Run first in a test file, on its fresh database, so the serial rowIds are 1.
 */
export async function seedCollisions(t: TestApp): Promise<CollisionTruth> {
  const ok = async (query: string, as: 'ADMIN' | 'OPERATOR') => {
    const result = await t.gql(query, {}, as);
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  await ok('mutation { upsertJob(input: { id: "1", version: "v1" }) { id } }', 'ADMIN');
  await ok('mutation { upsertSchedule(input: { id: "1", jobId: "1", cron: "0 3 * * *" }) { id } }', 'ADMIN');
  const sent = await ok('mutation { sendNotification(input: { channel: LOG, recipient: "ops", subject: "collide", body: "b" }) { rowId status } }', 'OPERATOR');
  const started = await ok('mutation { startExecution(input: { jobId: "1", targetCount: 2 }) { id rowId } }', 'OPERATOR');
  const reported = await ok(
    `mutation { reportExecutionResult(input: { execId: "${started.startExecution.rowId}", agentId: "a1", success: true }) { status } }`,
    'OPERATOR',
  );
  const truth: CollisionTruth = {
    notification: { rowId: sent.sendNotification.rowId, status: sent.sendNotification.status },
    execution: { rowId: started.startExecution.rowId, status: reported.reportExecutionResult.status, jobId: '1' },
    job: { rowId: '1', live: { running: 1, pending: 0 } },
    schedule: { rowId: '1', cron: '0 3 * * *' },
  };
  // The collision this fixture is for: every one of these had the id "1".
  expect([truth.notification.rowId, truth.execution.rowId]).toEqual(['1', '1']);
  // Two values of one field name, so a merged record shows one of them for both.
  expect([truth.notification.status, truth.execution.status]).toEqual(['PENDING', 'RUNNING']);
  return truth;
}

/** The collision query, as each client sends it (Relay's compiled twin is in relay/relayStore.ts). */
export const COLLISIONS = `query Collisions($notification: ID!) {
  jobs { id rowId version live { id rowId running pending } }
  notification(id: $notification) { id rowId status subject }
  executions(jobId: "1") { nodes { id rowId status jobId } }
  schedules { id rowId cron jobId }
}`;

/** The result of the collision query, however a client's store read it back. */
export interface CollisionData {
  jobs: readonly { rowId: string; live: { rowId: string; running: number; pending: number } }[];
  notification: { rowId: string; status: string } | null | undefined;
  executions: { nodes: readonly { rowId: string; status: string; jobId: string }[] };
  schedules: readonly { rowId: string; cron: string; jobId: string }[];
}

/** What a store read back differently from what the server said; [] when the store kept every object apart. */
export function misreadings(data: CollisionData, truth: CollisionTruth): string[] {
  const found: string[] = [];
  const check = (what: string, read: unknown, expected: unknown) => {
    if (JSON.stringify(read) !== JSON.stringify(expected)) found.push(`${what}: read ${JSON.stringify(read)}, the server said ${JSON.stringify(expected)}`);
  };
  const job = data.jobs.find((j) => j.rowId === truth.job.rowId);
  check('job "1" live counts', job && { running: job.live.running, pending: job.live.pending }, truth.job.live);
  check('notification 1 status', data.notification?.status, truth.notification.status);
  const execution = data.executions.nodes.find((e) => e.rowId === truth.execution.rowId);
  check('execution 1 status', execution?.status, truth.execution.status);
  check('schedule "1" cron', data.schedules.find((s) => s.rowId === truth.schedule.rowId)?.cron, truth.schedule.cron);
  return found;
}
