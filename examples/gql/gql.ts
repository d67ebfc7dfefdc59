/* eslint-disable */
import * as types from './graphql.js';



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
    "query AgentScriptStatus($jobId: ID!) {\n  scriptStatus(jobId: $jobId)\n}\n\nquery AgentInFlight($jobId: ID!) {\n  pending: executions(jobId: $jobId, status: PENDING, first: 100) {\n    nodes {\n      id\n      targetCount\n      resultCount\n    }\n  }\n  running: executions(jobId: $jobId, status: RUNNING, first: 100) {\n    nodes {\n      id\n      targetCount\n      resultCount\n    }\n  }\n}\n\nsubscription AgentKillSignals($execIds: [ID!], $after: ID) {\n  killSignals(execIds: $execIds, after: $after) {\n    id\n    execId\n    jobId\n    requestedBy\n    requestedAt\n  }\n}\n\nmutation AgentReportResult($input: ExecutionResultInput!) {\n  reportExecutionResult(input: $input) {\n    id\n    status\n    resultCount\n    targetCount\n  }\n}": typeof types.AgentScriptStatusDocument,
    "subscription WatchFailures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    since\n    kind\n    count\n    asOf\n  }\n}": typeof types.WatchFailuresDocument,
};
const documents: Documents = {
    "query AgentScriptStatus($jobId: ID!) {\n  scriptStatus(jobId: $jobId)\n}\n\nquery AgentInFlight($jobId: ID!) {\n  pending: executions(jobId: $jobId, status: PENDING, first: 100) {\n    nodes {\n      id\n      targetCount\n      resultCount\n    }\n  }\n  running: executions(jobId: $jobId, status: RUNNING, first: 100) {\n    nodes {\n      id\n      targetCount\n      resultCount\n    }\n  }\n}\n\nsubscription AgentKillSignals($execIds: [ID!], $after: ID) {\n  killSignals(execIds: $execIds, after: $after) {\n    id\n    execId\n    jobId\n    requestedBy\n    requestedAt\n  }\n}\n\nmutation AgentReportResult($input: ExecutionResultInput!) {\n  reportExecutionResult(input: $input) {\n    id\n    status\n    resultCount\n    targetCount\n  }\n}": types.AgentScriptStatusDocument,
    "subscription WatchFailures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    since\n    kind\n    count\n    asOf\n  }\n}": types.WatchFailuresDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AgentScriptStatus($jobId: ID!) {\n  scriptStatus(jobId: $jobId)\n}\n\nquery AgentInFlight($jobId: ID!) {\n  pending: executions(jobId: $jobId, status: PENDING, first: 100) {\n    nodes {\n      id\n      targetCount\n      resultCount\n    }\n  }\n  running: executions(jobId: $jobId, status: RUNNING, first: 100) {\n    nodes {\n      id\n      targetCount\n      resultCount\n    }\n  }\n}\n\nsubscription AgentKillSignals($execIds: [ID!], $after: ID) {\n  killSignals(execIds: $execIds, after: $after) {\n    id\n    execId\n    jobId\n    requestedBy\n    requestedAt\n  }\n}\n\nmutation AgentReportResult($input: ExecutionResultInput!) {\n  reportExecutionResult(input: $input) {\n    id\n    status\n    resultCount\n    targetCount\n  }\n}"): typeof import('./graphql.js').AgentScriptStatusDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription WatchFailures($since: String!, $kind: OrchestratorKind) {\n  failureCount(since: $since, kind: $kind) {\n    since\n    kind\n    count\n    asOf\n  }\n}"): typeof import('./graphql.js').WatchFailuresDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
