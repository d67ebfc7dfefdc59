import type { CodegenConfig } from '@graphql-codegen/cli';

const scalars = { DateTime: 'string', JSON: 'unknown' };

// `npm run codegen` first prints schema.graphql from the Pothos builder, then
// types the operations that tests and examples send: the tests' as documents,
// the examples' as plain strings (TypedDocumentString), so a client needs no
// GraphQL library to send them.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/gql/': {
      documents: ['test/operations/**/*.graphql'],
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true, scalars },
    },
    'examples/gql/': {
      documents: ['examples/**/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, documentMode: 'string', scalars },
    },
  },
};

export default config;
