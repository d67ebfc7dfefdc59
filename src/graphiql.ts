import type { GraphiQLOptions } from 'graphql-yoga';

const ASSETS = '/assets/vendor/graphiql';

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
 * fetcher sends the headers over HTTP only).
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
<script>
  // Monaco starts its workers from blob URLs, as yoga's page does.
  const workerUrls = {
    editorWorkerService: '${ASSETS}/monacoeditorwork/editor.worker.bundle.js',
    json: '${ASSETS}/monacoeditorwork/json.worker.bundle.js',
    graphql: '${ASSETS}/monacoeditorwork/graphql.worker..bundle.js',
  };
  const workers = {};
  window.prepareWorkers = () =>
    Promise.all(Object.entries(workerUrls).map(async ([name, url]) => {
      const source = await (await fetch(url)).text();
      workers[name] = URL.createObjectURL(new Blob([source], { type: 'application/javascript' }));
    }));
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => workers[label] };
</script>
<script src="${ASSETS}/yoga-graphiql.umd.js"></script>
<script type="module">
  import { createFetcher } from '/assets/graphiql-fetcher.js';
  const options = ${scriptJson(options)};
  const endpoint = new URL(location.pathname, location.href).href;
  window.prepareWorkers().finally(() =>
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), { ...options, fetcher: createFetcher(endpoint) }),
  );
</script>
</body>
</html>
`;
}
