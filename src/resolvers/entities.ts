import DataLoader from 'dataloader';
import { loader, type Context } from '../context.js';
import { executionsByIds, type ExecutionRow } from '../db/executions.js';
import { notificationsByIds, type NotificationRow } from '../db/notifications.js';
import type { JobRow } from '../db/jobs.js';
import { parseSerialId } from './ids.js';
import { jobById } from './jobs.js';

// The objects a federation gateway asks for by key (`_entities`): every representation of a
// type in one request is loaded with one statement, as a gateway sends a whole list at once.
// An id that names nothing is null, which the gateway reports as a null entity.

function byIds<Row extends { id: string }>(ctx: Context, key: string, load: (ids: readonly string[]) => Promise<Row[]>, id: string) {
  const serial = parseSerialId(id);
  if (serial === null) return Promise.resolve(null);
  const rows = loader(ctx, key, () => new DataLoader<string, Row | null>(async (ids) => {
    const found = new Map((await load(ids)).map((row) => [row.id, row]));
    return ids.map((one) => found.get(one) ?? null);
  }));
  return rows.load(serial);
}

export const jobEntity = (ctx: Context, id: string): Promise<JobRow | null> => jobById(ctx, id);

export const executionEntity = (ctx: Context, id: string): Promise<ExecutionRow | null> =>
  byIds(ctx, 'executions.byId', (ids) => executionsByIds(ctx.sql, ids), id);

export const notificationEntity = (ctx: Context, id: string): Promise<NotificationRow | null> =>
  byIds(ctx, 'notifications.byId', (ids) => notificationsByIds(ctx.sql, ids), id);
