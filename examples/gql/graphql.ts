/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type ExecutionResultInput = {
  agentId: string;
  execId: string | number;
  output?: string | null | undefined;
  success: boolean;
};

export type ExecutionStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'PENDING'
  | 'RUNNING';

export type OrchestratorKind =
  | 'EMAIL'
  | 'FILE'
  | 'TRAFFIC';

export type ScriptStatus =
  | 'ACTIVE'
  | 'REVOKED';

export type AgentScriptStatusQueryVariables = Exact<{
  jobId: string | number;
}>;


export type AgentScriptStatusQuery = { scriptStatus: ScriptStatus };

export type AgentInFlightQueryVariables = Exact<{
  jobId: string | number;
}>;


export type AgentInFlightQuery = { pending: { nodes: Array<{ id: string, targetCount: number, resultCount: number }> }, running: { nodes: Array<{ id: string, targetCount: number, resultCount: number }> } };

export type AgentKillSignalsSubscriptionVariables = Exact<{
  execIds?: Array<string | number> | string | number | null | undefined;
  after?: string | number | null | undefined;
}>;


export type AgentKillSignalsSubscription = { killSignals: { id: string, execId: string, jobId: string, requestedBy: string, requestedAt: string } };

export type AgentReportResultMutationVariables = Exact<{
  input: ExecutionResultInput;
}>;


export type AgentReportResultMutation = { reportExecutionResult: { id: string, status: ExecutionStatus, resultCount: number, targetCount: number } };

export type WatchFailuresSubscriptionVariables = Exact<{
  since: string;
  kind?: OrchestratorKind | null | undefined;
}>;


export type WatchFailuresSubscription = { failureCount: { since: string, kind: OrchestratorKind | null, count: number, asOf: string } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const AgentScriptStatusDocument = new TypedDocumentString(`
    query AgentScriptStatus($jobId: ID!) {
  scriptStatus(jobId: $jobId)
}
    `) as unknown as TypedDocumentString<AgentScriptStatusQuery, AgentScriptStatusQueryVariables>;
export const AgentInFlightDocument = new TypedDocumentString(`
    query AgentInFlight($jobId: ID!) {
  pending: executions(jobId: $jobId, status: PENDING, first: 100) {
    nodes {
      id
      targetCount
      resultCount
    }
  }
  running: executions(jobId: $jobId, status: RUNNING, first: 100) {
    nodes {
      id
      targetCount
      resultCount
    }
  }
}
    `) as unknown as TypedDocumentString<AgentInFlightQuery, AgentInFlightQueryVariables>;
export const AgentKillSignalsDocument = new TypedDocumentString(`
    subscription AgentKillSignals($execIds: [ID!], $after: ID) {
  killSignals(execIds: $execIds, after: $after) {
    id
    execId
    jobId
    requestedBy
    requestedAt
  }
}
    `) as unknown as TypedDocumentString<AgentKillSignalsSubscription, AgentKillSignalsSubscriptionVariables>;
export const AgentReportResultDocument = new TypedDocumentString(`
    mutation AgentReportResult($input: ExecutionResultInput!) {
  reportExecutionResult(input: $input) {
    id
    status
    resultCount
    targetCount
  }
}
    `) as unknown as TypedDocumentString<AgentReportResultMutation, AgentReportResultMutationVariables>;
export const WatchFailuresDocument = new TypedDocumentString(`
    subscription WatchFailures($since: String!, $kind: OrchestratorKind) {
  failureCount(since: $since, kind: $kind) {
    since
    kind
    count
    asOf
  }
}
    `) as unknown as TypedDocumentString<WatchFailuresSubscription, WatchFailuresSubscriptionVariables>;