import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { Kind, parse, specifiedRules, validate, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { hasVariablePageSize, selectionCost } from '../src/yoga/cost.js';

// src/yoga/cost.ts counts as graphql-armor's cost rule does, with opsgraph's options (src/yoga/limits.ts),
// and also reads page sizes from variables. Each document here is written twice: with literal page sizes,
// which armor counts, and with variables, as a federation gateway sends it.
const documents: [string, Record<string, number>][] = [
  ['{ executions(first: $a) { edges { node { id status job { id live { running pending } } } } } }', { a: 500 }],
  ['{ notifications(status: DEAD, first: $a) { totalCount nodes { ...N } pageInfo { hasNextPage endCursor } } } fragment N on Notification { id subject lastError }', { a: 20 }],
  ['{ x: notifications(first: $a) { totalCount } y: auditLog(first: $b) { nodes { ... on AuditEntry { id action } } } jobs { id live { running } } }', { a: 3, b: 40 }],
  ['{ executions(first: $a) { edges { node { ...E } } } } fragment E on Execution { id job { ...J } } fragment J on Job { id version }', { a: 7 }],
];

/** What armor's rule finds for the document, as opsgraph configures it. */
function armorCost(document: DocumentNode): number {
  let found = -1;
  const rule = costLimitRule({
    maxCost: Number.MAX_SAFE_INTEGER,
    objectCost: 2,
    scalarCost: 1,
    depthCostFactor: 1,
    flattenFragments: true,
    onAccept: [(_context, { n }) => (found = n)],
  });
  expect(validate(schema, document, [...specifiedRules, rule])).toEqual([]);
  return found;
}

function ownCost(document: DocumentNode, variables: Record<string, number> = {}): number {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  return selectionCost(operation.selectionSet.selections, fragments, variables);
}

describe('the cost rule with variables', () => {
  it.each(documents)('counts %s as armor counts its literal form', (text, variables) => {
    const literal = parse(text.replace(/\$(\w+)/g, (_, name: string) => String(variables[name])));
    const declared = Object.keys(variables).map((name) => `$${name}: Int`).join(', ');
    const withVariables = parse(text.replace(/^\{/, `query (${declared}) {`));
    expect(hasVariablePageSize(literal)).toBe(false);
    expect(hasVariablePageSize(withVariables)).toBe(true);
    const armor = armorCost(literal);
    expect(ownCost(literal)).toBe(armor);
    expect(ownCost(withVariables, variables)).toBe(armor);
    // What armor alone made of the variable form: every page counted as 1.
    expect(armorCost(withVariables)).toBeLessThan(armor);
  });
});
