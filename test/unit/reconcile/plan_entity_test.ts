// Unit tests for the desired product and tag properties, the drift comparison, ownership and deletion of entities.
import assert from "node:assert/strict";
import {
  productPropertiesSchema,
  tagPropertiesSchema,
} from "../../../src/azure/apim_schemas.ts";
import { apimProductSpecSchema } from "../../../src/crd/apim_product.ts";
import { apimTagSpecSchema } from "../../../src/crd/apim_tag.ts";
import {
  decideEntityOwnership,
  decideEntityRemoval,
  differingFields,
  type EntityRemovalFacts,
  productProperties,
  tagProperties,
} from "../../../src/reconcile/plan_entity.ts";

const minimalProduct = {
  productID: "starter",
  displayName: "Starter",
  apimService: "apim",
};

Deno.test("productProperties() maps a minimal spec with its defaults and omits unset fields", () => {
  const properties = productProperties(
    apimProductSpecSchema.parse(minimalProduct),
  );
  assert.deepEqual(properties, {
    displayName: "Starter",
    subscriptionRequired: true,
    state: "notPublished",
  });
  productPropertiesSchema.parse(properties);
});

Deno.test("productProperties() maps every field of a full spec", () => {
  const properties = productProperties(apimProductSpecSchema.parse({
    ...minimalProduct,
    description: "For trying things out",
    published: true,
    subscriptionRequired: false,
    approvalRequired: false,
    subscriptionsLimit: 0,
    terms: "Be nice",
    deletionPolicy: "Retain",
  }));
  assert.deepEqual(properties, {
    displayName: "Starter",
    description: "For trying things out",
    state: "published",
    subscriptionRequired: false,
    approvalRequired: false,
    subscriptionsLimit: 0,
    terms: "Be nice",
  });
  productPropertiesSchema.parse(properties);
});

for (
  const [published, state] of [[true, "published"], [
    false,
    "notPublished",
  ]] as const
) {
  Deno.test(`productProperties() sets state ${state} when published is ${published}`, () => {
    const spec = apimProductSpecSchema.parse({ ...minimalProduct, published });
    assert.equal(productProperties(spec).state, state);
  });
}

Deno.test("productProperties() keeps an empty description and terms", () => {
  const properties = productProperties(apimProductSpecSchema.parse({
    ...minimalProduct,
    description: "",
    terms: "",
  }));
  assert.equal(properties.description, "");
  assert.equal(properties.terms, "");
});

Deno.test("tagProperties() sends only the display name", () => {
  const properties = tagProperties(apimTagSpecSchema.parse({
    tagID: "team-shop",
    displayName: "Team Shop",
    apimService: "apim",
    deletionPolicy: "Retain",
  }));
  assert.deepEqual(properties, { displayName: "Team Shop" });
  tagPropertiesSchema.parse(properties);
});

// ---- differingFields ------------------------------------------------------------------------

const desired = {
  displayName: "Starter",
  state: "published",
  subscriptionRequired: true,
  subscriptionsLimit: 5,
};

const cases: [string, Record<string, unknown> | undefined, string[]][] = [
  ["reports every field when nothing is observed", undefined, [
    "displayName",
    "state",
    "subscriptionRequired",
    "subscriptionsLimit",
  ]],
  ["reports nothing when the observed copy is equal", { ...desired }, []],
  [
    "ignores observed fields the desired state does not set",
    { ...desired, description: "set in the portal", terms: null },
    [],
  ],
  [
    "reports a changed value",
    { ...desired, displayName: "Renamed" },
    ["displayName"],
  ],
  [
    "reports an absent field",
    { displayName: "Starter", state: "published", subscriptionRequired: true },
    ["subscriptionsLimit"],
  ],
  [
    "reports a null field",
    { ...desired, subscriptionsLimit: null },
    ["subscriptionsLimit"],
  ],
  [
    "tells a number from its string",
    { ...desired, subscriptionsLimit: "5" },
    ["subscriptionsLimit"],
  ],
  [
    "tells a boolean from its string",
    { ...desired, subscriptionRequired: "true" },
    ["subscriptionRequired"],
  ],
  [
    "reports several fields in the desired order",
    { ...desired, subscriptionsLimit: 6, displayName: "x" },
    ["displayName", "subscriptionsLimit"],
  ],
];

for (const [what, observed, fields] of cases) {
  Deno.test(`differingFields() ${what}`, () => {
    assert.deepEqual(differingFields(desired, observed), fields);
  });
}

Deno.test("differingFields() compares nested objects regardless of key order", () => {
  const wanted = { settings: { a: 1, b: { c: [1, 2] } } };
  assert.deepEqual(
    differingFields(wanted, { settings: { b: { c: [1, 2] }, a: 1 } }),
    [],
  );
  assert.deepEqual(
    differingFields(wanted, { settings: { b: { c: [1, 3] }, a: 1 } }),
    ["settings"],
  );
});

