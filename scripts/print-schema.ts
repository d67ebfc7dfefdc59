// Writes the Pothos schema to schema.graphql, the file clients and the contract test read, and the
// same schema as a federation subgraph (its @link and @key directives) to subgraph.graphql, the file
// a supergraph is composed from where `_service` is off (docs/frontend.md).
import { writeFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printSchema(schema) + '\n');
writeFileSync(new URL('../subgraph.graphql', import.meta.url), printSubgraphSchema(schema) + '\n');
console.log('wrote schema.graphql and subgraph.graphql');
