import { MAX_NODES, node, nodes, type NodeValue } from '../resolvers/node.js';
import { builder } from './builder.js';

// GraphQL Global Object Identification: the Node interface, node(id:) and
// nodes(ids:), which Relay's @refetchable fragments query. Every type with an
// id has a global id (src/global-ids.ts); these implement Node.

export const NodeRef = builder.interfaceRef<object>('Node').implement({
  description: 'An object with an id unique across the whole API, which node(id:) reads again.',
  // Query.node tags what it loads with its type (src/resolvers/node.ts); no other field returns a Node.
  resolveType: (value) => (value as NodeValue).__typename,
  fields: (t) => ({
    id: t.id({ description: 'Unique across every type; opaque. rowId is the key within the type.' }),
  }),
});

/** The description of every `rowId` field. */
export const ROW_ID = 'The key of this object within its type: what `id` was before ids became global, and what arguments named *Id take.';

builder.queryFields((t) => ({
  node: t.field({
    type: NodeRef,
    nullable: true,
    description:
      'The object with this global id; null when there is none (any other string, a rowId, a deleted object).\n' +
      'FORBIDDEN when your role may not read its type (AuditEntry: ADMIN). VIEWER.',
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => node(ctx, String(args.id)),
  }),
  nodes: t.field({
    type: [NodeRef],
    nullable: { list: false, items: true },
    description:
      `The objects with these global ids, in order, each as node(id:) answers it (null, or an error at\n` +
      `its index). At most ${MAX_NODES} ids, else BAD_USER_INPUT. VIEWER.`,
    authScopes: { viewer: true },
    args: { ids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) => nodes(ctx, args.ids.map(String)),
  }),
}));
