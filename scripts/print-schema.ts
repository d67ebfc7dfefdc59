// Writes the Pothos schema to schema.graphql, the file clients and the contract test read.
import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../src/schema/index.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printSchema(schema) + '\n');
console.log('wrote schema.graphql');