Deno.test("differingFields() compares arrays in order", () => {
  const wanted = { protocols: ["http", "https"] };
  assert.deepEqual(
    differingFields(wanted, { protocols: ["http", "https"] }),
    [],
  );
  assert.deepEqual(differingFields(wanted, { protocols: ["https", "http"] }), [
    "protocols",
  ]);
  assert.deepEqual(differingFields(wanted, { protocols: ["http"] }), [
    "protocols",
  ]);
});

Deno.test("differingFields() treats a desired null like an absent observed field", () => {
  assert.deepEqual(differingFields({ terms: null }, {}), []);
  assert.deepEqual(differingFields({ terms: null }, { terms: "x" }), ["terms"]);
});

Deno.test("differingFields() finds nothing when nothing is desired", () => {
  assert.deepEqual(differingFields({}, undefined), []);
  assert.deepEqual(differingFields({}, { displayName: "x" }), []);
});

const ownershipRows: Array<
  [string, Parameters<typeof decideEntityOwnership>[0], string]
> = [
  ["a missing entity is created", {
    exists: false,
    created: false,
    adopted: false,
    adoptionAllowed: false,
    instanceChanged: false,
  }, "create"],
  ["a missing entity the operator made before is made again", {
    exists: false,
    created: true,
    adopted: false,
    adoptionAllowed: false,
    instanceChanged: false,
  }, "manage"],
  ["an entity the operator created is managed", {
    exists: true,
    created: true,
    adopted: false,
    adoptionAllowed: false,
    instanceChanged: false,
  }, "manage"],
  ["an adopted entity is managed", {
    exists: true,
    created: false,
    adopted: true,
    adoptionAllowed: false,
    instanceChanged: false,
  }, "manage"],
  ["a foreign entity is refused", {
    exists: true,
    created: false,
    adopted: false,
    adoptionAllowed: false,
    instanceChanged: false,
  }, "refuse"],
  ["a foreign entity is adopted when asked", {
    exists: true,
    created: false,
    adopted: false,
    adoptionAllowed: true,
    instanceChanged: false,
  }, "adopt"],
  [
    "in another instance, an entity of the same id created there by someone else is refused",
    {
      exists: true,
      created: true,
      adopted: false,
      adoptionAllowed: false,
      instanceChanged: true,
    },
    "refuse",
  ],
  [
    "in another instance, an entity adopted in the old one is not taken over unasked",
    {
      exists: true,
      created: false,
      adopted: true,
      adoptionAllowed: false,
      instanceChanged: true,
    },
    "refuse",
  ],
  ["in another instance, a foreign entity is adopted when asked", {
    exists: true,
    created: true,
    adopted: false,
    adoptionAllowed: true,
    instanceChanged: true,
  }, "adopt"],
  [
    "in another instance, a missing entity is created (and recorded as created there)",
    {
      exists: false,
      created: true,
      adopted: false,
      adoptionAllowed: false,
      instanceChanged: true,
    },
    "create",
  ],
];

for (const [what, facts, expected] of ownershipRows) {
  Deno.test(`decideEntityOwnership(): ${what}`, () => {
    assert.equal(decideEntityOwnership(facts), expected);
  });
}

const INSTANCE = {
  subscription: "sub",
  resourceGroup: "rg",
  service: "apim-old",
};

/** A product the operator created, deleted with the defaults, its instance recorded. */
const removal: EntityRemovalFacts = {
  noun: "Product",
  id: "gold",
  policy: undefined,
  adopted: false,
  managed: true,
  apimService: "apim",
  instance: INSTANCE,
  claimedByOlder: false,
};

const removalRows: Array<
  [string, Partial<EntityRemovalFacts>, string, string?]
> = [
  [
    "an entity the operator created is deleted where it was written",
    {},
    "delete",
  ],
  ["Retain keeps it", { policy: "Retain" }, "Retained"],
  ["an adopted entity is retained", { adopted: true }, "Retained"],
  ["an adopted entity is deleted with an explicit Delete", {
    adopted: true,
    policy: "Delete",
  }, "delete"],
  [
    "a CR refused for an entity that exists without an owner leaves it",
    { managed: false, instance: undefined },
    "NotManaged",
  ],
  [
    "a CR that never managed its entity leaves it, even with its APIMService there",
    { managed: false },
    "NotManaged",
  ],
  [
    "nowhere to delete it from lets go with a Warning",
    { instance: undefined },
    "APIMServiceNotFound",
    "Warning",
  ],
  [
    "an older owner keeps it",
    { claimedByOlder: true },
    "NotOwned",
    "Warning",
  ],
];

for (const [what, facts, expected, type] of removalRows) {
  Deno.test(`decideEntityRemoval(): ${what}`, () => {
    const decision = decideEntityRemoval({ ...removal, ...facts });
    if (expected === "delete") {
      assert.deepEqual(decision, { action: "delete", instance: INSTANCE });
      return;
    }
    assert.equal(decision.action, "release");
    assert.equal(
      decision.action === "release" && decision.release.reason,
      expected,
    );
    assert.equal(
      decision.action === "release" && decision.release.type,
      type ?? "Normal",
    );
  });
}
