/**
 * @generated SignedSource<<a4aee59cdd6e5a6f0d628117e7c3a602>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ReaderFragment } from 'relay-runtime';
import { FragmentRefs } from "relay-runtime";
export type relayStore_badge$data = {
  readonly count: number;
  readonly id: string;
  readonly " $fragmentType": "relayStore_badge";
};
export type relayStore_badge$key = {
  readonly " $data"?: relayStore_badge$data;
  readonly " $fragmentSpreads": FragmentRefs<"relayStore_badge">;
};

import relayStoreBadgeRefetchQuery_graphql from './relayStoreBadgeRefetchQuery.graphql';

const node: ReaderFragment = {
  "argumentDefinitions": [],
  "kind": "Fragment",
  "metadata": {
    "refetch": {
      "connection": null,
      "fragmentPathInResult": [
        "node"
      ],
      "operation": relayStoreBadgeRefetchQuery_graphql,
      "identifierInfo": {
        "identifierField": "id",
        "identifierQueryVariableName": "id"
      }
    }
  },
  "name": "relayStore_badge",
  "selections": [
    {
      "alias": null,
      "args": null,
      "kind": "ScalarField",
      "name": "id",
      "storageKey": null
    },
    {
      "alias": null,
      "args": null,
      "kind": "ScalarField",
      "name": "count",
      "storageKey": null
    }
  ],
  "type": "FailureCount",
  "abstractKey": null
};

(node as any).hash = "a276ff58a0e679b00430b50ff98a543e";

export default node;
