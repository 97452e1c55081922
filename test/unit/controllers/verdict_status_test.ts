// Unit tests for reportVerdict: a Ready change is announced (before its write, Ready=True alongside) even when the write's outcome is lost or it was written over a fresher read.
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
  /** Per status write: how many Events were written when it left. */
  eventsWrittenAtWrite: number[];
}[] = [
  {
    name: "a new reason is announced although the write's answer was lost",
    status: registered,
    verdict: missingService,
    server: { writes: ["lost"] },
    events: ["APIMServiceNotFound"],
    eventsWrittenAtWrite: [1],
  },
  {
    name: "the same status and reason again are not announced",
    status: registered,
    verdict: { state: "ready", reason: "Registered", message: "again" },
    server: { writes: ["ok"] },
    events: [],
    eventsWrittenAtWrite: [0],
  },
  {
    name:
      "Ready=True is announced alongside its write, which does not wait for it",
    status: notFound,
    verdict: { state: "ready", reason: "Registered", message: "registered" },
    server: { writes: ["ok"] },
    events: ["Registered"],
    eventsWrittenAtWrite: [0],
  },
  {
    name:
      "Ready=True whose write failed: its Event was written when the call returns",
    status: notFound,
    verdict: { state: "ready", reason: "Registered", message: "registered" },
    server: { writes: ["lost"] },
    events: ["Registered"],
    eventsWrittenAtWrite: [0],
  },
  {
    name:
      "a change only the fresher read of a retried write shows is announced after it",
    status: notFound,
    verdict: missingService,
    server: { writes: ["conflict", "ok"], fresh: registered },
    events: ["APIMServiceNotFound"],
    eventsWrittenAtWrite: [0, 0],
  },
];

for (const c of cases) {
  Deno.test(`reportVerdict(): ${c.name}`, async () => {
    const recorded: EventInput[] = [];
    let written = 0;
    const writtenAtWrite: number[] = [];
    const ctx = {
      clock: new FakeClock(),
      events: {
        record: (_regarding: unknown, event: EventInput) => {
          recorded.push(event);
          // Written a macrotask later: a caller that did not wait for it returns first.
          return new Promise((resolve) => setTimeout(resolve, 0)).then(() => {
            written++;
          });
        },
      },
    } as unknown as OperatorContext;
    const object = apimApiFixture("orders", {}, { status: c.status });
    const writes = [...c.server.writes];
    // "lost": the write may have landed; its answer never comes back (a cut connection, a SIGTERM).
    const lost = new Error("connection reset");
    const api = {
      mergePatch: () => {
        writtenAtWrite.push(written);
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
    assert.deepEqual(writtenAtWrite, c.eventsWrittenAtWrite);
    assert.equal(written, recorded.length, "every Event written on return");
  });
}
