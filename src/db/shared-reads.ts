import DataLoader from 'dataloader';
import { Counter } from 'prom-client';
import { registry } from '../metrics.js';
import { sharedReadSpan, sharedStatement, type Waiter } from '../tracing/shared-reads.js';
import { tracing } from '../tracing/tracing.js';
import type { Sql } from './client.js';

/**
 * Badge reads shared between requests. Thirty dashboards asking for the same
 * badge at the same moment want one statement, not thirty; but a badge must
 * never answer with a count read before the request was made (a client that
 * committed a scan and then asks must see it). So a read never joins a
 * statement that is already running: it waits for the next one, which starts
 * once the running one has finished and serves every request that arrived
 * meanwhile. Each answer comes from a statement that began after its request,
 * and a badge has at most one statement running per pool, whatever the load.
 *
 * The next statement starts anyway when the running one has taken longer than
 * `patienceMs`: a connection lost without a reset can leave a statement
 * waiting for ever, and every later request would wait behind it.
 *
 * Only pools registered with shareReads share (app.ts does it for the query
 * pool unless DATABASE_SHARED_READS=off). A transaction is never registered,
 * so a read inside one always runs its own statement, in its own snapshot.
 */

const settings = new WeakMap<Sql, { patienceMs: number }>();

export function shareReads(sql: Sql, options: { patienceMs?: number } = {}): void {
  settings.set(sql, { patienceMs: options.patienceMs ?? 1_000 });
}

const readsAsked = new Counter({
  name: 'opsgraph_shared_reads_total',
  help: 'Badge reads asked of a shared read, by read; divided by opsgraph_shared_read_statements_total, the requests each statement served',
  labelNames: ['read'] as const,
  registers: [registry],
});

const statementsRun = new Counter({
  name: 'opsgraph_shared_read_statements_total',
  help: 'Statements run for shared badge reads, by read (one per distinct argument in each batch)',
  labelNames: ['read'] as const,
  registers: [registry],
});

type Read<A, V> = (sql: Sql, arg: A) => Promise<V>;

/**
 * `read` shared as above on a registered pool, and unchanged on any other.
 * `keyOf` says which arguments ask the same thing: one statement runs per
 * distinct key in a batch.
 */
export function sharedRead<A, V>(name: string, read: Read<A, V>, keyOf: (arg: A) => string = () => ''): Read<A, V> {
  const loaders = new WeakMap<Sql, DataLoader<Ask<A>, V>>();
  const asked = readsAsked.labels(name);
  const run = statementsRun.labels(name);
  return (sql, arg) => {
    const options = settings.get(sql);
    if (!options) return read(sql, arg);
    let loader = loaders.get(sql);
    if (!loader) loaders.set(sql, (loader = nextStatementLoader(name, sql, read, keyOf, options.patienceMs, () => run.inc())));
    asked.inc();
    // Wrapped: DataLoader refuses an undefined key, and most badges take no argument.
    if (tracing() === null) return loader.load({ arg, waiter: null });
    const waiter = sharedReadSpan(name);
    return waiter === null ? loader.load({ arg, waiter }) : waiter.wait(loader.load({ arg, waiter }));
  };
}

/** One request's read; `waiter` is its span while tracing, linked to the statement it waited for. */
interface Ask<A> {
  arg: A;
  waiter: Waiter | null;
}

function nextStatementLoader<A, V>(
  name: string,
  sql: Sql,
  read: Read<A, V>,
  keyOf: (arg: A) => string,
  patienceMs: number,
  counted: () => void,
): DataLoader<Ask<A>, V> {
  let running: Promise<unknown> | null = null;

  /** Dispatches a batch once the statement running now is done (or has run out of patience); at once if none is. */
  function whenFree(dispatch: () => void): void {
    if (running === null) return process.nextTick(dispatch);
    let done = false;
    const go = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      dispatch();
    };
    const timer = setTimeout(go, patienceMs);
    timer.unref();
    running.then(go, go);
  }

  return new DataLoader<Ask<A>, V>(
    (asks) => {
      const statements = new Map<string, Promise<V | Error>>();
      const answers = asks.map(({ arg }) => {
        const key = keyOf(arg);
        let statement = statements.get(key);
        if (!statement) {
          counted();
          const run = () => read(sql, arg);
          // An error answers only the requests of its key; the loader hands it to each as a rejection.
          statement = (tracing() === null ? run() : sharedStatement(name, asks.filter((ask) => keyOf(ask.arg) === key), run)).catch(
            (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
          );
          statements.set(key, statement);
        }
        return statement;
      });
      const batch = Promise.all(answers);
      running = batch;
      return batch.finally(() => {
        if (running === batch) running = null;
      });
    },
    // cache: false, so a load never returns an earlier batch's value; the batch above dedupes the keys instead.
    { cache: false, batchScheduleFn: whenFree },
  );
}
