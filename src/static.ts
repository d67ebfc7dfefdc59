import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRAPHIQL_DIR } from './graphiql/bundle.js';

const require = createRequire(import.meta.url);

/**
 * URL prefix → directory. The page's own files, graphql-ws's client (plain ESM
 * with relative imports only, served as the package ships it), and GraphiQL's
 * bundle (built by `npm install`: src/graphiql/bundle.ts).
 */
const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const MOUNTS: [prefix: string, dir: string][] = [
  ['/assets/vendor/graphql-ws/', dirname(require.resolve('graphql-ws/client'))],
  ['/assets/vendor/graphiql/', GRAPHIQL_DIR],
  ['/assets/', PUBLIC_DIR],
];

/** Only these are served: a mount may hold other files (type declarations, CommonJS builds). */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The dashboard page sends its token only to this origin and runs only its own scripts. */
const PAGE_POLICY = "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

function locate(path: string): string | null {
  if (path === '/' || path === '/index.html') return resolve(PUBLIC_DIR, 'index.html');
  const mount = MOUNTS.find(([prefix]) => path.startsWith(prefix));
  if (!mount) return null;
  let relative: string;
  try {
    relative = decodeURIComponent(path.slice(mount[0].length));
  } catch {
    return null;
  }
  const root = resolve(mount[1]);
  const file = resolve(root, relative);
  // `..`, encoded or not, and absolute paths all resolve outside the root.
  if (relative.includes('\0') || !file.startsWith(root + sep)) return null;
  return extname(file) in TYPES ? file : null;
}

/**
 * Serves the dashboard page at `/` and static files under `/assets/`. Returns
 * false for every other request (GraphQL, GraphiQL at /graphql, 404s).
 */
export async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path !== '/' && path !== '/index.html' && !path.startsWith('/assets/')) return false;
  const file = locate(path);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found\n');
    return true;
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (type.startsWith('text/html')) headers['content-security-policy'] = PAGE_POLICY;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  const body = await readFile(file);
  res.writeHead(200, { ...headers, 'content-length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
