import { setCurrentOtelContext, useOpenTelemetry } from '@envelop/opentelemetry';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { getOperationAST, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { operationContexts, type Tracing } from './tracing.js';

const failed = (span: Span, error: unknown) => {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR });
};

/**
 * The GraphQL spans: an operation span (`query Dashboard`, with graphql.operation.name and .type) over
 * graphql.parse, graphql.validate and the execution, which @envelop/opentelemetry traces (and, for a
 * subscription over SSE or graphql-ws, the subscription, which lasts as long as it does). Neither the
 * document nor variables nor results are recorded. Placed after the plugins that replace execute or
 * subscribe, so the execution's statements run inside its span.
 */
export function graphqlTracing({ tracer, provider }: Tracing): Plugin[] {
  const operations = new WeakMap<object, Span>();
  const end = (graphqlContext: object, error?: unknown) => {
    const span = operations.get(graphqlContext);
    if (!span) return;
    operations.delete(graphqlContext);
    if (error !== undefined) failed(span, error);
    span.end();
  };
  const operationSpans: Plugin = {
    onParse({ context: graphqlContext }) {
      const parent = context.active();
      const operation = tracer.startSpan('graphql operation', { kind: SpanKind.INTERNAL }, parent);
      operations.set(graphqlContext, operation);
      const inOperation = trace.setSpan(parent, operation);
      setCurrentOtelContext(graphqlContext, inOperation);
      operationContexts.set(graphqlContext, inOperation);
      const parse = tracer.startSpan('graphql.parse', {}, inOperation);
      return ({ result }) => {
        if (result instanceof Error || result === null) {
          failed(parse, result);
          parse.end();
          return end(graphqlContext, result ?? new Error('parse failed'));
        }
        parse.end();
        const params = (graphqlContext as { params?: { operationName?: string | null } }).params;
        const ast = getOperationAST(result as DocumentNode, params?.operationName);
        const type = ast?.operation ?? 'unknown';
        const name = ast?.name?.value;
        operation.updateName(name ? `${type} ${name}` : type);
        operation.setAttribute('graphql.operation.type', type);
        if (name) operation.setAttribute('graphql.operation.name', name);
      };
    },
    onValidate({ context: graphqlContext, params }) {
      const operation = operations.get(graphqlContext);
      if (!operation) return;
      const validate = tracer.startSpan('graphql.validate', {}, trace.setSpan(context.active(), operation));
      return ({ valid, result }) => {
        if (!valid) {
          const error = result[0];
          failed(validate, error);
          validate.end();
          return end(graphqlContext, error);
        }
        validate.end();
        // A subscription's own span (below, or src/live/fanout.ts) lasts as long as it does; the operation ends here.
        if (getOperationAST(params.documentAST, (graphqlContext as { params?: { operationName?: string } }).params?.operationName)?.operation === 'subscription') {
          end(graphqlContext);
        }
      };
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          const errors = 'errors' in result ? result.errors : undefined;
          end(args.contextValue as object, errors?.length ? errors[0] : undefined);
        },
      };
    },
  };
  return [
    operationSpans,
    useOpenTelemetry(
      { document: false, variables: false, result: false, resolvers: false },
      provider,
      SpanKind.INTERNAL,
      {},
      'opsgraph',
      'graphql.execute ',
    ) as Plugin,
  ];
}
