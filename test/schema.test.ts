import { existsSync, readFileSync } from 'node:fs';
import { buildSchema, findBreakingChanges, getNamedType, isAbstractType, isObjectType, printSchema, type GraphQLField, type GraphQLObjectType } from 'graphql';
import { printSubgraphSchema } from '@apollo/subgraph';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';

// The repository's copy of the contract; the shared folder beside the clone (CI has it) is the original.
const CONTRACT = new URL('../contract/schema.graphql', import.meta.url);
const SHARED_CONTRACT = new URL('../../shared/contract/schema.graphql', import.meta.url);

type PothosOptions = { authScopes?: unknown; skipTypeScopes?: boolean } | undefined;
const optionsOf = (x: { extensions?: unknown }) => (x.extensions as { pothosOptions?: PothosOptions } | undefined)?.pothosOptions;
const RANK: Record<string, number> = { public: 0, viewer: 1, operator: 2, admin: 3, superadmin: 4 };

// The federation fields are not Pothos fields, so they carry no scopes of their own: `_service` is public as
// introspection is (and off with it), and `_entities` checks each representation against its type's own scopes
// (src/schema/federation.ts, shown with a gateway in test/federation.test.ts).
const FEDERATION_FIELDS = new Set(['_entities', '_service']);

/** The least role a scope map lets through (any one scope suffices); a function or nothing guarantees nothing. */
function leastRole(scopes: unknown): number {
  if (!scopes || typeof scopes !== 'object') return 0;
  return Math.min(...Object.keys(scopes).map((name) => RANK[name] ?? 0));
}

describe('printed schema', () => {
  it('schema.graphql is what the builder prints (run npm run codegen)', () => {
    const onDisk = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(onDisk).toBe(printSchema(schema) + '\n');
  });

  it('subgraph.graphql is the same schema as a federation subgraph prints it (run npm run codegen)', () => {
    const onDisk = readFileSync(new URL('../subgraph.graphql', import.meta.url), 'utf8');
    expect(onDisk).toBe(printSubgraphSchema(schema) + '\n');
  });

  it('is a superset of the contract (findBreakingChanges finds nothing)', () => {
    const contract = buildSchema(readFileSync(CONTRACT, 'utf8'));
    expect(findBreakingChanges(contract, schema).map((change) => change.description)).toEqual([]);
  });

  it.skipIf(!existsSync(SHARED_CONTRACT))("contract/schema.graphql is the shared contract's current text (copy ../shared/contract/ over)", () => {
    expect(readFileSync(CONTRACT, 'utf8')).toBe(readFileSync(SHARED_CONTRACT, 'utf8'));
  });

  it('declares a least role on every field: on the field itself, or on its object type', () => {
    const missing: string[] = [];
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || type.name === '_Service') continue;
      const typeScopes = (type.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;
      for (const field of Object.values(type.getFields())) {
        const fieldScopes = (field.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;
        // Root fields must carry their own; on other types the type's scopes cover every field.
        if (type === schema.getQueryType() && FEDERATION_FIELDS.has(field.name)) continue;
        if (!fieldScopes && (roots.includes(type) || !typeScopes)) missing.push(`${type.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  // A field that skips its type's scopes (skipTypeScopes, for lists of many objects) is only as safe as every
  // way to reach an object of that type: each field returning the type must itself let through no less than
  // the type's least role, by its own scopes or by its parent type's, recursively where the parent skips too.
  it('keeps the least role of a type whose fields skip its scopes, on every field that returns it', () => {
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    const objectTypes = Object.values(schema.getTypeMap()).filter(
      (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'),
    );
    const returning = (target: GraphQLObjectType) =>
      objectTypes.flatMap((parent) =>
        Object.values(parent.getFields())
          .filter((field) => {
            const named = getNamedType(field.type);
            return named === target || (isAbstractType(named) && schema.isSubType(named, target));
          })
          .map((field) => ({ parent, field })),
      );
    /** The least role every path to an object of this type has already checked. */
    const reached = (type: GraphQLObjectType, seen: Set<GraphQLObjectType>): number => {
      if (seen.has(type)) return 0; // a cycle guarantees nothing by itself
      const paths = returning(type);
      return paths.length === 0 ? 0 : Math.min(...paths.map(({ parent, field }) => guaranteed(parent, field, type, new Set([...seen, type]))));
    };
    const guaranteed = (parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, target: GraphQLObjectType, seen: Set<GraphQLObjectType>): number => {
      if (parent === schema.getQueryType() && field.name === '_entities') return leastRole(optionsOf(target)?.authScopes);
      const own = leastRole(optionsOf(field)?.authScopes);
      if (roots.includes(parent)) return own;
      const fromType = optionsOf(field)?.skipTypeScopes ? reached(parent, seen) : leastRole(optionsOf(parent)?.authScopes);
      return Math.max(own, fromType);
    };

    const skipping = objectTypes.filter((type) => Object.values(type.getFields()).some((field) => optionsOf(field)?.skipTypeScopes));
    expect(skipping.map((type) => type.name).sort()).toEqual(['FailurePoint', 'Job', 'JobLiveCounts']);
    const weaker: string[] = [];
    for (const type of skipping) {
      const least = leastRole(optionsOf(type)?.authScopes);
      for (const { parent, field } of returning(type)) {
        if (guaranteed(parent, field, type, new Set([type])) < least) weaker.push(`${parent.name}.${field.name} -> ${type.name}`);
      }
    }
    expect(weaker).toEqual([]);
  });
});
