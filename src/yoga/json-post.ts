import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../context.js';
import type { Logger } from '../logger.js';
import { jsonFastPathRequests } from '../metrics.js';
import { finishBody, type Compression } from './http-response.js';
import { requestIdOf } from './observability.js';
import { usesPersistedOperation, type PersistedOperations } from './persisted.js';

// Most requests a badge server gets are the same shape: a dashboard back end
// or an agent POSTing JSON and accepting JSON. yoga answers them through the
// Fetch API (a Request with its Headers, a Response adapted back to Node,
// promise chains), which measured as the largest part of a small badge's
// cost. This path answers exactly those requests through the same envelop
// (parse and validation caches, limits, scope checks, masking, metrics,
// graphql-jit) and writes the JSON itself, a known persisted hash included.
// Anything else (browsers, other content types, subscriptions, a malformed
// body, batches, a new APQ query, an unknown hash, a document text under
// trusted documents) goes to yoga. Its responses get the same finishing as
// yoga's (Cache-Control, compression: ./http-response.ts).

type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

const SET_BY_FETCH = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);
/**
 * The content types this path answers: yoga's own rule (the first of a list;
 * `application/json` exactly, or followed by `;`: case and spacing matter, so
 * `APPLICATION/JSON` is refused with 415 on both paths), narrowed to no
 * parameter or a UTF-8 charset. Anything else yoga answers itself.
 */
function isJsonContent(header: string | undefined): boolean {
  const type = header?.split(',')[0] ?? '';
  if (type === 'application/json') return true;
  return type.startsWith('application/json;') && /^;\s*charset="?utf-8"?\s*$/i.test(type.slice('application/json'.length));
}
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * POST to the endpoint, a JSON body, JSON (or anything) accepted, and no
 * Origin: browsers send one, and their requests keep yoga's CORS
 * handling. `application/graphql-response+json` goes to yoga too, whose
 * status codes differ for it.
 */
function isPlainJsonPost(req: IncomingMessage, endpoint: string): boolean {
  const accept = req.headers.accept;
  return (
    req.method === 'POST' &&
    req.url === endpoint &&
    req.headers.origin === undefined &&
    isJsonContent(req.headers['content-type']) &&
    (accept === undefined || accept === '*/*' || accept === 'application/json')
  );
}

function isParams(body: unknown): body is Params {
  return (
    isObject(body) &&
    typeof body.query === 'string' &&
    (body.variables == null || isObject(body.variables)) &&
    (body.operationName == null || typeof body.operationName === 'string') &&
    (body.extensions == null || isObject(body.extensions))
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The headers of a Node request as the GraphQL context reads them (the token, the request id). */
function headersOf(req: IncomingMessage): Request {
  const get = (name: string) => {
    const value = req.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  return { headers: { get } } as Request;
}

/** Writes a Response; `finish` gives it the headers and compression yoga's plugin gives its own (yoga.fetch's are finished already). */
async function sendResponse(res: ServerResponse, response: Response, requestId: string, finish: Compression | null, acceptEncoding?: string): Promise<void> {
  const headers: Record<string, string> = { 'x-request-id': requestId };
  response.headers.forEach((value, name) => (headers[name] = value));
  let body: Uint8Array = Buffer.from(await response.arrayBuffer());
  if (finish) {
    const finished = await finishBody(body, acceptEncoding, finish);
    Object.assign(headers, finished.headers);
    body = finished.body;
  }
  headers['content-length'] = String(body.byteLength);
  res.writeHead(response.status, headers);
  res.end(body);
}

/**
 * Returns a handler that answers a plain JSON POST and resolves true, or
 * resolves false without touching the request for yoga to answer. The server
 * has already refused a body of unknown or excessive length (src/http.ts).
 */
export function createJsonPostHandler(yoga: Yoga, log: Logger, { compression, persisted }: { compression: Compression; persisted: PersistedOperations }) {
  /** yoga itself, for a request whose body was read here and turned out to need it. */
  async function handOver(req: IncomingMessage, res: ServerResponse, body: Buffer, request: Request): Promise<true> {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !SET_BY_FETCH.has(name)) headers.set(name, String(value));
    }
    const response = await yoga.fetch(`http://localhost${req.url}`, { method: 'POST', headers, body }, { req, res });
    await sendResponse(res, response, requestIdOf(request), null);
    return true;
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (!isPlainJsonPost(req, yoga.graphqlEndpoint)) return false;
    const request = headersOf(req);
    try {
      return await answer(req, res, request);
    } catch (error) {
      // Resolver errors are in the result; this is a fault of the server itself (or a client gone).
      log.error({ err: error }, 'JSON POST failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': requestIdOf(request) });
      }
      res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
      return true;
    }
  };

  async function answer(req: IncomingMessage, res: ServerResponse, request: Request): Promise<boolean> {
    const body = await readBody(req);
    let params: unknown;
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return handOver(req, res, body, request);
    }
    if (isObject(params) && usesPersistedOperation(params)) {
      // A persisted operation: run here only what yoga's plugin would run as it is (a known hash and no query).
      const query = persisted.documentFor(params);
      if (query === null) return handOver(req, res, body, request);
      params = { ...params, query };
    } else if (persisted.trustedOnly) {
      // A document text (refused) or nothing to run: yoga's plugin answers.
      return handOver(req, res, body, request);
    }
    if (!isParams(params)) return handOver(req, res, body, request);

    jsonFastPathRequests.inc();
    const { parse, validate, contextFactory, execute, schema } = yoga.getEnveloped({ request, params, req, res });
    let document: DocumentNode;
    try {
      // graphql-armor's limits throw from parse and validate; either way it is the client's error.
      document = parse(params.query);
      // yoga refuses these with statuses of its own (405, 400): let it.
      const operation = getOperationAST(document, params.operationName);
      if (!operation || operation.operation === 'subscription') return handOver(req, res, body, request);
      const errors = validate(schema, document);
      if (errors.length > 0) return sendResult(res, { errors }, request);
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      return sendResult(res, { errors: [error] }, request);
    }
    const result = await execute({
      schema,
      document,
      variableValues: params.variables,
      operationName: params.operationName,
      contextValue: await contextFactory(),
    });
    return sendResult(res, result as ExecutionResult, request);
  }

  async function sendResult(res: ServerResponse, result: ExecutionResult, request: Request): Promise<true> {
    const requestId = requestIdOf(request);
    const acceptEncoding = res.req.headers['accept-encoding'];
    if (result.errors?.length) {
      // Errors decide the status (and may carry headers): yoga's own processing, so both paths agree.
      await sendResponse(res, await processRegularResult(result, yoga.fetchAPI, 'application/json'), requestId, compression, acceptEncoding);
      return true;
    }
    const json = Buffer.from(JSON.stringify(result));
    const finished = compression.minBytes !== null && json.byteLength >= compression.minBytes ? await finishBody(json, acceptEncoding, compression) : null;
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...finished?.headers,
      'content-length': finished?.body.byteLength ?? json.byteLength,
      'x-request-id': requestId,
    });
    res.end(finished?.body ?? json);
    return true;
  }
}

