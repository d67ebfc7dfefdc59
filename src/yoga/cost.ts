import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionNode, type ValueNode } from 'graphql';

/**
 * graphql-armor's cost rule with the options opsgraph gives it (src/yoga/limits.ts): 1 per scalar
 * field, 2 per object field or inline fragment and 3 per fragment spread, plus what they select,
 * all times the `first` or `last` of the field. armor reads only a literal page size, during
 * validation; this one also reads a variable's value, when the operation runs. A federation gateway
 * sends every literal of a query as a variable, so without it each page would count as 1.
 */
export function selectionCost(
  selections: readonly SelectionNode[],
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Readonly<Record<string, unknown>> = {},
  inside: ReadonlySet<string> = new Set(),
): number {
  let cost = 0;
  for (const node of selections) {
    if (node.kind === Kind.FRAGMENT_SPREAD) {
      const fragment = fragments[node.name.value];
      // Cycles are invalid documents, refused before execution; the guard only keeps this total.
      if (!fragment || inside.has(fragment.name.value)) cost += 1;
      else cost += 3 + selectionCost(fragment.selectionSet.selections, fragments, variables, new Set([...inside, fragment.name.value]));
    } else if (!node.selectionSet) {
      cost += 1;
    } else {
      const page = node.kind === Kind.FIELD ? node.arguments?.find((arg) => arg.name.value === 'first' || arg.name.value === 'last') : undefined;
      cost += (2 + selectionCost(node.selectionSet.selections, fragments, variables, inside)) * pageSize(page?.value, variables);
    }
  }
  return cost;
}

function pageSize(value: ValueNode | undefined, variables: Readonly<Record<string, unknown>>): number {
  const n = value?.kind === Kind.INT ? parseInt(value.value, 10) : value?.kind === Kind.VARIABLE ? variables[value.name.value] : null;
  return typeof n === 'number' && Number.isInteger(n) && n > 1 ? n : 1;
}

/** Whether any `first` or `last` in the document is a variable: only those documents need counting again when they run. */
export function hasVariablePageSize(document: DocumentNode): boolean {
  let found = false;
  const visit = (selections: readonly SelectionNode[]) => {
    for (const node of selections) {
      if (found) return;
      if (node.kind === Kind.FIELD && node.arguments?.some((arg) => (arg.name.value === 'first' || arg.name.value === 'last') && arg.value.kind === Kind.VARIABLE)) found = true;
      if (node.kind !== Kind.FRAGMENT_SPREAD && node.selectionSet) visit(node.selectionSet.selections);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition.selectionSet.selections);
  }
  return found;
}
