import { BadUserInputError } from '../errors.js';

export interface Page<T> {
  totalCount: number;
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** `first` is 1..500 on every connection of the contract. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? 50;
  if (!Number.isInteger(size) || size < 1 || size > 500) {
    throw new BadUserInputError('first must be between 1 and 500', { argument: 'first' });
  }
  return size;
}

export function encodeCursor(id: string): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

/** Cursors are opaque to clients; here they carry the last row's id. */
export function decodeCursor(after: string | null | undefined): string | null {
  if (after === null || after === undefined) return null;
  const text = Buffer.from(after, 'base64url').toString('utf8');
  const match = /^id:(\d{1,19})$/.exec(text);
  if (!match) throw new BadUserInputError('after is not a cursor this API issued', { argument: 'after' });
  return match[1]!;
}

/** Builds a connection from up to `size + 1` rows fetched in id order. */
export function toPage<T extends { id: string }>(rows: T[], size: number, totalCount: number): Page<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    totalCount,
    edges,
    nodes,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
