import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { Sql } from '../db/client.js';
import { tracing } from './tracing.js';

/** Who sends a statement: the src/db function (or, for the few elsewhere, the function) whose code it is. */
interface Origin {
  name: string;
  attributes: Attributes;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const fileOf = (site: NodeJS.CallSite): string => {
  const name = site.getFileName() ?? '';
  return name.startsWith('file:') ? fileURLToPath(name) : name;
};

/**
 * Read from the stack once per statement in the source: a tagged template's strings array is one
 * object per place in the code, so later calls find the name in `origins`.
 */
function originOf(): Origin {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = 30;
    Error.prepareStackTrace = (_, callSites) => callSites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, originOf);
    sites = holder.stack ?? [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  const ours = sites
    .map((site) => ({ site, file: relative(ROOT, fileOf(site)) }))
    .filter(({ file }) => file.startsWith('src/') && !file.startsWith('src/tracing/'));
  const named = ours.find(({ site, file }) => file.startsWith('src/db/') && site.getFunctionName()) ?? ours.find(({ site }) => site.getFunctionName());
  const name = named?.site.getFunctionName() ?? 'statement';
  return {
    name,
    attributes: {
      'db.system.name': 'postgresql',
      'code.function.name': name,
      ...(named && { 'code.file.path': named.file }),
    },
  };
}

const origins = new WeakMap<TemplateStringsArray, Origin>();

interface PendingQuery extends Promise<unknown> {
  executed: boolean;
  string?: string;
  handle(): Promise<void>;
}

/** A span for the statement once it runs, if it runs inside a recorded trace (background statements start none). */
function traceQuery(query: PendingQuery, origin: Origin): void {
  const handle = query.handle;
  query.handle = function () {
    const t = tracing();
    const parent = context.active();
    if (!this.executed && t !== null && trace.getSpan(parent) !== undefined) {
      const span = t.tracer.startSpan(origin.name, { kind: SpanKind.CLIENT, attributes: origin.attributes }, parent);
      // Promise.prototype.then, not the query's own: that would send it again.
      Promise.prototype.then.call(
        this,
        (rows: { count?: number } | undefined) => {
          if (this.string) span.setAttribute('db.query.text', this.string);
          if (typeof rows?.count === 'number') span.setAttribute('db.response.returned_rows', rows.count);
          span.end();
        },
        (error: Error & { code?: string }) => {
          if (this.string) span.setAttribute('db.query.text', this.string);
          if (error?.code) span.setAttribute('db.response.status_code', String(error.code));
          span.setAttribute('error.type', error?.code ?? error?.name ?? 'Error');
          span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
          span.end();
        },
      );
    }
    return handle.call(this);
  };
}

/**
 * `sql`, with a CLIENT span per statement named after the src/db function that sends it,
 * `db.system.name=postgresql` and the statement's text (placeholders only: never a parameter value).
 * postgres.js has no instrumentation of its own, so the tagged template is wrapped here, in one place,
 * rather than every query by hand; transactions' statements too. Used only when tracing is on.
 */
export function tracedSql<T extends Sql>(sql: T): T {
  const proxy: T = new Proxy(sql, {
    apply(target, thisArg, args: unknown[]) {
      const query = Reflect.apply(target, thisArg, args) as PendingQuery;
      const strings = args[0] as TemplateStringsArray;
      // A tagged template (not sql(identifier) or sql(rows), which are fragments of one).
      if (Array.isArray(strings) && 'raw' in strings && typeof query?.handle === 'function') {
        let origin = origins.get(strings);
        if (!origin) origins.set(strings, (origin = originOf()));
        traceQuery(query, origin);
      }
      return query;
    },
    get(target, property, receiver) {
      if (property === 'begin') {
        return (...args: unknown[]) => {
          const work = args.pop() as (tx: T) => unknown;
          return (target.begin as (...a: unknown[]) => unknown)(...args, (tx: T) => work(tracedSql(tx)));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return proxy;
}
