import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

const ASSETS = '/assets/vendor/graphiql';

/**
 * The page's Content-Security-Policy. Every script is a file from this server
 * (no inline script runs: settings travel in a JSON block), Monaco's workers
 * included; Monaco injects its styles, and GraphiQL's CSS inlines fonts and
 * icons as data: URLs.
 */
export const GRAPHIQL_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** CSP and nosniff on every HTML page yoga answers (GraphiQL). */
export function htmlSecurityHeaders(): Plugin {
  return {
    onResponse: ({ response }) => {
      if (!response.headers.get('content-type')?.startsWith('text/html')) return;
      response.headers.set('content-security-policy', GRAPHIQL_POLICY);
      response.headers.set('x-content-type-options', 'nosniff');
    },
  };
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The GraphiQL page yoga answers GET /graphql with (Accept: text/html). Its
 * assets come from this server (src/graphiql/bundle.ts), and it runs operations
 * through /assets/graphiql-fetcher.js, which sends the Headers tab's
 * Authorization as graphql-ws's connection_init payload, so a subscription runs
 * as the same caller as a query. It runs no inline script, so its CSP can
 * forbid them (public/graphiql-start.js reads the JSON block).
 */
export function renderGraphiQL(options: GraphiQLOptions = {}): string {
  const title = escapeHtml(options.title ?? 'GraphiQL');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSETS}/graphiql.css">
<style>body { margin: 0; } #root { height: 100vh; }</style>
</head>
<body>
<noscript>You need to enable JavaScript to run GraphiQL.</noscript>
<div id="root">Loading ${title}…</div>
<script type="application/json" id="graphiql-config">${scriptJson({ title: options.title ?? 'GraphiQL', query: options.defaultQuery ?? '' })}</script>
<script src="${ASSETS}/graphiql.js"></script>
<script type="module" src="/assets/graphiql-start.js"></script>
</body>
</html>
`;
}
