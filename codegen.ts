import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

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
    // Typed documents plus persisted-documents.json, the manifest that
    // GRAPHQL_TRUSTED_DOCUMENTS takes (sha256 of each document, as Apollo's
    // persisted-query link hashes). __typename is added as Apollo's cache adds it,
    // so the manifest holds exactly what the clients' caches expect back.
    'test/clients/persisted/gql/': {
      documents: ['test/clients/persisted/**/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' } },
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: { useTypeImports: true, enumsAsTypes: true, scalars },
    },
  },
};

export default config;
