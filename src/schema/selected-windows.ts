import { getArgumentValues, isObjectType, Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { FailureCountArgs } from '../resolvers/failures.js';

/**
 * The arguments of every Dashboard.failureCount in a dashboard subscription's
 * selection (aliases, fragments and variables included), so the live badge
 * can count and age out each window it shows.
 */
export function selectedFailureWindows(info: GraphQLResolveInfo): FailureCountArgs[] {
  const dashboard = info.schema.getType('Dashboard');
  if (!isObjectType(dashboard)) return [];
  const field = dashboard.getFields().failureCount!;
  const windows: FailureCountArgs[] = [];
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === 'failureCount') windows.push(getArgumentValues(field, selection, info.variableValues) as unknown as FailureCountArgs);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        walk(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return windows;
}
