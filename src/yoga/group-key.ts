import type { ExecutionArgs } from 'graphql';
import type { Context } from '../context.js';

/**
 * What decides a subscription's result besides its document and the event:
 * subscribers with the same key see the same payload, so one execution serves
 * them all. Roles are in it: a field's scopes may show a different result to a
 * different role.
 */
export function sharedResultKey(args: ExecutionArgs): string {
  const roles = (args.contextValue as Context).user?.roles.join(',') ?? '';
  return `${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${roles}`;
}
