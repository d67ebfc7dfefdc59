/**
 * @generated SignedSource<<4695d9eb04601c8388edfe6c2c99c5c8>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ConcreteRequest } from 'relay-runtime';
export type ExecutionStatus = "COMPLETED" | "FAILED" | "PENDING" | "RUNNING" | "%future added value";
export type NotificationStatus = "DEAD" | "FAILED" | "PENDING" | "READ" | "SENT" | "%future added value";
export type relayStoreCollisionsQuery$variables = {
  notification: string;
};
export type relayStoreCollisionsQuery$data = {
  readonly executions: {
    readonly nodes: ReadonlyArray<{
      readonly id: string;
      readonly jobId: string;
      readonly rowId: string;
      readonly status: ExecutionStatus;
    }>;
  };
  readonly jobs: ReadonlyArray<{
    readonly id: string;
    readonly live: {
      readonly id: string;
      readonly pending: number;
      readonly rowId: string;
      readonly running: number;
    };
    readonly rowId: string;
    readonly version: string;
  }>;
  readonly notification: {
    readonly id: string;
    readonly rowId: string;
    readonly status: NotificationStatus;
    readonly subject: string;
  } | null | undefined;
  readonly schedules: ReadonlyArray<{
    readonly cron: string;
    readonly id: string;
    readonly jobId: string;
    readonly rowId: string;
  }>;
};
export type relayStoreCollisionsQuery = {
  response: relayStoreCollisionsQuery$data;
  variables: relayStoreCollisionsQuery$variables;
};

const node: ConcreteRequest = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "notification"
  }
],
v1 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "id",
  "storageKey": null
},
v2 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "rowId",
  "storageKey": null
},
v3 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "status",
  "storageKey": null
},
v4 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "jobId",
  "storageKey": null
},
v5 = [
  {
    "alias": null,
    "args": null,
    "concreteType": "Job",
    "kind": "LinkedField",
    "name": "jobs",
    "plural": true,
    "selections": [
      (v1/*:: as any*/),
      (v2/*:: as any*/),
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "version",
        "storageKey": null
      },
      {
        "alias": null,
        "args": null,
        "concreteType": "JobLiveCounts",
        "kind": "LinkedField",
        "name": "live",
        "plural": false,
        "selections": [
          (v1/*:: as any*/),
          (v2/*:: as any*/),
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "running",
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "pending",
            "storageKey": null
          }
        ],
        "storageKey": null
      }
    ],
    "storageKey": null
  },
  {
    "alias": null,
    "args": [
      {
        "kind": "Variable",
        "name": "id",
        "variableName": "notification"
      }
    ],
    "concreteType": "Notification",
    "kind": "LinkedField",
    "name": "notification",
    "plural": false,
    "selections": [
      (v1/*:: as any*/),
      (v2/*:: as any*/),
      (v3/*:: as any*/),
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "subject",
        "storageKey": null
      }
    ],
    "storageKey": null
  },
  {
    "alias": null,
    "args": [
      {
        "kind": "Literal",
        "name": "jobId",
        "value": "1"
      }
    ],
    "concreteType": "ExecutionConnection",
    "kind": "LinkedField",
    "name": "executions",
    "plural": false,
    "selections": [
      {
        "alias": null,
        "args": null,
        "concreteType": "Execution",
        "kind": "LinkedField",
        "name": "nodes",
        "plural": true,
        "selections": [
          (v1/*:: as any*/),
          (v2/*:: as any*/),
          (v3/*:: as any*/),
          (v4/*:: as any*/)
        ],
        "storageKey": null
      }
    ],
    "storageKey": "executions(jobId:\"1\")"
  },
  {
    "alias": null,
    "args": null,
    "concreteType": "Schedule",
    "kind": "LinkedField",
    "name": "schedules",
    "plural": true,
    "selections": [
      (v1/*:: as any*/),
      (v2/*:: as any*/),
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "cron",
        "storageKey": null
      },
      (v4/*:: as any*/)
    ],
    "storageKey": null
  }
];
return {
  "fragment": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Fragment",
    "metadata": null,
    "name": "relayStoreCollisionsQuery",
    "selections": (v5/*:: as any*/),
    "type": "Query",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "relayStoreCollisionsQuery",
    "selections": (v5/*:: as any*/)
  },
  "params": {
    "cacheID": "9882ab09b69698ce5d4fb18a902fa59b",
    "id": null,
    "metadata": {},
    "name": "relayStoreCollisionsQuery",
    "operationKind": "query",
    "text": "query relayStoreCollisionsQuery(\n  $notification: ID!\n) {\n  jobs {\n    id\n    rowId\n    version\n    live {\n      id\n      rowId\n      running\n      pending\n    }\n  }\n  notification(id: $notification) {\n    id\n    rowId\n    status\n    subject\n  }\n  executions(jobId: \"1\") {\n    nodes {\n      id\n      rowId\n      status\n      jobId\n    }\n  }\n  schedules {\n    id\n    rowId\n    cron\n    jobId\n  }\n}\n"
  }
};
})();

(node as any).hash = "67bb5fda1fd0aaf0c00b7ea3ff507bcb";

export default node;
