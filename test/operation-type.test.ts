import { describe, expect, it } from 'vitest';

// A browser module (public/, no types): loaded by URL.
const { operationType } = (await import(new URL('../public/operation-type.js', import.meta.url).href)) as {
  operationType(query: string, operationName?: string): string;
};

describe("GraphiQL fetcher's operationType", () => {
  it.each([
    ['{ me { id } }', undefined, 'query'],
    ['subscription Badge { failureCount(since: "1h") { count } }', undefined, 'subscription'],
    ['subscription { x }', undefined, 'subscription'],
    ['# subscription\n{ me { id } }', undefined, 'query'],
    ['"""subscription"""\nquery { me { id } }', undefined, 'query'],
    ['query A { a } subscription B { b }', 'B', 'subscription'],
    ['query A { a } subscription B { b }', 'A', 'query'],
    ['mutation M($i: In = {a: "subscription {"}) { m }', undefined, 'mutation'],
    ['fragment F on Q { subscription } subscription S { ...F }', undefined, 'subscription'],
    ['query Q { query mutation subscription }', undefined, 'query'],
    ['subscription S @d(x: {y: 1}) { s }', 'S', 'subscription'],
  ])('%j (%s) is a %s', (query, name, type) => {
    expect(operationType(query, name)).toBe(type);
  });
});
