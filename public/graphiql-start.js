// Renders GraphiQL (the bundle at /assets/vendor/graphiql/graphiql.js) with opsgraph's fetcher:
// subscriptions over graphql-ws, the token in connection_init.
import { createFetcher } from '/assets/graphiql-fetcher.js';

const config = JSON.parse(document.getElementById('graphiql-config').textContent);
const url = new URL(location.href);
const endpoint = new URL(location.pathname, location.href).href;

window.OpsgraphGraphiQL.render(document.getElementById('root'), {
  title: config.title,
  fetcher: createFetcher(endpoint),
  // A shared link's ?query= opens as it was; otherwise the welcome query (src/graphiql/welcome.ts).
  initialQuery: url.searchParams.get('query') ?? config.query,
  // Edits go into ?query=, so that the address can be shared or reloaded.
  onEditQuery: (query) => {
    url.searchParams.set('query', query);
    history.replaceState(null, '', url);
  },
  shouldPersistHeaders: true,
  isHeadersEditorEnabled: true,
  defaultEditorToolsVisibility: true,
  inputValueDeprecation: true,
  schemaDescription: true,
});
