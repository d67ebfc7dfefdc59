import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

const ASSETS = '/assets/vendor/graphiql';

/**
 * The page's Content-Security-Policy. Every script is a file from this server
 * (no inline script runs: settings travel in a JSON block); Monaco starts its
 * workers from blob: URLs and injects its styles, and GraphiQL's CSS inlines
 * fonts and icons as data: URLs.
 */
export const GRAPHIQL_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
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
 * Yoga's GraphiQL page, with two changes. Its assets come from this server
 * rather than a CDN: the page works offline and no third-party script sees the
 * tokens pasted into it. And it runs operations through /assets/graphiql-fetcher.js,
 * which sends the Headers tab's Authorization as graphql-ws's connection_init
 * payload, so a subscription runs as the same caller as a query (yoga's own
 * fetcher sends the headers over HTTP only). It runs no inline script, so its
 * CSP can forbid them (public/graphiql-boot.js, public/graphiql-start.js).
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
</head>
<body id="body" class="no-focus-outline">
<noscript>You need to enable JavaScript to run GraphiQL.</noscript>
<div id="root">Loading ${title}…</div>
<script type="application/json" id="graphiql-config">${scriptJson({
  // Yoga's GraphiQL opens with its \`query\` option (or the URL's ?query=), not \`defaultQuery\`.
  options: options.defaultQuery ? { ...options, query: options.defaultQuery } : options,
  workers: {
    editorWorkerService: `${ASSETS}/monacoeditorwork/editor.worker.bundle.js`,
    json: `${ASSETS}/monacoeditorwork/json.worker.bundle.js`,
    graphql: `${ASSETS}/monacoeditorwork/graphql.worker..bundle.js`,
  },
})}</script>
<script src="/assets/graphiql-boot.js"></script>
<script src="${ASSETS}/yoga-graphiql.umd.js"></script>
<script type="module" src="/assets/graphiql-start.js"></script>
</body>
</html>
`;
}
