import { existsSync, readFileSync } from 'node:fs';
import { buildSchema, findBreakingChanges, isObjectType, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';

const CONTRACT = new URL('../../shared/contract/schema.graphql', import.meta.url);

describe('printed schema', () => {
  it('schema.graphql is what the builder prints (run npm run codegen)', () => {
    const onDisk = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(onDisk).toBe(printSchema(schema) + '\n');
  });

  it.skipIf(!existsSync(CONTRACT))('is a superset of the contract (findBreakingChanges finds nothing)', () => {
    const contract = buildSchema(readFileSync(CONTRACT, 'utf8'));
    expect(findBreakingChanges(contract, schema).map((change) => change.description)).toEqual([]);
  });

  it('declares a least role on every field: on the field itself, or on its object type', () => {
    const missing: string[] = [];
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      const typeScopes = (type.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;
      for (const field of Object.values(type.getFields())) {
        const fieldScopes = (field.extensions?.pothosOptions as { authScopes?: unknown } | undefined)?.authScopes;
        // Root fields must carry their own; on other types the type's scopes cover every field.
        if (!fieldScopes && (roots.includes(type) || !typeScopes)) missing.push(`${type.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
