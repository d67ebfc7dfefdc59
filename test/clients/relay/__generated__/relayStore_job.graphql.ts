/**
 * @generated SignedSource<<9d1f4b1d5a8f78315d09b9ae4693c2b3>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ReaderFragment } from 'relay-runtime';
import { FragmentRefs } from "relay-runtime";
export type relayStore_job$data = {
  readonly description: string | null | undefined;
  readonly id: string;
  readonly live: {
    readonly id: string;
    readonly pending: number;
    readonly running: number;
  };
  readonly version: string;
  readonly " $fragmentType": "relayStore_job";
};
export type relayStore_job$key = {
  readonly " $data"?: relayStore_job$data;
  readonly " $fragmentSpreads": FragmentRefs<"relayStore_job">;
};

import relayStoreJobRefetchQuery_graphql from './relayStoreJobRefetchQuery.graphql';

const node: ReaderFragment = (function(){
var v0 = {
  "alias": null,
  "args": null,
  "kind": "ScalarField",
  "name": "id",
  "storageKey": null
};
return {
  "argumentDefinitions": [],
  "kind": "Fragment",
  "metadata": {
    "refetch": {
      "connection": null,
      "fragmentPathInResult": [
        "node"
      ],
      "operation": relayStoreJobRefetchQuery_graphql,
      "identifierInfo": {
        "identifierField": "id",
        "identifierQueryVariableName": "id"
      }
    }
  },
  "name": "relayStore_job",
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
  "type": "Job",
  "abstractKey": null
};
})();

(node as any).hash = "519c7b9656e29bd2fdca4a74637d69ea";

export default node;
