import { countAudit, listAudit, type AuditRow } from '../db/audit.js';
import type { Services } from '../context.js';
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
