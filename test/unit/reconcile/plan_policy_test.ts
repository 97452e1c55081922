// The policy pass's decision: wait for the API and the operation, then apply only what differs.
import assert from "node:assert/strict";
import {
  decidePolicy,
  resolveOperationName,
} from "../../../src/reconcile/plan_policy.ts";

const desired = {
  content: "<policies><inbound><base /></inbound></policies>",
  format: "xml" as const,
};

Deno.test("operation names: the same name ignoring case, else the name API Management derives from the operationId", () => {
  const names = ["listPets", "UploadPayment-FI-Nordea", "get-pets"];
  assert.equal(resolveOperationName("LISTPETS", names), "listPets");
  assert.equal(
    resolveOperationName("UploadPayment_FI_Nordea", names),
    "UploadPayment-FI-Nordea",
  );
  assert.equal(
    resolveOperationName("UploadPayment_FI_Nordea", [
      "UploadPayment_FI_Nordea",
    ]),
    "UploadPayment_FI_Nordea",
  );
  assert.equal(resolveOperationName("deletePet", names), undefined);
});

Deno.test("a missing API or operation is waited for with a condition that says which", () => {
  const api = decidePolicy({
    target: { apiId: "payment-api" },
    desired,
    apiExists: false,
  });
  assert.equal(api.action, "wait");
  assert.equal(api.action === "wait" && api.verdict.reason, "WaitingForAPI");
  const op = decidePolicy({
    target: { apiId: "payment-api", operationId: "UploadPayment" },
    desired,
    apiExists: true,
    operationName: null,
  });
  assert.equal(
    op.action === "wait" && op.verdict.reason,
    "WaitingForOperation",
  );
  assert.match(
    op.action === "wait" ? op.verdict.message : "",
    /operation "UploadPayment"/,
  );
});

Deno.test("a policy that means the same is left alone; another one is applied", () => {
  const facts = {
    target: { apiId: "a", operationId: "op" },
    desired,
    apiExists: true,
    operationName: "op",
  };
  assert.deepEqual(
    decidePolicy({
      ...facts,
      observed:
        "<policies>\r\n  <inbound>\r\n    <base />\r\n  </inbound>\r\n</policies>",
    }),
    { action: "none" },
  );
  assert.deepEqual(decidePolicy({ ...facts, observed: undefined }), {
    action: "apply",
  });
});
