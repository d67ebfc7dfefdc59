import { GraphQLError, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { Context } from '../context.js';
import { ForbiddenError } from '../errors.js';
import { executionEntity, jobEntity, notificationEntity } from '../resolvers/entities.js';
import { selectionCost } from '../yoga/cost.js';
import { LIMIT_CODES } from '../yoga/limits.js';
import { builder } from './builder.js';
import { ExecutionRef } from './execution.js';
import { JobRef } from './job.js';
import { Notification } from './notification.js';
import { authScopesOf, unauthorized, type ScopeName } from './scopes.js';

/**
 * opsgraph as an Apollo Federation v2 subgraph, on the same endpoint as the standalone API
 * (docs/frontend.md, "In a federated supergraph"). Job, Execution and Notification are entities
 * keyed by `id`; a gateway loads them through `_entities`, which answers a caller only what the
 * type's own fields would: each representation is refused unless the caller holds the least
 * role its type declares (`authScopes` on the type), with the error those fields give.
 */

const byId = builder.selection<{ id: string }>('id');

/** The scopes declared on an object type, as Pothos recorded them; the same map its fields are checked against. */
function typeScopes(type: GraphQLObjectType): unknown {
  return (type.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;
}

/** Throws the type's refusal unless the caller holds one of the scopes on it. A type without a plain scope map is refused to all. */
export function checkTypeScopes(ctx: Context, type: GraphQLObjectType): void {
  const scopes = typeScopes(type);
  const held = authScopesOf(ctx);
  const allowed =
    typeof scopes === 'object' && scopes !== null && Object.entries(scopes).some(([name, wanted]) => wanted === true && held[name as ScopeName] === true);
  if (!allowed) throw unauthorized(ctx);
}

/** Async, so that a refusal is that representation's error (and null), not the whole `_entities` field's. */
function entity<Row>(typeName: string, load: (ctx: Context, id: string) => Promise<Row | null>) {
  return async (reference: { id: string }, ctx: Context, info: GraphQLResolveInfo): Promise<Row | null> => {
    checkTypeScopes(ctx, info.schema.getType(typeName) as GraphQLObjectType);
    return load(ctx, String(reference.id));
  };
}

builder.asEntity(JobRef, { key: byId, resolveReference: entity('Job', jobEntity) });
builder.asEntity(ExecutionRef, { key: byId, resolveReference: entity('Execution', executionEntity) });
builder.asEntity(Notification, { key: byId, resolveReference: entity('Notification', notificationEntity) });

/** Refuses an `_entities` call whose representations, each at its selection's cost, are over GRAPHQL_MAX_COST, before loading any. */
function limitEntities(resolve: GraphQLFieldResolver<unknown, Context>): GraphQLFieldResolver<unknown, Context> {
  return (root, args: { representations?: unknown[] }, ctx, info) => {
    const count = args.representations?.length ?? 0;
    // What one entity's selection costs by the cost limit's rule (src/yoga/cost.ts); armor counted `_entities`
    // once, at validation, when the number of representations (a variable) was not known yet.
    const each = Math.max(1, selectionCost(info.fieldNodes.flatMap((node) => node.selectionSet?.selections ?? []), info.fragments, info.variableValues));
    const max = ctx.config.limits.cost;
    if (count * each > max) {
      throw new GraphQLError(
        `Query Cost limit of ${max} exceeded, found ${count * each} (${count} representations at a cost of ${each} each).`,
        { extensions: { code: LIMIT_CODES.cost } },
      );
    }
    return resolve(root, args, ctx, info);
  };
}

/** `_service { sdl }` publishes the schema, as introspection does: with GRAPHQL_INTROSPECTION=off, compose from subgraph.graphql instead. */
function publishedSdl(resolve: GraphQLFieldResolver<unknown, Context>): GraphQLFieldResolver<unknown, Context> {
  return (root, args, ctx, info) => {
    if (!ctx.config.introspection) throw new ForbiddenError('_service is off with introspection (GRAPHQL_INTROSPECTION=off); compose from subgraph.graphql');
    return resolve(root, args, ctx, info);
  };
}

/** The builder's schema with `_service`, `_entities` and the federation directives (printed by printSubgraphSchema). */
export function buildSubgraphSchema(): GraphQLSchema {
  const schema = builder.toSubGraphSchema({});
  const fields = schema.getQueryType()!.getFields();
  const entities = fields._entities!;
  const service = fields._service!;
  entities.resolve = limitEntities(entities.resolve as GraphQLFieldResolver<unknown, Context>);
  service.resolve = publishedSdl(service.resolve as GraphQLFieldResolver<unknown, Context>);
  return schema;
}
