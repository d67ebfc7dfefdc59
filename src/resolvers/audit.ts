import { countAudit, listAudit, type AuditRow } from '../db/audit.js';
import type { Services } from '../context.js';
import { decodeCursor, pageSize, toPage, type Page } from './pagination.js';

export async function auditLog(
  { sql }: Services,
  args: { first?: number | null; after?: string | null; action?: string | null },
): Promise<Page<AuditRow>> {
  const size = pageSize(args.first);
  const beforeId = decodeCursor(args.after);
  const action = args.action ?? null;
  const [rows, total] = await Promise.all([
    listAudit(sql, { limit: size + 1, beforeId, action }),
    countAudit(sql, action),
  ]);
  return toPage(rows, size, total);
}
