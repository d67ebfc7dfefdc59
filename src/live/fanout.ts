import {
  GraphQLError,
  createSourceEventStream,
  execute,
  getOperationAST,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { DomainError } from '../errors.js';
import { liveGroups, liveSubscriptions, wsRefusals } from '../metrics.js';
import { sharedResultKey } from '../yoga/group-key.js';
import type { errorMasking } from '../yoga/mask-errors.js';
import { withoutSuggestions } from '../yoga/no-suggestions.js';
import { countErrors, logSubscriptionStarted } from '../yoga/observability.js';
import { LiveStream, tooManyLiveGroups } from './live-queries.js';
import { nextMessagePrefix, type LiveSocket, type SocketWrites } from './socket-writes.js';
import { subscriptionSpan } from '../tracing/live.js';

/** Where a graphql-ws subscription's `next` messages go. */
export interface LiveTarget {
  socket: LiveSocket;
  /** The subscription's id on its connection. */
  id: string;
}

type MaskResult = (result: ExecutionResult) => ExecutionResult;

/** yoga's error masking, for a result that does not pass through yoga. */
function maskResult(masking: ReturnType<typeof errorMasking>, suggestions: boolean): MaskResult {
  return (result) => {
    if (!result.errors?.length) return result;
    const masked = { ...result, errors: result.errors.map((error) => masking.maskError(error, 'Unexpected error.') as GraphQLError) };
    return suggestions ? masked : withoutSuggestions(masked);
  };
}

interface Sink {
  socket: LiveSocket;
  prefix: Buffer;
}

/**
 * The subscribers of one live badge that asked for it with the same document,
 * variables and roles, and so see the same payload: it is executed and
 * serialised once per change, then written to each of their sockets.
 */
class Group {
  readonly sinks = new Set<Sink>();
  body: Buffer | null = null;
  unlisten: () => void = () => {};
  private version = 0;

  constructor(
    private readonly args: ExecutionArgs,
    private readonly mask: MaskResult,
    private readonly writes: SocketWrites,
    /**
     * A badge whose pushes are changes (LiveSpec.changes): the first payload of
     * a socket that joins the group late, the whole current value; null: the
     * group's last payload will do.
     */
    private readonly joining: (() => unknown) | null = null,
  ) {}

  /** Executes and serialises a new value once, and writes it to every socket (held until the pass ends). */
  publish(value: unknown): void {
    const version = ++this.version;
    const result = execute({ ...this.args, rootValue: value });
    // A field that resolves later (a dashboard window not counted with it) is written when it does, on its own.
    if (result instanceof Promise) void result.then((settled) => version === this.version && this.deliver(settled));
    else this.deliver(result);
  }

  add(sink: Sink): void {
    this.sinks.add(sink);
    if (!this.body) return;
    if (!this.joining) return this.writes.write(sink.socket, sink.prefix, this.body);
    // The group's last payload holds only the last change: this socket gets the whole value, executed for it alone.
    const result = execute({ ...this.args, rootValue: this.joining() });
    const write = (settled: ExecutionResult) => this.sinks.has(sink) && this.writes.write(sink.socket, sink.prefix, this.serialise(settled));
    if (result instanceof Promise) void result.then(write);
    else write(result);
  }

  /** The payload and the `}` that closes the message each sink's prefix opened. */
  private serialise(result: ExecutionResult): Buffer {
    const masked = this.mask(result);
    // Once per execution, however many sockets it is written to.
    countErrors(masked.errors);
    return Buffer.from(`${JSON.stringify(masked)}}`);
  }

  private deliver(result: ExecutionResult): void {
    const body = this.serialise(result);
    if (this.body?.equals(body)) return;
    this.body = body;
    for (const sink of this.sinks) this.writes.write(sink.socket, sink.prefix, body);
  }
}

const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

function groupKey(stream: LiveStream<unknown>, args: ExecutionArgs): string {
  // yoga's parser cache hands out one document object per query text, so its identity is the query.
  let documentId = documentIds.get(args.document);
  if (documentId === undefined) documentIds.set(args.document, (documentId = nextDocumentId++));
  return `${stream.spec.key}\u0000${documentId}\u0000${sharedResultKey(args)}`;
}

/**
 * Whether an operation is a subscription to exactly one live badge: a root
 * field marked `extensions: { liveBadge: true }` in src/schema/subscriptions.ts.
 */
export function isLiveBadgeOperation(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription') return false;
  const [selection, ...more] = operation.selectionSet.selections;
  if (!selection || more.length > 0 || selection.kind !== Kind.FIELD) return false;
  return schema.getSubscriptionType()?.getFields()[selection.name.value]?.extensions.liveBadge === true;
}

/**
 * The live badge subscriptions of one server's graphql-ws connections,
 * grouped by what they see. A subscription here holds no iterator chain, no
 * GraphQL context and no per-subscriber execution: only its place in a group.
 */
export class LiveFanout {
  private readonly groups = new Map<string, Group>();
  private readonly mask: MaskResult;

  constructor(
    masking: ReturnType<typeof errorMasking>,
    /** Whether errors may suggest field names (INTROSPECTION). */
    suggestions: boolean,
    /** The shared recomputes' writes: held during a pass, so each socket is written once per pass. */
    private readonly writes: SocketWrites,
    /** LIVE_MAX_GROUPS: every group is one recompute per change, so distinct argument sets are bounded. */
    private readonly maxGroups = Infinity,
  ) {
    this.mask = maskResult(masking, suggestions);
  }

  /**
   * Runs the subscription's root field (scope-auth's check on subscribe and
   * argument validation included) and joins its group. Returns either the
   * iterator graphql-ws should hold for it, or the refusal (errors, masked).
   * Throws a DomainError when a new group would pass LIVE_MAX_GROUPS. Either
   * refusal is counted in opsgraph_graphql_errors_total, as over HTTP.
   */
  async subscribe(args: ExecutionArgs, target: LiveTarget): Promise<AsyncIterableIterator<never> | ExecutionResult> {
    try {
      const outcome = await this.open(args, target);
      if (!(Symbol.asyncIterator in outcome)) countErrors(outcome.errors);
      return outcome;
    } catch (error) {
      if (error instanceof DomainError) countErrors([error]);
      throw error;
    }
  }

  private async open(args: ExecutionArgs, target: LiveTarget): Promise<AsyncIterableIterator<never> | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (!(source instanceof LiveStream)) {
      if (Symbol.asyncIterator in source) throw new Error('a field marked liveBadge must resolve to a LiveStream');
      // The instance's cap, refused by LiveQueries: graphql-ws sends it as an `error` for the subscription.
      const cap = source.errors?.find((error) => error.originalError instanceof DomainError && error.extensions.code === 'TOO_MANY_LIVE_GROUPS');
      if (cap) throw cap.originalError;
      return this.mask(source);
    }
    logSubscriptionStarted(args, { badge: source.spec.key });
    return this.join(source, args, target);
  }

  /**
   * The badge's values reach the socket through the group; the iterator
   * returned yields nothing and leaves the group when graphql-ws returns it
   * (a `complete`, or the socket closing).
   */
  private join(stream: LiveStream<unknown>, args: ExecutionArgs, target: LiveTarget): AsyncIterableIterator<never> {
    const key = groupKey(stream, args);
    let group = this.groups.get(key);
    if (!group && this.groups.size >= this.maxGroups) {
      wsRefusals.inc({ limit: 'live_groups' });
      throw tooManyLiveGroups(this.maxGroups);
    }
    if (!group) {
      const created = new Group(args, this.mask, this.writes, stream.joining());
      this.groups.set(key, created);
      liveGroups.inc();
      created.unlisten = stream.listen((value) => created.publish(value));
      group = created;
    }
    const sink: Sink = { socket: target.socket, prefix: nextMessagePrefix(target.id) };
    group.add(sink);
    // Keep nothing of the stream: its spec holds the subscriber's whole GraphQL context.
    const badge = stream.spec.badge;
    liveSubscriptions.inc({ badge });
    // With tracing on, a span for as long as the subscription lasts; its pushes are events on the pass's span.
    const span = subscriptionSpan(args, badge);

    const joined = group;
    let left = false;
    let finish: (result: IteratorResult<never>) => void = () => {};
    const finished = new Promise<IteratorResult<never>>((resolve) => (finish = resolve));
    const leave = async (): Promise<IteratorResult<never>> => {
      if (!left) {
        left = true;
        joined.sinks.delete(sink);
        liveSubscriptions.dec({ badge });
        if (joined.sinks.size === 0) {
          joined.unlisten();
          this.groups.delete(key);
          liveGroups.dec();
        }
        finish({ done: true, value: undefined });
        span?.end();
      }
      return { done: true, value: undefined };
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: () => finished,
      return: leave,
      throw: async (error) => {
        await leave();
        throw error;
      },
    };
  }

  /** Distinct (badge, arguments, document, roles) being written to sockets. */
  size(): number {
    return this.groups.size;
  }
}
