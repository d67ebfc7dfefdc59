import type { Context } from '../context.js';
import { UnauthenticatedError } from '../errors.js';

/** The caller's sub, for the audit log and the *By columns. Scope auth has already refused anonymous callers. */
export function actorOf(ctx: Pick<Context, 'user'>): string {
  if (!ctx.user) throw new UnauthenticatedError();
  return ctx.user.sub;
}
