/**
 * @generated SignedSource<<e6b1ea89beb12c2d4c5faadf4398ea0b>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ConcreteRequest } from 'relay-runtime';
import { FragmentRefs } from "relay-runtime";
export type relayStoreJobsQuery$variables = Record<PropertyKey, never>;
export type relayStoreJobsQuery$data = {
  readonly jobs: ReadonlyArray<{
    readonly id: string;
    readonly " $fragmentSpreads": FragmentRefs<"relayStore_job">;
  }>;
};
export type relayStoreJobsQuery = {
  response: relayStoreJobsQuery$data;
  variables: relayStoreJobsQuery$variables;
};

const node: ConcreteRequest = (function(){
var v0 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "id",
  "storageKey": null
};
return {
  "fragment": {
    "argumentDefinitions": [],
    "kind": "Fragment",
    "metadata": null,
    "name": "relayStoreJobsQuery",
    "selections": [
      {
        "alias": null,
        "args": null,
        "concreteType": "Job",
        "kind": "LinkedField",
        "name": "jobs",
        "plural": true,
        "selections": [
          (v0/*:: as any*/),
          {
            "args": null,
            "kind": "FragmentSpread",
            "name": "relayStore_job"
          }
        ],
        "storageKey": null
      }
    ],
    "type": "Query",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": [],
    "kind": "Operation",
    "name": "relayStoreJobsQuery",
    "selections": [
      {
        "alias": null,
        "args": null,
        "concreteType": "Job",
        "kind": "LinkedField",
        "name": "jobs",
        "plural": true,
        "selections": [
          (v0/*:: as any*/),
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
            "kind": "ScalarField",
            "name": "description",
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
              (v0/*:: as any*/),
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
      }
    ]
  },
  "params": {
    "cacheID": "f3535e073e6e0a904e8de434a5d7d83b",
    "id": null,
    "metadata": {},
    "name": "relayStoreJobsQuery",
    "operationKind": "query",
    "text": "query relayStoreJobsQuery {\n  jobs {\n    id\n    ...relayStore_job\n  }\n}\n\nfragment relayStore_job on Job {\n  id\n  version\n  description\n  live {\n    id\n    running\n    pending\n  }\n}\n"
  }
};
})();

(node as any).hash = "21a49ee5e773a9559c0611cf4c5468a1";

export default node;
