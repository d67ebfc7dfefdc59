// `npm install` runs this (the `prepare` script): GraphiQL's browser bundle, served at /graphql.
import { buildGraphiql, GRAPHIQL_DIR, graphiqlIsBuilt } from '../src/graphiql/bundle.js';

if (await graphiqlIsBuilt()) {
  console.log(`GraphiQL is built (${GRAPHIQL_DIR})`);
} else {
  await buildGraphiql();
  console.log(`GraphiQL built into ${GRAPHIQL_DIR}`);
}
