// Table tests of the deletion decision: given what a deletion pass knows, the next step.
import assert from "node:assert/strict";
import { ownerMarker } from "../../../src/reconcile/desired_api.ts";
import {
  type DeletionFacts,
  type DeletionStep,
  effectivePolicy,
  nextDeletionStep,
} from "../../../src/reconcile/plan_deletion.ts";
import type { OperationFacts } from "../../../src/reconcile/registration_facts.ts";

const NOW = Date.parse("2026-12-04T12:00:00Z");
const owner = { namespace: "shop", name: "orders" };
const HASH = "a".repeat(64);

function base(overrides: Partial<DeletionFacts> = {}): DeletionFacts {
  return {
    now: NOW,
    unknownOutcomeSettleMs: 60_000,
    recheckMs: 5_000,
    owner,
    apiId: "orders",
    adopted: false,
    identityKnown: true,
    serviceGone: false,
    ...overrides,
  };
}

function importing(overrides: Partial<OperationFacts> = {}): OperationFacts {
  return {
    kind: "import",
    url: "https://management.azure.com/poll?asyncId=1",
    startedAt: NOW - 5_000,
    desiredHash: HASH,
    created: true,
    ...overrides,
  };
}

function deleting(overrides: Partial<OperationFacts> = {}): OperationFacts {
  return {
    kind: "delete",
    url: "https://management.azure.com/poll?asyncId=2",
    startedAt: NOW - 5_000,
    created: false,
    ...overrides,
  };
}

const ours = {
  exists: true as const,
  revisionDescription: ownerMarker(owner, HASH),
};

const rows: {
  what: string;
  facts: Partial<DeletionFacts>;
  step: DeletionStep["step"];
  reason?: string;
}[] = [
  {
    what: "Retain lets go at once",
    facts: { policy: "Retain" },
    step: "release",
    reason: "Retained",
  },
  {
    what: "an adopted API is retained unless Delete is explicit",
    facts: { adopted: true },
    step: "release",
    reason: "Retained",
  },
  {
    what: "an adopted API with an explicit Delete is deleted",
    facts: { adopted: true, policy: "Delete", target: ours },
    step: "recordIntent",
  },
  {
    what: "a running first import is polled before deleting",
    facts: { operation: importing() },
    step: "poll",
  },
  {
    what: "a running first import is waited for (its API would be left behind)",
    facts: {
      operation: importing(),
      poll: { state: "running", retryAfterMs: 2_000 },
    },
    step: "wait",
  },
  {
    what: "a finished import is forgotten and the API deleted next",
    facts: { operation: importing(), poll: { state: "succeeded" } },
    step: "forgetOperation",
  },
  {
    what: "an import whose answer was lost is looked up",
    facts: { operation: importing({ url: undefined }) },
    step: "readApi",
  },
  {
    what: "an import whose answer was lost and may still land is waited for",
    facts: {
      operation: importing({ url: undefined }),
      target: { exists: false },
    },
    step: "wait",
  },
  {
    what:
      "an import whose answer was lost and that landed is forgotten (then deleted)",
    facts: { operation: importing({ url: undefined }), target: ours },
    step: "forgetOperation",
  },
  {
    what: "a recorded delete is polled",
    facts: { operation: deleting() },
    step: "poll",
  },
  {
    what: "a running delete is waited for",
    facts: {
      operation: deleting(),
      poll: { state: "running", retryAfterMs: 1_000 },
    },
    step: "wait",
  },
  {
    what: "a failed delete is reported (and sent again next time)",
    facts: { operation: deleting(), poll: { state: "failed" } },
    step: "deleteFailed",
  },
  {
    what: "a succeeded delete lets go",
    facts: { operation: deleting(), poll: { state: "succeeded" } },
    step: "release",
    reason: "Deleted",
  },
  {
    what: "an expired delete URL leads to a read",
    facts: { operation: deleting(), poll: { state: "gone" } },
    step: "readApi",
  },
  {
    what: "an expired delete URL with the API still there is sent again",
    facts: {
      operation: deleting({ startedAt: NOW - 120_000 }),
      poll: { state: "gone" },
      target: ours,
    },
    step: "forgetOperation",
  },
  {
    what: "an expired delete URL with the API gone lets go",
    facts: {
      operation: deleting(),
      poll: { state: "gone" },
      target: { exists: false },
    },
    step: "release",
    reason: "Deleted",
  },
  {
    what: "a delete recorded in this pass is sent",
    facts: { operation: deleting({ url: undefined }), intentRecorded: true },
    step: "sendDelete",
  },
  {
    what: "nothing registered lets go",
    facts: { identityKnown: false },
    step: "release",
    reason: "NothingRegistered",
  },
  {
    what: "the API is read at its recorded identity",
    facts: {},
    step: "readApi",
  },
  {
    what: "a gone instance lets go with a warning",
    facts: { target: { exists: false, instanceGone: true } },
    step: "release",
    reason: "InstanceGone",
  },
  {
    what: "a gone API lets go",
    facts: { target: { exists: false } },
    step: "release",
    reason: "AlreadyGone",
  },
  {
    what: "an API of another owner is left alone",
    facts: {
      target: {
        exists: true,
        revisionDescription: ownerMarker({ namespace: "x", name: "y" }, HASH),
      },
    },
    step: "release",
    reason: "NotOwned",
  },
  {
    what:
      "an API whose marker says adopted is retained unless Delete is explicit",
    facts: {
      target: {
        exists: true,
        revisionDescription: ownerMarker(owner, HASH, { adopted: true }),
      },
    },
    step: "release",
    reason: "Retained",
  },
  {
    what: "our API is recorded before the DELETE is sent",
    facts: { target: ours },
    step: "recordIntent",
  },
];

for (const row of rows) {
  Deno.test(`nextDeletionStep(): ${row.what}`, () => {
    const step = nextDeletionStep(base(row.facts));
    assert.equal(step.step, row.step, JSON.stringify(step));
    if (row.reason) {
      assert.equal(step.step === "release" && step.release.reason, row.reason);
    }
  });
}

Deno.test("effectivePolicy(): the user's choice, else Retain for adopted, else Delete", () => {
  assert.equal(effectivePolicy(undefined, false), "Delete");
  assert.equal(effectivePolicy(undefined, true), "Retain");
  assert.equal(effectivePolicy("Delete", true), "Delete");
  assert.equal(effectivePolicy("Retain", false), "Retain");
});
