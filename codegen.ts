import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

const scalars = { DateTime: 'string', JSON: 'unknown' };

// `npm run codegen` first prints schema.graphql from the Pothos builder, then
// types the operations that tests and examples send, as TypedDocumentNode
// documents (the client preset's default): what Apollo Client, urql,
// graphql-request and graphql-sse take as they are, with result and variable
// types inferred. The examples' fragments are not masked, so a query's result
// type holds the fields of every fragment it spreads.
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
      config: { useTypeImports: true, enumsAsTypes: true, scalars },
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
