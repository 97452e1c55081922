// Unit tests for reportVerdict: a Ready change is announced even when its status write's outcome is lost.
import assert from "node:assert/strict";
import type { ApimApi } from "../../../src/crd/apim_api.ts";
import { apimApis } from "../../../src/crd/resources.ts";
import type { OperatorContext } from "../../../src/controllers/operator_context.ts";
import { reportVerdict } from "../../../src/controllers/verdict_status.ts";
import type { EventInput } from "../../../src/kube/event_recorder.ts";
import type { ResourceApi } from "../../../src/kube/resource_api.ts";
import type { StatusVerdict } from "../../../src/reconcile/conditions.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { apimApiFixture } from "./apim_api_fixture.ts";

const registered = {
  conditions: [{
    type: "Ready",
    status: "True",
    reason: "Registered",
    message: "registered",
    lastTransitionTime: "2026-12-05T00:00:00Z",
  }],
};

const missingService: StatusVerdict = {
  state: "progressing",
  reason: "APIMServiceNotFound",
  message: 'APIMService "apim" was not found',
  problem: true,
};

const cases: {
  name: string;
  status: Record<string, unknown>;
  verdict: StatusVerdict;
  events: string[];
}[] = [
  {
    name: "a new reason is announced although the write's answer was lost",
    status: registered,
    verdict: missingService,
    events: ["APIMServiceNotFound"],
  },
  {
    name: "the same status and reason again are not announced",
    status: registered,
    verdict: { state: "ready", reason: "Registered", message: "again" },
    events: [],
  },
];

for (const c of cases) {
  Deno.test(`reportVerdict(): ${c.name}`, async () => {
    const recorded: EventInput[] = [];
    const ctx = {
      clock: new FakeClock(),
      events: {
        record: (_regarding: unknown, event: EventInput) => {
          recorded.push(event);
          return Promise.resolve();
        },
      },
    } as unknown as OperatorContext;
    // The write may have landed; its answer never comes back (a cut connection, a SIGTERM).
    const lost = new Error("connection reset");
    const api = {
      mergePatch: () => Promise.reject(lost),
    } as unknown as ResourceApi<ApimApi>;
    const object = apimApiFixture("orders", {}, { status: c.status });
    await reportVerdict(
      ctx,
      { api, resource: apimApis },
      object,
      c.verdict,
      {},
      new AbortController().signal,
    ).catch((error) => assert.equal(error, lost));
    assert.deepEqual(recorded.map((e) => e.reason), c.events);
  });
}
