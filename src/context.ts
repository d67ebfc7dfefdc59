import type { AuthUser } from './auth/roles.js';
import type { Config } from './config.js';
import type { Sql } from './db/client.js';
import type { DomainError } from './errors.js';
import type { KillFeed } from './live/kill-feed.js';
import type { LiveQueries } from './live/live-queries.js';
import type { Logger } from './logger.js';

/** What every domain call needs; nothing here depends on GraphQL. */
export interface Services {
  sql: Sql;
  config: Config;
  log: Logger;
}

/** The GraphQL context of one operation. */
export interface Context extends Services {
  user: AuthUser | null;
  /** Set when a token was presented but is not valid; every field then answers with it. */
  authError: DomainError | null;
  /** When the caller's token expires (ms since the epoch); subscriptions end then. */
  tokenExpiresAt: number | null;
  /** Badges shared by every subscriber with the same arguments. */
  live: LiveQueries;
  kills: KillFeed;
  /** Per-operation dataloaders; the map too is created on first use (most operations need none). */
  loaders: Map<string, unknown> | null;
}

/** The same DataLoader for the whole operation, whichever resolver asks first. */
export function loader<T>(ctx: Context, key: string, create: () => T): T {
  const loaders = (ctx.loaders ??= new Map());
  let found = loaders.get(key) as T | undefined;
  if (found === undefined) {
    found = create();
    loaders.set(key, found);
  }
  return found;
}
