// GraphiQL's browser bundle (built by src/graphiql/bundle.ts). It exposes one function that
// public/graphiql-start.js calls with opsgraph's fetcher; GraphiQL's default plugins (History,
// and the Docs explorer) stay on.
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';

const base = document.currentScript.src.replace(/[^/]*$/, '');
globalThis.MonacoEnvironment = {
  getWorker: (_id, label) => new Worker(`${base}${label === 'json' || label === 'graphql' ? label : 'editor'}.worker.js`),
};

window.OpsgraphGraphiQL = {
  render(root, { title, ...props }) {
    const logo = createElement(GraphiQL.Logo, null, title);
    createRoot(root).render(createElement(GraphiQL, props, logo));
  },
};
