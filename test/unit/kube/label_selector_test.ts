// Unit tests of label selector matching and formatting.

import assert from "node:assert/strict";
import {
  formatLabelSelector,
  labelSelectorMatches,
} from "../../../src/kube/label_selector.ts";

Deno.test("labelSelectorMatches applies matchLabels and every operator", () => {
  const labels = { app: "web", tier: "front" };
  assert.equal(labelSelectorMatches({}, labels), true);
  assert.equal(
    labelSelectorMatches({ matchLabels: { app: "web" } }, labels),
    true,
  );
  assert.equal(
    labelSelectorMatches({ matchLabels: { app: "db" } }, labels),
    false,
  );
  const expr = (operator: string, values?: string[]) => ({
    matchExpressions: [{
      key: "tier",
      operator,
      ...(values ? { values } : {}),
    }],
  });
  assert.equal(
    labelSelectorMatches(expr("In", ["front", "back"]), labels),
    true,
  );
  assert.equal(labelSelectorMatches(expr("In", ["back"]), labels), false);
  assert.equal(labelSelectorMatches(expr("NotIn", ["back"]), labels), true);
  assert.equal(labelSelectorMatches(expr("NotIn", ["front"]), labels), false);
  assert.equal(labelSelectorMatches(expr("NotIn", ["x"]), {}), true);
  assert.equal(labelSelectorMatches(expr("Exists"), labels), true);
  assert.equal(labelSelectorMatches(expr("Exists"), undefined), false);
  assert.equal(labelSelectorMatches(expr("DoesNotExist"), labels), false);
  assert.equal(labelSelectorMatches(expr("DoesNotExist"), {}), true);
  assert.equal(labelSelectorMatches(expr("Bogus"), labels), false);
});

Deno.test("formatLabelSelector writes the query syntax", () => {
  assert.equal(
    formatLabelSelector({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["a", "b"] },
        { key: "env", operator: "NotIn", values: ["dev"] },
        { key: "owner", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    }),
    "app=web,tier in (a,b),env notin (dev),owner,!legacy",
  );
  assert.throws(
    () =>
      formatLabelSelector({
        matchExpressions: [{ key: "k", operator: "Near" }],
      }),
    TypeError,
  );
});
