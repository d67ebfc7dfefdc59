import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

// Quality 4: introspection (63 kB) to 7.0 kB in about 2 ms here, where gzip -6
// takes about 4 ms for 6.6 kB; brotli's default (11) costs many times more and
// is for static files.
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };

/** The encoding to answer with: br, else gzip, when the client accepts it (q=0 refuses). */
export function chooseEncoding(acceptEncoding: string | null | undefined): 'br' | 'gzip' | null {
  if (!acceptEncoding) return null;
  const accepted = new Set<string>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) continue;
    accepted.add(name!.trim());
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return null;
}

const WHOLE_BODIES = /^(application\/(graphql-response\+)?json|text\/html)\b/i;

export interface Compression {
  /** Bodies of at least this many bytes are compressed; null: never. */
  minBytes: number | null;
}

/**
 * The body and headers a GraphQL response is sent with, on both paths (yoga's
 * and the JSON fast path): never stored by a cache (a badge is live and
 * answers depend on the caller's token), and compressed when it is large
 * enough to be worth the CPU and the client accepts it.
 */
export async function finishBody(
  body: Uint8Array,
  acceptEncoding: string | null | undefined,
  compression: Compression,
): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  const encoding = chooseEncoding(acceptEncoding);
  if (encoding === null || compression.minBytes === null || body.byteLength < compression.minBytes) return { body, headers };
  headers.vary = 'Accept-Encoding';
  headers['content-encoding'] = encoding;
  return { body: encoding === 'br' ? await brotli(body, BROTLI) : await gzipped(body), headers };
}

/**
 * yoga's side of finishBody: every response of the GraphQL endpoint that is
 * one whole body (JSON results, GraphiQL's page) goes through it. Streams (SSE,
 * multipart) are left as they are: compressing them would hold events back.
 */
export function httpResponsePlugin(compression: Compression): Plugin {
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      response.headers.set('cache-control', 'no-store');
      const type = response.headers.get('content-type') ?? '';
      const acceptEncoding = request.headers.get('accept-encoding');
      if (compression.minBytes === null || chooseEncoding(acceptEncoding) === null) return;
      if (!WHOLE_BODIES.test(type) || response.headers.has('content-encoding') || !response.body) return;
      // Only here does the hook return a promise: a response left as it is costs no extra tick.
      return (async () => {
        const finished = await finishBody(new Uint8Array(await response.arrayBuffer()), acceptEncoding, compression);
        const headers = new fetchAPI.Headers(response.headers);
        for (const [name, value] of Object.entries(finished.headers)) headers.set(name, value);
        headers.set('content-length', String(finished.body.byteLength));
        setResponse(new fetchAPI.Response(finished.body as Uint8Array<ArrayBuffer>, { status: response.status, statusText: response.statusText, headers }));
      })();
    },
  };
}
