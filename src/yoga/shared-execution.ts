import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { sharedResultKey } from './group-key.js';

type Results = Map<string, Promise<ExecutionResult>>;

// payload object → document → (variables, operation, roles) → result. Live badges hand the
// same payload object to every subscriber of an argument set, so the first
// subscriber's execution serves all the others.
const cache = new WeakMap<object, WeakMap<DocumentNode, Results>>();

function executeShared(args: ExecutionArgs, payload: unknown): Promise<ExecutionResult> | ExecutionResult {
  if (typeof payload !== 'object' || payload === null) return execute({ ...args, rootValue: payload }) as ExecutionResult;
  let byDocument = cache.get(payload);
  if (!byDocument) cache.set(payload, (byDocument = new WeakMap()));
  let results = byDocument.get(args.document);
  if (!results) byDocument.set(args.document, (results = new Map()));
  const key = sharedResultKey(args);
  let result = results.get(key);
  if (!result) {
    result = Promise.resolve(execute({ ...args, rootValue: payload }) as ExecutionResult | Promise<ExecutionResult>);
    results.set(key, result);
  }
  return result;
}

/** Maps a source stream, passing return() straight through so an unsubscribe never waits for the next event. */
function mapStream<T, U>(source: AsyncIterable<T>, map: (value: T) => Promise<U> | U): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const next = await iterator.next();
      return next.done ? { done: true, value: undefined } : { done: false, value: await map(next.value) };
    },
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error) {
      await iterator.return?.();
      throw error;
    },
  };
}

/**
 * Subscriptions whose events are executed once per distinct operation,
 * variables and roles, not once per subscriber: the cost of a change no longer
 * grows with the number of dashboards watching it. (Live badges over
 * graphql-ws go further and skip this path: src/live/fanout.ts.)
 */
export function sharedExecutionPlugin(): Plugin<Context> {
  return {
    onSubscribe: ({ setSubscribeFn }) => {
      setSubscribeFn(async (args) => {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in source)) return source;
        return mapStream(source, (payload) => executeShared(args, payload));
      });
    },
  };
}
