import type { Sql } from './client.js';

export interface AuditRow {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  at: Date;
}

/** Written inside the caller's transaction, so an audited change and its entry commit together. */
export async function insertAudit(
  sql: Sql,
  entry: { actor: string; action: string; target?: string | null; details?: Record<string, unknown> },
): Promise<void> {
  await sql`
    insert into audit_log (actor, action, target, details)
    values (${entry.actor}, ${entry.action}, ${entry.target ?? null}, ${sql.json((entry.details ?? {}) as never)})`;
}

export async function listAudit(
  sql: Sql,
  opts: { limit: number; beforeId: string | null; action: string | null },
): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    select id::text, actor, action, target, details, at
    from audit_log
    where (${opts.action}::text is null or action = ${opts.action})
      and (${opts.beforeId}::bigint is null or id < ${opts.beforeId}::bigint)
    order by audit_log.id desc
    limit ${opts.limit}`;
}

/** The entries among these ids (each a bigint in decimal); the missing ones are absent. */
export async function auditEntriesByIds(sql: Sql, ids: readonly string[]): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    select id::text, actor, action, target, details, at
    from audit_log where id = any(${sql.array(ids as string[])}::bigint[])`;
}

export async function countAudit(sql: Sql, action: string | null): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from audit_log where (${action}::text is null or action = ${action})`;
  return row!.n;
}
