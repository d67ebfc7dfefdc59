import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError, Kind, parse, print, visit, type DocumentNode } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../config.js';

type Extensions = { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | null | undefined;

/** GraphQL Code Generator writes hashes as `sha256:<hex>`, Apollo as `<hex>`: both name the same document. */
const bareHash = (id: string) => id.replace(/^sha256:/, '');

/** The hash of a request that names a persisted operation: Apollo's `extensions.persistedQuery` or a `documentId`. */
function persistedIdOf(params: GraphQLParams & { documentId?: unknown }): string | null {
  const persisted = (params.extensions as Extensions)?.persistedQuery;
  if (persisted?.version === 1 && typeof persisted.sha256Hash === 'string') return bareHash(persisted.sha256Hash);
  return typeof params.documentId === 'string' ? bareHash(params.documentId) : null;
}

/** Whether a request body uses persisted operations at all (the JSON fast path leaves those to yoga). */
export function usesPersistedOperation(params: { extensions?: unknown; documentId?: unknown }): boolean {
  return params.documentId !== undefined || (params.extensions as Extensions)?.persistedQuery !== undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Apollo's automatic persisted queries: a request with only a hash gets
 * `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND) until the client
 * has sent the query once with its hash; after that the hash alone works. The
 * store is per process and bounded (1 000 queries, 16 M characters): an
 * instance that has not seen a hash answers "not found" and the client
 * resends the query, as APQ intends. Requests without a hash are untouched.
 */
function automaticPersistedQueries(store: LRUCache<string, string>): Plugin {
  const lookup = usePersistedOperations({
    allowArbitraryOperations: true,
    extractPersistedOperationId: (params) => persistedIdOf(params),
    getPersistedOperation: (hash) => store.get(hash) ?? null,
    customErrors: {
      notFound: { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 200 } } },
    },
  }) as Plugin;
  return {
    ...lookup,
    onParams(payload) {
      const hash = persistedIdOf(payload.params);
      if (hash === null) return;
      const query = payload.params.query;
      if (typeof query === 'string') {
        // Only a hash that is the query's own is stored: nobody can plant another document under it.
        if (sha256(query) !== hash) {
          throw new GraphQLError('provided sha does not match query', { extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH', http: { status: 400 } } });
        }
        store.set(hash, query);
        return;
      }
      return lookup.onParams!(payload);
    },
  };
}

/** Reads a persisted-documents manifest (GraphQL Code Generator's `persisted-documents.json`: hash → document). */
export function readManifest(path: string): Map<string, string> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`GRAPHQL_TRUSTED_DOCUMENTS: cannot read ${path}: ${(error as Error).message}`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest) || !Object.values(manifest).every((d) => typeof d === 'string')) {
    throw new ConfigError(`GRAPHQL_TRUSTED_DOCUMENTS: ${path} is not a manifest of { "<hash>": "<document>" }`);
  }
  return new Map(Object.entries(manifest as Record<string, string>).map(([hash, document]) => [bareHash(hash), document]));
}

/**
 * Trusted documents: only the documents of the manifest run, named by their
 * hash (`extensions.persistedQuery.sha256Hash` as Apollo sends it, or
 * `documentId`). A query text is refused, even one that is in the manifest.
 */
function trustedDocuments(manifest: Store): Plugin {
  return usePersistedOperations({
    allowArbitraryOperations: false,
    extractPersistedOperationId: (params) => persistedIdOf(params),
    getPersistedOperation: (hash) => manifest.get(hash) ?? null,
    customErrors: {
      notFound: { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST', http: { status: 400 } } },
      keyNotFound: { message: 'PersistedQueryKeyNotFound: this server runs trusted documents only; send a document hash', extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED', http: { status: 400 } } },
      persistedQueryOnly: { message: 'PersistedQueryOnly: this server runs trusted documents only; send the hash without the document', extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } } },
    },
  }) as Plugin;
}

export interface PersistedSettings {
  /** A manifest path: trusted documents only. null: automatic persisted queries beside plain queries. */
  trustedDocuments: string | null;
  apqMaxEntries: number;
}

type Store = { get(hash: string): string | undefined };

/**
 * A document's form with its definitions and every selection set in a fixed
 * order: two texts of the same document (Apollo's print, codegen's compact
 * one, other whitespace or field order) have the same form.
 */
function canonical(text: string): string | null {
  let document: DocumentNode;
  try {
    document = parse(text, { noLocation: true });
  } catch {
    return null;
  }
  const sorted = visit(document, {
    [Kind.SELECTION_SET]: { leave: (node) => ({ ...node, selections: [...node.selections].sort((a, b) => (print(a) < print(b) ? -1 : 1)) }) },
    [Kind.DOCUMENT]: { leave: (node) => ({ ...node, definitions: [...node.definitions].sort((a, b) => (print(a) < print(b) ? -1 : 1)) }) },
  });
  return print(sorted);
}

const notInList = () => new GraphQLError('PersistedQueryNotFound', { extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } });

export interface PersistedOperations {
  plugin: Plugin;
  /** Trusted documents: a request must name a document of the manifest. */
  trustedOnly: boolean;
  /**
   * The document a request that sends only a hash runs, when the plugin would
   * run it as it is; null when the plugin has a say (a hash it does not know,
   * a query to store or to refuse). The JSON fast path runs the first and
   * hands the others to yoga.
   */
  documentFor(params: { query?: unknown; extensions?: unknown; documentId?: unknown }): string | null;
  /**
   * What a graphql-ws subscribe message runs. Under trusted documents: the
   * manifest's document it names by hash, or its own text when that is a
   * manifest document (graphql-ws clients send the text), else a refusal.
   */
  documentForSocket(params: { query?: unknown; extensions?: unknown; documentId?: unknown }): string | GraphQLError;
}

export function persistedOperations(settings: PersistedSettings): PersistedOperations {
  // Bounded in entries and in characters: a client can register as many large documents as it likes.
  const apq =
    settings.trustedDocuments === null
      ? new LRUCache<string, string>({ max: settings.apqMaxEntries, maxSize: 16_000_000, sizeCalculation: (query) => query.length })
      : null;
  const store: Store = apq ?? readManifest(settings.trustedDocuments!);
  let trustedForms: Set<string> | undefined;
  return {
    plugin: apq ? automaticPersistedQueries(apq) : trustedDocuments(store),
    trustedOnly: settings.trustedDocuments !== null,
    documentFor(params) {
      if (params.query != null) return null;
      const hash = persistedIdOf(params as GraphQLParams);
      return hash === null ? null : (store.get(hash) ?? null);
    },
    documentForSocket(params) {
      if (apq) return typeof params.query === 'string' ? params.query : '';
      const hash = persistedIdOf(params as GraphQLParams);
      if (hash !== null) return store.get(hash) ?? notInList();
      trustedForms ??= new Set([...(store as Map<string, string>).values()].map((document) => canonical(document)!));
      const form = typeof params.query === 'string' ? canonical(params.query) : null;
      return form !== null && trustedForms.has(form) ? (params.query as string) : notInList();
    },
  };
}
