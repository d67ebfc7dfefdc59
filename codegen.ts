import type { CodegenConfig } from '@graphql-codegen/cli';

// `npm run codegen` first prints schema.graphql from the Pothos builder, then
// types the operations that tests and examples send.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/operations/**/*.graphql', 'examples/**/*.graphql'],
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/gql/': {
      preset: 'client',
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: 'string', JSON: 'unknown' } },
    },
  },
};

export default config;
