// Unit tests for reportVerdict: a Ready change is announced even when its status write's outcome is lost or it was written over a fresher read.
import assert from "node:assert/strict";
import type { ApimApi } from "../../../src/crd/apim_api.ts";
import { apimApis } from "../../../src/crd/resources.ts";
import type { OperatorContext } from "../../../src/controllers/operator_context.ts";
import { reportVerdict } from "../../../src/controllers/verdict_status.ts";
import type { EventInput } from "../../../src/kube/event_recorder.ts";
import type { ResourceApi } from "../../../src/kube/resource_api.ts";
import type { StatusVerdict } from "../../../src/reconcile/conditions.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import {
  apimApiFixture,
  statusConflict as conflict,
} from "./apim_api_fixture.ts";

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

const notFound = {
  conditions: [{
    ...registered.conditions[0]!,
    status: "False",
    reason: "APIMServiceNotFound",
  }],
};

/** How the API server answers the status writes: in turn, then the object a re-read finds. */
interface Server {
  writes: ("lost" | "conflict" | "ok")[];
  fresh?: Record<string, unknown>;
}

const cases: {
  name: string;
  status: Record<string, unknown>;
  verdict: StatusVerdict;
  server: Server;
  events: string[];
}[] = [
  {
    name: "a new reason is announced although the write's answer was lost",
    status: registered,
    verdict: missingService,
    server: { writes: ["lost"] },
    events: ["APIMServiceNotFound"],
  },
  {
    name: "the same status and reason again are not announced",
    status: registered,
    verdict: { state: "ready", reason: "Registered", message: "again" },
    server: { writes: ["ok"] },
    events: [],
  },
  {
    name:
      "a change only the fresher read of a retried write shows is announced after it",
    status: notFound,
    verdict: missingService,
    server: { writes: ["conflict", "ok"], fresh: registered },
    events: ["APIMServiceNotFound"],
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
    const object = apimApiFixture("orders", {}, { status: c.status });
    const writes = [...c.server.writes];
    // "lost": the write may have landed; its answer never comes back (a cut connection, a SIGTERM).
    const lost = new Error("connection reset");
    const api = {
      mergePatch: () => {
        const answer = writes.shift();
        if (answer === "lost") return Promise.reject(lost);
        if (answer === "conflict") return Promise.reject(conflict);
        return Promise.resolve(object);
      },
      find: () =>
        Promise.resolve(
          apimApiFixture("orders", {}, { status: c.server.fresh }),
        ),
    } as unknown as ResourceApi<ApimApi>;
    await reportVerdict(
      ctx,
      { api, resource: apimApis },
      object,
      c.verdict,
      {},
      new AbortController().signal,
      () => true,
    ).catch((error) => assert.equal(error, lost));
    assert.deepEqual(recorded.map((e) => e.reason), c.events);
  });
}
