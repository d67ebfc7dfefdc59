import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

// graphql-js appends these to unknown fields, arguments, types, enum values and input fields:
// `Did you mean "scanType"?`, `Did you mean the enum value "DEAD" or "READ"?`.
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function strip<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || !error.message.includes('Did you mean')) return error;
  return new GraphQLError(error.message.replace(SUGGESTION, ''), {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
}

/** The result without schema hints in its error messages. */
export function withoutSuggestions<T extends ExecutionResult>(result: T): T {
  return result.errors?.length ? { ...result, errors: result.errors.map((error) => strip(error) as GraphQLError) } : result;
}

/**
 * With introspection off, error messages must not hand the schema out piece by
 * piece either. graphql-armor's blockFieldSuggestion covers field suggestions
 * in validation only; this covers every "Did you mean …" (fields, arguments,
 * types, enum values, input fields) in validation, in variable coercion and
 * in execution results, over HTTP, SSE and graphql-ws alike.
 */
export function noSuggestionsPlugin(): Plugin {
  return {
    onValidate: () => ({ valid, result, setResult }) => {
      if (!valid) setResult(result.map(strip));
    },
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!(Symbol.asyncIterator in result)) setResult(withoutSuggestions(result));
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult: ({ result, setResult }) => {
        if (!(Symbol.asyncIterator in result)) setResult(withoutSuggestions(result));
      },
    }),
  };
}
