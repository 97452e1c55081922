// Unit tests for the bench's ARM accounting: an API's operation polls, and the rest of a lock that refused its write, count as its Azure time.
import assert from "node:assert/strict";
import { azureTime, lockWindows } from "../../../bench/lib/arm_accounting.ts";
import type { ArmTiming } from "../../../bench/lib/simulators.ts";

const SERVICE =
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim";

function timing(
  start: number,
  end: number,
  path: string,
  extra: Partial<ArmTiming> = {},
): ArmTiming {
  return {
    method: "GET",
    path,
    query: "",
    status: 200,
    start,
    end,
    retryAfter: null,
    pollPaths: [],
    ...extra,
  };
}

Deno.test("azureTime(): the polls of an API's import (on tenant/operationResults) are its Azure time", () => {
  const timings = [
    timing(0, 100, `${SERVICE}/apis/orders`, {
      method: "PUT",
      status: 202,
      retryAfter: "1",
      pollPaths: [`${SERVICE}/tenant/operationResults/op-1`],
    }),
    timing(1100, 1200, `${SERVICE}/tenant/operationResults/op-1`, {
      status: 202,
      retryAfter: "1",
    }),
    // Another API's operation is not this one's.
    timing(1150, 1250, `${SERVICE}/tenant/operationResults/op-2`),
    timing(2200, 2300, `${SERVICE}/tenant/operationResults/op-1`),
    timing(2300, 2400, `${SERVICE}/apis/orders/tags/blue`, { method: "PUT" }),
  ];
  const azure = azureTime(timings, "orders", 0, 2400);
  assert.equal(azure.requests, 4);
  assert.equal(azure.busyMs, 400);
  assert.equal(azure.mandatedWaitMs, 2000);
  assert.equal(azure.pollLatenessMs, 0);
});

Deno.test("azureTime(): after a 409 inside APIM's lock on the API, the rest of the lock is Azure's wait, and only that", () => {
  const locks = lockWindows(
    [{
      id: "op-1",
      kind: "import",
      service: "apim",
      apiRoot: "Orders",
      revision: null,
      content: null,
      startedAt: 0,
      endedAt: 1000,
      succeeded: true,
      errorCode: null,
    }],
    "orders",
    1000,
  );
  const timings = [
    timing(1400, 1500, `${SERVICE}/apis/orders`, {
      method: "PUT",
      status: 409,
    }),
    // Sent 300 ms after the lock ended: operator time.
    timing(2300, 2400, `${SERVICE}/apis/orders`, { method: "PUT" }),
    // A 409 after the lock ended is no lock.
    timing(2400, 2500, `${SERVICE}/apis/orders/tags/blue`, {
      method: "PUT",
      status: 409,
    }),
    timing(2600, 2700, `${SERVICE}/apis/orders`),
  ];
  const azure = azureTime(timings, "orders", 1400, 2700, locks);
  assert.equal(azure.busyMs, 400);
  assert.equal(azure.mandatedWaitMs, 500);
  assert.equal(azure.pollLatenessMs, 0);
});
