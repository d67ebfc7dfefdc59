/**
 * @generated SignedSource<<0ee686795fa67ee25ea5940faf6298f9>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ConcreteRequest } from 'relay-runtime';
export type relayStoreFailuresSubscription$variables = Record<PropertyKey, never>;
export type relayStoreFailuresSubscription$data = {
  readonly failureCount: {
    readonly count: number;
    readonly id: string;
  };
};
export type relayStoreFailuresSubscription = {
  response: relayStoreFailuresSubscription$data;
  variables: relayStoreFailuresSubscription$variables;
};

const node: ConcreteRequest = (function(){
var v0 = [
  {
    "alias": null,
    "args": [
      {
        "kind": "Literal",
        "name": "since",
        "value": "60m"
      }
    ],
    "concreteType": "FailureCount",
    "kind": "LinkedField",
    "name": "failureCount",
    "plural": false,
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
    "storageKey": "failureCount(since:\"60m\")"
  }
];
return {
  "fragment": {
    "argumentDefinitions": [],
    "kind": "Fragment",
    "metadata": null,
    "name": "relayStoreFailuresSubscription",
    "selections": (v0/*:: as any*/),
    "type": "Subscription",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": [],
    "kind": "Operation",
    "name": "relayStoreFailuresSubscription",
    "selections": (v0/*:: as any*/)
  },
  "params": {
    "cacheID": "56e36708d5eecffc9f3767ca0674891e",
    "id": null,
    "metadata": {},
    "name": "relayStoreFailuresSubscription",
    "operationKind": "subscription",
    "text": "subscription relayStoreFailuresSubscription {\n  failureCount(since: \"60m\") {\n    id\n    count\n  }\n}\n"
  }
};
})();

(node as any).hash = "1012663386f84ceaac17485036ee386b";

export default node;
