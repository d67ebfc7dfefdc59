import DataLoader from 'dataloader';
import { auditEntriesByIds, countAudit, listAudit, type AuditRow } from '../db/audit.js';
import { loader, type Context, type Services } from '../context.js';
import { parseSerialId } from './ids.js';
import { paginate, type Page } from './pagination.js';

export async function auditLog(
  { sql }: Services,
  args: { first?: number | null; after?: string | null; action?: string | null },
): Promise<Page<AuditRow>> {
  const action = args.action ?? null;
  return paginate(
    args,
    (page) => listAudit(sql, { ...page, action }),
    () => countAudit(sql, action),
  );
}

/** One entry, batched per operation (Query.nodes); null for an id no entry has. The caller checks ADMIN. */
export function auditEntryById(ctx: Context, id: string): Promise<AuditRow | null> {
  const key = parseSerialId(id);
  if (key === null) return Promise.resolve(null);
  const byId = loader(ctx, 'audit.byId', () => new DataLoader<string, AuditRow | null>(async (ids) => {
    const rows = new Map((await auditEntriesByIds(ctx.sql, ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  }));
  return byId.load(key);
}
