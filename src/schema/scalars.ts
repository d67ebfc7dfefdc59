import { Kind } from 'graphql';
import { BadUserInputError } from '../errors.js';
import { builder } from './builder.js';

function toDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : null;
  // Require an explicit offset: a local time would mean different instants on different servers.
  if (date === null || Number.isNaN(date.getTime()) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value as string)) {
    throw new BadUserInputError('DateTime must be an ISO-8601 string with an offset, e.g. 2026-11-24T21:00:00.000Z');
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string with offset, e.g. 2026-11-24T21:00:00.000Z.',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value as string).toISOString()),
  parseValue: toDate,
  parseLiteral: (ast) => toDate(ast.kind === Kind.STRING ? ast.value : null),
});

builder.scalarType('JSON', {
  description: 'Arbitrary JSON.',
  serialize: (value) => value,
  parseValue: (value) => value,
});
