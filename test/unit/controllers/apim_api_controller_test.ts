// Unit tests for which APIMAPI changes start a pass of the APIMAPI controller (finalizer, deletion, drift).
import assert from "node:assert/strict";
import { changeNeedsPass } from "../../../src/controllers/apim_api_controller.ts";
import { FINALIZER } from "../../../src/controllers/finalizers.ts";
import type { ApimApi } from "../../../src/crd/apim_api.ts";
import { apimApiFixture } from "./apim_api_fixture.ts";

const DELETING = "2026-12-05T00:00:00Z";
const IMPORT = {
  kind: "import",
  url: "https://arm/op/1",
  startedAt: "2026-12-05T00:00:01Z",
  resourcePath:
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/apim/apis/orders",
};
const FAILURE = {
  conditions: [{
    type: "Ready",
    status: "False",
    reason: "ScopeLocked",
    message: "The scope is locked",
    lastTransitionTime: "2026-12-05T00:00:02Z",
    observedGeneration: 1,
  }],
  lastError: {
    code: "ScopeLocked",
    message: "locked",
    at: "2026-12-05T00:00:02Z",
  },
};

function api(
  options: {
    deleting?: boolean;
    finalizer?: boolean;
    status?: Record<string, unknown>;
    generation?: number;
  } = {},
): ApimApi {
  return apimApiFixture("orders", {}, {
    metadata: {
      name: "orders",
      namespace: "shop",
      generation: options.generation ?? 1,
      ...(options.finalizer === false ? {} : { finalizers: [FINALIZER] }),
      ...(options.deleting ? { deletionTimestamp: DELETING } : {}),
    },
    ...(options.status ? { status: options.status } : {}),
  });
}

const rows: [string, ApimApi | undefined, ApimApi, boolean][] = [
  ["a new object", undefined, api(), true],
  ["a finalizer added", api({ finalizer: false }), api(), true],
  ["a deletion that starts", api(), api({ deleting: true }), true],
  [
    "the registration's import settled while deleting",
    api({ deleting: true, status: { pendingOperation: IMPORT } }),
    api({ deleting: true }),
    true,
  ],
  [
    "the deletion's own record written",
    api({ deleting: true }),
    api({
      deleting: true,
      status: { pendingOperation: { ...IMPORT, kind: "delete" } },
    }),
    false,
  ],
  [
    "the deletion's own record cleared with its failure",
    api({
      deleting: true,
      status: { pendingOperation: { ...IMPORT, kind: "delete" } },
    }),
    api({ deleting: true, status: FAILURE }),
    false,
  ],
  [
    "a failure's own status write while deleting",
    api({ deleting: true }),
    api({ deleting: true, status: FAILURE }),
    false,
  ],
  [
    "a spec edit while deleting (deletionPolicy: Retain for a refused delete)",
    api({ deleting: true, status: FAILURE }),
    api({ deleting: true, status: FAILURE, generation: 2 }),
    true,
  ],
  ["a status write of a live object", api(), api({ status: FAILURE }), false],
];

for (const [what, previous, current, wanted] of rows) {
  Deno.test(`changeNeedsPass(): ${what} → ${wanted}`, () => {
    assert.equal(changeNeedsPass(previous, current), wanted);
  });
}
