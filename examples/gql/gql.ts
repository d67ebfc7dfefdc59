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
    "query AgentScriptStatus($jobId: ID!) {\n  scriptStatus(jobId: $jobId)\n}\n\nquery AgentInFlight($jobId: ID!) {\n  pending: executions(jobId: $jobId, status: PENDING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n  running: executions(jobId: $jobId, status: RUNNING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n}\n\nsubscription AgentKillSignals($execIds: [ID!], $after: ID) {\n  killSignals(execIds: $execIds, after: $after) {\n    rowId\n    execId\n    jobId\n    requestedBy\n    requestedAt\n  }\n}\n\nmutation AgentReportResult($input: ExecutionResultInput!) {\n  reportExecutionResult(input: $input) {\n    id\n    status\n    resultCount\n    targetCount\n  }\n}": typeof types.AgentScriptStatusDocument,
    "fragment FailureBadge on FailureCount {\n  id\n  since\n  kind\n  count\n  asOf\n}\n\nfragment JobLiveBadge on JobLiveCounts {\n  id\n  running\n  pending\n}\n\nfragment JobRow on Job {\n  id\n  version\n  description\n  live {\n    ...JobLiveBadge\n  }\n}\n\nfragment ScanBadge on ScanStats {\n  id\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment DashboardBadges on Dashboard {\n  id\n  deadLetterCount\n  jobsRunning\n  jobsPending\n  failureCount {\n    ...FailureBadge\n  }\n  scanStats {\n    ...ScanBadge\n  }\n}\n\nquery Failures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nsubscription FailuresLive($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nquery Jobs {\n  jobs {\n    ...JobRow\n  }\n}\n\nsubscription JobLive($jobId: ID!) {\n  jobLiveCounts(jobId: $jobId) {\n    ...JobLiveBadge\n  }\n}\n\nquery Dashboard {\n  dashboard {\n    ...DashboardBadges\n  }\n}\n\nsubscription DashboardLive {\n  dashboard {\n    ...DashboardBadges\n  }\n}": typeof types.FailureBadgeFragmentDoc,
    "subscription WatchFailures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    since\n    kind\n    count\n    asOf\n  }\n}": typeof types.WatchFailuresDocument,
};
const documents: Documents = {
    "query AgentScriptStatus($jobId: ID!) {\n  scriptStatus(jobId: $jobId)\n}\n\nquery AgentInFlight($jobId: ID!) {\n  pending: executions(jobId: $jobId, status: PENDING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n  running: executions(jobId: $jobId, status: RUNNING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n}\n\nsubscription AgentKillSignals($execIds: [ID!], $after: ID) {\n  killSignals(execIds: $execIds, after: $after) {\n    rowId\n    execId\n    jobId\n    requestedBy\n    requestedAt\n  }\n}\n\nmutation AgentReportResult($input: ExecutionResultInput!) {\n  reportExecutionResult(input: $input) {\n    id\n    status\n    resultCount\n    targetCount\n  }\n}": types.AgentScriptStatusDocument,
    "fragment FailureBadge on FailureCount {\n  id\n  since\n  kind\n  count\n  asOf\n}\n\nfragment JobLiveBadge on JobLiveCounts {\n  id\n  running\n  pending\n}\n\nfragment JobRow on Job {\n  id\n  version\n  description\n  live {\n    ...JobLiveBadge\n  }\n}\n\nfragment ScanBadge on ScanStats {\n  id\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment DashboardBadges on Dashboard {\n  id\n  deadLetterCount\n  jobsRunning\n  jobsPending\n  failureCount {\n    ...FailureBadge\n  }\n  scanStats {\n    ...ScanBadge\n  }\n}\n\nquery Failures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nsubscription FailuresLive($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nquery Jobs {\n  jobs {\n    ...JobRow\n  }\n}\n\nsubscription JobLive($jobId: ID!) {\n  jobLiveCounts(jobId: $jobId) {\n    ...JobLiveBadge\n  }\n}\n\nquery Dashboard {\n  dashboard {\n    ...DashboardBadges\n  }\n}\n\nsubscription DashboardLive {\n  dashboard {\n    ...DashboardBadges\n  }\n}": types.FailureBadgeFragmentDoc,
    "subscription WatchFailures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    since\n    kind\n    count\n    asOf\n  }\n}": types.WatchFailuresDocument,
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
export function graphql(source: "query AgentScriptStatus($jobId: ID!) {\n  scriptStatus(jobId: $jobId)\n}\n\nquery AgentInFlight($jobId: ID!) {\n  pending: executions(jobId: $jobId, status: PENDING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n  running: executions(jobId: $jobId, status: RUNNING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n}\n\nsubscription AgentKillSignals($execIds: [ID!], $after: ID) {\n  killSignals(execIds: $execIds, after: $after) {\n    rowId\n    execId\n    jobId\n    requestedBy\n    requestedAt\n  }\n}\n\nmutation AgentReportResult($input: ExecutionResultInput!) {\n  reportExecutionResult(input: $input) {\n    id\n    status\n    resultCount\n    targetCount\n  }\n}"): (typeof documents)["query AgentScriptStatus($jobId: ID!) {\n  scriptStatus(jobId: $jobId)\n}\n\nquery AgentInFlight($jobId: ID!) {\n  pending: executions(jobId: $jobId, status: PENDING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n  running: executions(jobId: $jobId, status: RUNNING, first: 100) {\n    nodes {\n      rowId\n      targetCount\n      resultCount\n    }\n  }\n}\n\nsubscription AgentKillSignals($execIds: [ID!], $after: ID) {\n  killSignals(execIds: $execIds, after: $after) {\n    rowId\n    execId\n    jobId\n    requestedBy\n    requestedAt\n  }\n}\n\nmutation AgentReportResult($input: ExecutionResultInput!) {\n  reportExecutionResult(input: $input) {\n    id\n    status\n    resultCount\n    targetCount\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment FailureBadge on FailureCount {\n  id\n  since\n  kind\n  count\n  asOf\n}\n\nfragment JobLiveBadge on JobLiveCounts {\n  id\n  running\n  pending\n}\n\nfragment JobRow on Job {\n  id\n  version\n  description\n  live {\n    ...JobLiveBadge\n  }\n}\n\nfragment ScanBadge on ScanStats {\n  id\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment DashboardBadges on Dashboard {\n  id\n  deadLetterCount\n  jobsRunning\n  jobsPending\n  failureCount {\n    ...FailureBadge\n  }\n  scanStats {\n    ...ScanBadge\n  }\n}\n\nquery Failures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nsubscription FailuresLive($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nquery Jobs {\n  jobs {\n    ...JobRow\n  }\n}\n\nsubscription JobLive($jobId: ID!) {\n  jobLiveCounts(jobId: $jobId) {\n    ...JobLiveBadge\n  }\n}\n\nquery Dashboard {\n  dashboard {\n    ...DashboardBadges\n  }\n}\n\nsubscription DashboardLive {\n  dashboard {\n    ...DashboardBadges\n  }\n}"): (typeof documents)["fragment FailureBadge on FailureCount {\n  id\n  since\n  kind\n  count\n  asOf\n}\n\nfragment JobLiveBadge on JobLiveCounts {\n  id\n  running\n  pending\n}\n\nfragment JobRow on Job {\n  id\n  version\n  description\n  live {\n    ...JobLiveBadge\n  }\n}\n\nfragment ScanBadge on ScanStats {\n  id\n  total\n  stats {\n    scanType\n    count\n  }\n}\n\nfragment DashboardBadges on Dashboard {\n  id\n  deadLetterCount\n  jobsRunning\n  jobsPending\n  failureCount {\n    ...FailureBadge\n  }\n  scanStats {\n    ...ScanBadge\n  }\n}\n\nquery Failures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nsubscription FailuresLive($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    ...FailureBadge\n  }\n}\n\nquery Jobs {\n  jobs {\n    ...JobRow\n  }\n}\n\nsubscription JobLive($jobId: ID!) {\n  jobLiveCounts(jobId: $jobId) {\n    ...JobLiveBadge\n  }\n}\n\nquery Dashboard {\n  dashboard {\n    ...DashboardBadges\n  }\n}\n\nsubscription DashboardLive {\n  dashboard {\n    ...DashboardBadges\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription WatchFailures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    since\n    kind\n    count\n    asOf\n  }\n}"): (typeof documents)["subscription WatchFailures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    since\n    kind\n    count\n    asOf\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;