import { useGraphQlJit } from '@envelop/graphql-jit';
import { GraphQLError, Kind, type DocumentNode, type SourceLocation } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.js';
import { compiledOperations } from '../metrics.js';

// Documents yoga's parse cache has handed out, and how often each was executed.
const seen = new WeakMap<DocumentNode, number>();

/**
 * Whether a document is compiled: a lone query operation (the plugin caches
 * one compiled operation per document, whatever operationName a later request
 * names; mutations and subscriptions keep graphql-js), and only once it has run
 * `after` times, so a stream of one-off documents never pays for compiling.
 */
function compiles(document: DocumentNode, after: number): boolean {
  let count = seen.get(document);
  if (count === undefined) {
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    count = operations.length === 1 && operations[0]!.operation === 'query' ? 0 : -1;
    seen.set(document, count);
  }
  if (count < 0) return false;
  if (count <= after) {
    seen.set(document, ++count);
    if (count > after) compiledOperations.inc();
  }
  return count > after;
}

/** The offset in the document of a line and column, as graphql-js reports them (both from 1). */
function positionOf(body: string, { line, column }: SourceLocation): number {
  let offset = 0;
  for (let i = 1; i < line; i++) offset = body.indexOf('\n', offset) + 1;
  return offset + column - 1;
}

/**
 * graphql-jit's errors carry line and column but not the document: yoga
 * re-creates every error from its source and positions when it writes the
 * response, and would drop their locations. Give them the document's.
 */
const keepLocations: Plugin = {
  onExecute: ({ args }) => ({
    onExecuteDone: ({ result, setResult }) => {
      const source = args.document.loc?.source;
      if (!source || Symbol.asyncIterator in result || !result.errors?.some((e) => e.locations && !e.source)) return;
      const errors = result.errors.map((error) =>
        error.locations && !error.source
          ? new GraphQLError(error.message, {
              source,
              positions: error.locations.map((location: SourceLocation) => positionOf(source.body, location)),
              path: error.path,
              originalError: error.originalError,
              extensions: error.extensions,
            })
          : error,
      );
      setResult({ ...result, errors });
    },
  }),
};

/**
 * Repeated queries run as graphql-jit compiles them: one generated function
 * per operation, with property reads inlined where a field has no resolver.
 * A list of 1 000 jobs executes several times faster than through graphql-js.
 * Resolvers, scope checks, errors (with their extensions) and masking are
 * unchanged: only the executor is.
 */
export function compiledQueries(log: Logger, after: number | null): Plugin[] {
  if (after === null) return [];
  const jit = useGraphQlJit(
    {},
    {
      enableIf: (args) => compiles(args.document, after),
      onError: (result) => log.warn({ errors: result.errors?.map((e) => e.message) }, 'graphql-jit could not compile an operation'),
    },
  ) as Plugin;
  return [jit, keepLocations];
}
