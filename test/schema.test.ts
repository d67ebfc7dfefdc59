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

  it('declares a least role on every root field', () => {
    const missing: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      if (!isObjectType(root)) continue;
      for (const field of Object.values(root.getFields())) {
        const options = field.extensions?.pothosOptions as { authScopes?: unknown } | undefined;
        if (!options?.authScopes) missing.push(`${root.name}.${field.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
