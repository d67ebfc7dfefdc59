/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "fragment ScanBadge on ScanStats {\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment FailureBadge on FailureCount {\n  since\n  count\n}\n\nfragment JobRow on Job {\n  id\n  version\n  live {\n    ...JobLive\n  }\n}\n\nfragment JobLive on JobLiveCounts {\n  running\n  pending\n}\n\nfragment DeadLetterRow on Notification {\n  id\n  status\n  subject\n}\n\nquery Badges($since: String!) {\n  scanStats {\n    ...ScanBadge\n  }\n  failureCount(since: $since) {\n    ...FailureBadge\n  }\n}\n\nquery JobList {\n  jobs {\n    ...JobRow\n  }\n}\n\nquery DeadLetters($first: Int!) {\n  notifications(status: DEAD, first: $first) {\n    totalCount\n    nodes {\n      ...DeadLetterRow\n    }\n  }\n}\n\nmutation RecordScan($input: RecordScanInput!) {\n  recordScan(input: $input) {\n    id\n    scanType\n  }\n}\n\nsubscription LiveScans {\n  scanStats {\n    ...ScanBadge\n  }\n}": typeof types.ScanBadgeFragmentDoc,
};
const documents: Documents = {
    "fragment ScanBadge on ScanStats {\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment FailureBadge on FailureCount {\n  since\n  count\n}\n\nfragment JobRow on Job {\n  id\n  version\n  live {\n    ...JobLive\n  }\n}\n\nfragment JobLive on JobLiveCounts {\n  running\n  pending\n}\n\nfragment DeadLetterRow on Notification {\n  id\n  status\n  subject\n}\n\nquery Badges($since: String!) {\n  scanStats {\n    ...ScanBadge\n  }\n  failureCount(since: $since) {\n    ...FailureBadge\n  }\n}\n\nquery JobList {\n  jobs {\n    ...JobRow\n  }\n}\n\nquery DeadLetters($first: Int!) {\n  notifications(status: DEAD, first: $first) {\n    totalCount\n    nodes {\n      ...DeadLetterRow\n    }\n  }\n}\n\nmutation RecordScan($input: RecordScanInput!) {\n  recordScan(input: $input) {\n    id\n    scanType\n  }\n}\n\nsubscription LiveScans {\n  scanStats {\n    ...ScanBadge\n  }\n}": types.ScanBadgeFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ScanBadge on ScanStats {\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment FailureBadge on FailureCount {\n  since\n  count\n}\n\nfragment JobRow on Job {\n  id\n  version\n  live {\n    ...JobLive\n  }\n}\n\nfragment JobLive on JobLiveCounts {\n  running\n  pending\n}\n\nfragment DeadLetterRow on Notification {\n  id\n  status\n  subject\n}\n\nquery Badges($since: String!) {\n  scanStats {\n    ...ScanBadge\n  }\n  failureCount(since: $since) {\n    ...FailureBadge\n  }\n}\n\nquery JobList {\n  jobs {\n    ...JobRow\n  }\n}\n\nquery DeadLetters($first: Int!) {\n  notifications(status: DEAD, first: $first) {\n    totalCount\n    nodes {\n      ...DeadLetterRow\n    }\n  }\n}\n\nmutation RecordScan($input: RecordScanInput!) {\n  recordScan(input: $input) {\n    id\n    scanType\n  }\n}\n\nsubscription LiveScans {\n  scanStats {\n    ...ScanBadge\n  }\n}"): (typeof documents)["fragment ScanBadge on ScanStats {\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment FailureBadge on FailureCount {\n  since\n  count\n}\n\nfragment JobRow on Job {\n  id\n  version\n  live {\n    ...JobLive\n  }\n}\n\nfragment JobLive on JobLiveCounts {\n  running\n  pending\n}\n\nfragment DeadLetterRow on Notification {\n  id\n  status\n  subject\n}\n\nquery Badges($since: String!) {\n  scanStats {\n    ...ScanBadge\n  }\n  failureCount(since: $since) {\n    ...FailureBadge\n  }\n}\n\nquery JobList {\n  jobs {\n    ...JobRow\n  }\n}\n\nquery DeadLetters($first: Int!) {\n  notifications(status: DEAD, first: $first) {\n    totalCount\n    nodes {\n      ...DeadLetterRow\n    }\n  }\n}\n\nmutation RecordScan($input: RecordScanInput!) {\n  recordScan(input: $input) {\n    id\n    scanType\n  }\n}\n\nsubscription LiveScans {\n  scanStats {\n    ...ScanBadge\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;