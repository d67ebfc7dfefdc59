import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { UnauthenticatedError } from '../errors.js';
import { setLongTimeout } from '../timers.js';

/**
 * Ends every subscription stream when the token it was opened with expires:
 * its last event says why (UNAUTHENTICATED), then it completes. This is what
 * ends SSE streams; graphql-ws sockets are also closed with 4403 (src/ws.ts).
 */
export function tokenExpiryPlugin(): Plugin<Context> {
  return {
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result, setResult }) => {
        const expiresAt = (args.contextValue as Context).tokenExpiresAt;
        if (expiresAt === null || !(Symbol.asyncIterator in result)) return;
        setResult(endAt(result as AsyncIterable<ExecutionResult>, expiresAt));
      },
    }),
  };
}

function endAt(source: AsyncIterable<ExecutionResult>, expiresAt: number): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let expire: () => void = () => {};
  const expired = new Promise<'expired'>((resolve) => (expire = () => resolve('expired')));
  const timer = setLongTimeout(expire, expiresAt - Date.now());
  let done = false;
  const finish = () => {
    done = true;
    timer.clear();
    void Promise.resolve(iterator.return?.()).catch(() => {});
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (done) return { done: true, value: undefined };
      const step = await Promise.race([iterator.next(), expired]);
      if (step === 'expired') {
        finish();
        return { done: false, value: { errors: [new UnauthenticatedError('The token has expired')] } };
      }
      if (step.done) {
        done = true;
        timer.clear();
      }
      return step;
    },
    async return() {
      finish();
      return { done: true, value: undefined };
    },
    async throw(error) {
      finish();
      throw error;
    },
  };
}
