import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.js';
import { noSuggestionsPlugin } from './no-suggestions.js';

/**
 * Refuses hostile operations during parse and validation, before any resolver
 * (and so the database) runs. The same plugins serve HTTP and graphql-ws, whose
 * operations go through the same enveloped parse and validate.
 */
export function limitPlugins(config: Config): Plugin[] {
  const { depth, aliases, directives, tokens, cost } = config.limits;
  const plugins: Plugin[] = [
    EnvelopArmorPlugin({
      maxDepth: { n: depth },
      maxAliases: { n: aliases },
      maxDirectives: { n: directives },
      maxTokens: { n: tokens },
      costLimit: { maxCost: cost },
      // No mask text either: "[Suggestion hidden]" would still say a near miss exists.
      blockFieldSuggestion: { enabled: !config.introspection, mask: '' },
    }) as Plugin,
    // Browsers may send "simple" cross-site requests without a preflight; those must carry this header.
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf'] }),
  ];
  if (!config.introspection) {
    plugins.push({ onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) });
    plugins.push(noSuggestionsPlugin());
  }
  return plugins;
}
