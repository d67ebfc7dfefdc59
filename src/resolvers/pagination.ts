import { BadUserInputError } from '../errors.js';
import { parseSerialId } from './ids.js';

export interface Page<T> {
  totalCount: number;
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** `first` is 1..500 on every connection of the contract. */
function pageSize(first: number | null | undefined): number {
  const size = first ?? 50;
  if (!Number.isInteger(size) || size < 1 || size > 500) {
    throw new BadUserInputError('first must be between 1 and 500', { argument: 'first' });
  }
  return size;
}

function encodeCursor(id: string): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

/** Cursors are opaque to clients; here they carry the last row's id. */
function decodeCursor(after: string | null | undefined): string | null {
  if (after === null || after === undefined) return null;
  const text = Buffer.from(after, 'base64url').toString('utf8');
  const id = text.startsWith('id:') ? parseSerialId(text.slice(3)) : null;
  if (id === null) throw new BadUserInputError('after is not a cursor this API issued', { argument: 'after' });
  return id;
}

/**
 * One page of a connection, newest first: validates `first` and `after`, then
 * fetches one row more than the page holds (to tell whether another page
 * follows) and the total count, at once.
 */
export async function paginate<T extends { id: string }>(
  args: { first?: number | null; after?: string | null },
  fetchRows: (page: { limit: number; beforeId: string | null }) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  const size = pageSize(args.first);
  const beforeId = decodeCursor(args.after);
  const [rows, total] = await Promise.all([fetchRows({ limit: size + 1, beforeId }), count()]);
  return toPage(rows, size, total);
}

/** Builds a connection from up to `size + 1` rows fetched in id order. */
function toPage<T extends { id: string }>(rows: T[], size: number, totalCount: number): Page<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    totalCount,
    edges,
    nodes,
    pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
