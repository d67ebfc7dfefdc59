// Watching Apollo Client 4 observables in the cache tests.
import { expect, vi } from 'vitest';

const WAIT = { timeout: 10_000, interval: 20 };

/** Every complete result a watched query emits. */
export function watch<T>(observable: { subscribe(next: (result: { data?: unknown; dataState?: string }) => void): { unsubscribe(): void } }) {
  const values: T[] = [];
  const subscription = observable.subscribe((result) => {
    if (result.dataState === 'complete') values.push(result.data as T);
  });
  return { values, stop: () => subscription.unsubscribe() };
}

/** Starts a subscription through the client and waits for its first push (it is then live on the server). */
export async function live(run: () => { subscribe(observer: { next(value: { data?: unknown }): void; error(e: unknown): void }): { unsubscribe(): void } }) {
  const pushes: any[] = [];
  const errors: unknown[] = [];
  const subscription = run().subscribe({ next: (value) => pushes.push(value.data), error: (e) => errors.push(e) });
  await vi.waitFor(() => expect(pushes.length + errors.length).toBeGreaterThan(0), WAIT);
  expect(errors).toEqual([]);
  return { pushes, stop: () => subscription.unsubscribe() };
}
