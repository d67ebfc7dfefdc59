// Renders GraphiQL once the Monaco workers are ready, with opsgraph's fetcher
// (subscriptions over graphql-ws, the token in connection_init).
import { createFetcher } from '/assets/graphiql-fetcher.js';

const endpoint = new URL(location.pathname, location.href).href;
// The opening query (src/graphiql-welcome.ts) only where the address names none: yoga's GraphiQL
// prefers its `query` option to ?query=, and a shared link (or an edit, which yoga writes into
// ?query=) must open as it was.
const { query, ...options } = window.graphiqlOptions;
const opening = new URL(location.href).searchParams.has('query') ? {} : { query };
window.prepareWorkers().finally(() =>
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), { ...options, ...opening, fetcher: createFetcher(endpoint) }),
);
