/**
 * Hive Gateway in front of opsgraph and your other subgraphs, commented for copying
 * (docs/frontend.md, "In a federated supergraph"). As gateway.config.ts beside a composed
 * supergraph.graphql, `npx hive-gateway supergraph` serves it; test/federation.test.ts runs a
 * gateway on this very configuration.
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GatewayConfigSupergraph, GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, type ValidationContext } from 'graphql';

/**
 * opsgraph's own limits (docs/requests.md, "Query limits"; GRAPHQL_MAX_DEPTH and the others: keep
 * these equal to what your opsgraph runs with). opsgraph refuses an operation over them, but behind a
 * gateway it sees only its own part of a query: the gateway must refuse the whole query first, or the
 * other subgraphs' parts would run and the client get half an answer.
 */
export const OPSGRAPH_LIMITS = { depth: 6, cost: 50_000, aliases: 15, directives: 50, tokens: 1_000 };

/**
 * What the gateway adds to its part of a query before sending it to opsgraph, in tokens: an `_entities`
 * fetch's variable, field and type condition (about 20) and a `__typename` per object. The gateway
 * allows this many fewer, so that what it sends never breaks opsgraph's token limit.
 */
export const TOKENS_THE_GATEWAY_ADDS = 100;

/** The refusal opsgraph gives: a validation error with the limit's own code, not armor's "Syntax Error". */
function refusal(message: string, code: string): GraphQLError {
  return new GraphQLError(message.replace(/^Syntax Error: /, ''), { extensions: { code, http: { status: 400, spec: true } } });
}

const report = (code: string) => ({
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(refusal(error.message, code))],
});

/** The same graphql-armor rules with the same options as opsgraph's src/yoga/limits.ts: fragments add no depth and no cost. */
export function opsgraphLimits(limits = OPSGRAPH_LIMITS): GatewayPlugin[] {
  const tokenRefusals: GatewayPlugin = {
    onParse: ({ parseFn, setParseFn }) => {
      setParseFn((source, options) => {
        try {
          return parseFn(source, options);
        } catch (error) {
          if (error instanceof GraphQLError && /^Syntax Error: Token limit/.test(error.message)) throw refusal(error.message, 'QUERY_TOKEN_LIMIT');
          throw error;
        }
      });
    },
  };
  return [
    EnvelopArmorPlugin({
      maxDepth: { n: limits.depth, flattenFragments: true, ...report('QUERY_DEPTH_LIMIT') },
      maxAliases: { n: limits.aliases, ...report('QUERY_ALIAS_LIMIT') },
      maxDirectives: { n: limits.directives, ...report('QUERY_DIRECTIVE_LIMIT') },
      maxTokens: { n: limits.tokens - TOKENS_THE_GATEWAY_ADDS },
      costLimit: {
        maxCost: limits.cost,
        objectCost: 2,
        scalarCost: 1,
        depthCostFactor: 1,
        flattenFragments: true,
        ...report('QUERY_COST_LIMIT'),
      },
      blockFieldSuggestion: { enabled: false },
    }) as GatewayPlugin,
    tokenRefusals,
  ];
}

export const gatewayConfig = {
  supergraph: './supergraph.graphql',
  // opsgraph authorises every field itself: the caller's bearer token must reach it, on queries,
  // mutations and subscriptions alike (the gateway subscribes to opsgraph over SSE, a GET of
  // /graphql with `Accept: text/event-stream`, carrying these headers).
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
  },
  plugins: () => opsgraphLimits(),
} satisfies GatewayConfigSupergraph;
