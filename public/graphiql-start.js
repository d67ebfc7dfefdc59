// Renders GraphiQL once the Monaco workers are ready, with opsgraph's fetcher
// (subscriptions over graphql-ws, the token in connection_init).
import { createFetcher } from '/assets/graphiql-fetcher.js';

const endpoint = new URL(location.pathname, location.href).href;
window.prepareWorkers().finally(() =>
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), { ...window.graphiqlOptions, fetcher: createFetcher(endpoint) }),
);
