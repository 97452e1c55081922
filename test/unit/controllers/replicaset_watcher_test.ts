// Unit tests for which ReplicaSets an APIMAPI targets.
import assert from "node:assert/strict";
import { targetSelector } from "../../../src/controllers/replicaset_watcher.ts";
import type { ApimApi } from "../../../src/crd/apim_api.ts";
import { apimApiFixture } from "./apim_api_fixture.ts";
import { labelSelectorMatches } from "../../../src/kube/label_selector.ts";

function api(name: string, target?: unknown): ApimApi {
  return apimApiFixture(name, target === undefined ? {} : { target });
}

Deno.test("targetSelector() selects app.kubernetes.io/name=<name> without a target", () => {
  assert.deepEqual(targetSelector(api("orders")), {
    matchLabels: { "app.kubernetes.io/name": "orders" },
  });
});

Deno.test("targetSelector() falls back to the name rule when the target has no selector", () => {
  assert.deepEqual(targetSelector(api("orders", {})), {
    matchLabels: { "app.kubernetes.io/name": "orders" },
  });
});

Deno.test("targetSelector() uses the target selector when there is one", () => {
  const selector = {
    matchLabels: { app: "orders-backend" },
    matchExpressions: [{
      key: "tier",
      operator: "In",
      values: ["api", "web"],
    }],
  };
  assert.deepEqual(targetSelector(api("orders", { selector })), selector);
});

const matching: [string, ApimApi, Record<string, string>, boolean][] = [
  [
    "a ReplicaSet labelled with the APIMAPI's name",
    api("orders"),
    { "app.kubernetes.io/name": "orders", "pod-template-hash": "abc" },
    true,
  ],
  [
    "a ReplicaSet labelled with another name",
    api("orders"),
    { "app.kubernetes.io/name": "billing" },
    false,
  ],
  [
    "a ReplicaSet with only an app label",
    api("orders"),
    { app: "orders" },
    false,
  ],
  [
    "a ReplicaSet matched by the selector but not named like the APIMAPI",
    api("orders", { selector: { matchLabels: { app: "orders-backend" } } }),
    { app: "orders-backend", "app.kubernetes.io/name": "backend" },
    true,
  ],
  [
    "a ReplicaSet named like the APIMAPI but outside the selector",
    api("orders", { selector: { matchLabels: { app: "orders-backend" } } }),
    { "app.kubernetes.io/name": "orders" },
    false,
  ],
];

for (const [what, target, labels, matches] of matching) {
  Deno.test(`targetSelector() ${matches ? "matches" : "does not match"} ${what}`, () => {
    assert.equal(labelSelectorMatches(targetSelector(target), labels), matches);
  });
}
