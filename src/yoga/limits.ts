import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, NoSchemaIntrospectionCustomRule, getOperationAST, type DocumentNode, type FragmentDefinitionNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { hasVariablePageSize, selectionCost } from './cost.js';
import { noSuggestionsPlugin } from './no-suggestions.js';

/** The `extensions.code` of each limit's refusal (docs/requests.md: "Query limits"). */
export const LIMIT_CODES = {
  depth: 'QUERY_DEPTH_LIMIT',
  cost: 'QUERY_COST_LIMIT',
  aliases: 'QUERY_ALIAS_LIMIT',
  directives: 'QUERY_DIRECTIVE_LIMIT',
  tokens: 'QUERY_TOKEN_LIMIT',
} as const;

// graphql-armor words every refusal as a parser error ("Syntax Error: …") with
// no code. A refusal is a validation error of a well-formed document: it gets
// the code of its limit, and the HTTP treatment yoga gives validation errors
// (400 under application/graphql-response+json, 200 under application/json).
export function refusal(message: string, code: string): GraphQLError {
  return new GraphQLError(message.replace(/^Syntax Error: /, ''), {
    extensions: { code, http: { status: 400, spec: true } },
  });
}

/** Reports a validation rule's refusal as a validation error (so every limit broken is listed) instead of throwing it. */
function report(code: string) {
  return {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(refusal(error.message, code))],
  };
}

/** The token limit is enforced by armor's parser, which throws: its error is rewritten where it is thrown, so yoga's parse cache keeps the rewritten one. */
const tokenRefusals: Plugin = {
  onParse: ({ parseFn, setParseFn }) => {
    setParseFn((source, options) => {
      try {
        return parseFn(source, options);
      } catch (error) {
        if (error instanceof GraphQLError && /^Syntax Error: Token limit/.test(error.message)) {
          throw refusal(error.message, LIMIT_CODES.tokens);
        }
        throw error;
      }
    });
  },
};

/**
 * The cost limit again when the operation runs, for documents whose page sizes are variables (armor
 * counts each as 1): the cost with their values, before any resolver. A federation gateway sends every
 * `first: 500` of its clients as `first: $first` (docs/frontend.md), and so may any client.
 */
function variablePageCost(maxCost: number): Plugin {
  const counted = new WeakMap<DocumentNode, boolean>();
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const document = args.document as DocumentNode;
      let variable = counted.get(document);
      if (variable === undefined) counted.set(document, (variable = hasVariablePageSize(document)));
      if (!variable) return;
      const operation = getOperationAST(document, args.operationName);
      if (!operation) return;
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
      const cost = selectionCost(operation.selectionSet.selections, fragments, (args.variableValues ?? {}) as Record<string, unknown>);
      if (cost > maxCost) setResultAndStopExecution({ errors: [refusal(`Query Cost limit of ${maxCost} exceeded, found ${cost}.`, LIMIT_CODES.cost)] });
    },
  };
}

/**
 * Refuses hostile operations during parse and validation, before any resolver
 * (and so the database) runs. The same plugins serve HTTP, SSE and graphql-ws,
 * whose operations go through the same enveloped parse and validate.
 *
 * Fragment spreads and inline fragments add no level and no cost factor
 * (`flattenFragments`): `{ jobs { ...J } }` is exactly as deep and as costly as
 * the same selection written inline, which is how colocated-fragment clients
 * (Apollo, Relay, urql) write every query.
 */
export function limitPlugins(config: Config): Plugin[] {
  const { depth, aliases, directives, tokens, cost } = config.limits;
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: depth, flattenFragments: true, ...report(LIMIT_CODES.depth) },
      maxAliases: { n: aliases, ...report(LIMIT_CODES.aliases) },
      maxDirectives: { n: directives, ...report(LIMIT_CODES.directives) },
      maxTokens: { n: tokens },
      // Cost: 1 per scalar field, 2 per object field, times the page size (`first`) of
      // every connection around it; no extra factor per level (the depth limit bounds that).
      costLimit: { maxCost: cost, objectCost: 2, scalarCost: 1, depthCostFactor: 1, flattenFragments: true, ...report(LIMIT_CODES.cost) },
      // No mask text either: "[Suggestion hidden]" would still say a near miss exists.
      blockFieldSuggestion: { enabled: !config.introspection, mask: '' },
    }) as Plugin,
    tokenRefusals,
    variablePageCost(cost),
  ];
  if (!config.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
    plugins.push(noSuggestionsPlugin());
  }
  return plugins;
}
