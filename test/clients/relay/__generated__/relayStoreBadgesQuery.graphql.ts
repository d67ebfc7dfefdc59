/**
 * @generated SignedSource<<a0c25d7e42852e340c06cf875f9563b9>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ConcreteRequest } from 'relay-runtime';
import { FragmentRefs } from "relay-runtime";
export type relayStoreBadgesQuery$variables = Record<PropertyKey, never>;
export type relayStoreBadgesQuery$data = {
  readonly dashboard: {
    readonly failureCount: {
      readonly count: number;
      readonly id: string;
    };
    readonly id: string;
  };
  readonly failureCount: {
    readonly count: number;
    readonly id: string;
    readonly " $fragmentSpreads": FragmentRefs<"relayStore_badge">;
  };
};
export type relayStoreBadgesQuery = {
  response: relayStoreBadgesQuery$data;
  variables: relayStoreBadgesQuery$variables;
};

const node: ConcreteRequest = (function(){
var v0 = [
  {
    "kind": "Literal",
    "name": "since",
    "value": "1h"
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
  "name": "count",
  "storageKey": null
},
v3 = [
  (v1/*:: as any*/),
  (v2/*:: as any*/)
],
v4 = {
  "alias": null,
  "args": null,
  "concreteType": "Dashboard",
  "kind": "LinkedField",
  "name": "dashboard",
  "plural": false,
  "selections": [
    (v1/*:: as any*/),
    {
      "alias": null,
      "args": null,
      "concreteType": "FailureCount",
      "kind": "LinkedField",
      "name": "failureCount",
      "plural": false,
      "selections": (v3/*:: as any*/),
      "storageKey": null
    }
  ],
  "storageKey": null
};
return {
  "fragment": {
    "argumentDefinitions": [],
    "kind": "Fragment",
    "metadata": null,
    "name": "relayStoreBadgesQuery",
    "selections": [
      {
        "alias": null,
        "args": (v0/*:: as any*/),
        "concreteType": "FailureCount",
        "kind": "LinkedField",
        "name": "failureCount",
        "plural": false,
        "selections": [
          (v1/*:: as any*/),
          (v2/*:: as any*/),
          {
            "args": null,
            "kind": "FragmentSpread",
            "name": "relayStore_badge"
          }
        ],
        "storageKey": "failureCount(since:\"1h\")"
      },
      (v4/*:: as any*/)
    ],
    "type": "Query",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": [],
    "kind": "Operation",
    "name": "relayStoreBadgesQuery",
    "selections": [
      {
        "alias": null,
        "args": (v0/*:: as any*/),
        "concreteType": "FailureCount",
        "kind": "LinkedField",
        "name": "failureCount",
        "plural": false,
        "selections": (v3/*:: as any*/),
        "storageKey": "failureCount(since:\"1h\")"
      },
      (v4/*:: as any*/)
    ]
  },
  "params": {
    "cacheID": "2ce2938d426057ed90706c97f7f391e6",
    "id": null,
    "metadata": {},
    "name": "relayStoreBadgesQuery",
    "operationKind": "query",
    "text": "query relayStoreBadgesQuery {\n  failureCount(since: \"1h\") {\n    id\n    count\n    ...relayStore_badge\n  }\n  dashboard {\n    id\n    failureCount {\n      id\n      count\n    }\n  }\n}\n\nfragment relayStore_badge on FailureCount {\n  id\n  count\n}\n"
  }
};
})();

(node as any).hash = "f63248890efae74a5f069732161cf3a9";

export default node;
