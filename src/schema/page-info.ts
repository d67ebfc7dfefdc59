import type { ObjectRef } from '@pothos/core';
import type { Page } from '../resolvers/pagination.js';
import { builder } from './builder.js';

export const PageInfo = builder.objectRef<Page<unknown>['pageInfo']>('PageInfo').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/** Declares `<name>Connection` and `<name>Edge` in the shape every contract connection has. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function connectionOf<T extends { id: string }>(name: string, node: ObjectRef<any, T>) {
  const Edge = builder.objectRef<Page<T>['edges'][number]>(`${name}Edge`).implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node, resolve: (edge) => edge.node as never }),
    }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    authScopes: { viewer: true },
    fields: (t) => ({
      totalCount: t.exposeInt('totalCount'),
      edges: t.field({ type: [Edge], resolve: (page) => page.edges }),
      nodes: t.field({ type: [node], resolve: (page) => page.nodes as never }),
      pageInfo: t.field({ type: PageInfo, resolve: (page) => page.pageInfo }),
    }),
  });
}
