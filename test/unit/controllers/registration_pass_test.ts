// Unit tests for RegistrationPass's status writes: what each writes, and on which fresh read after a conflict.
import assert from "node:assert/strict";
import type {
  ApimApi,
  PendingOperationRecord,
} from "../../../src/crd/apim_api.ts";
import type { ApimApiDeployment } from "../../../src/crd/apim_api_deployment.ts";
import type { OperatorContext } from "../../../src/controllers/operator_context.ts";
import { RegistrationPass } from "../../../src/controllers/registration_pass.ts";
import type { StatusPatch } from "../../../src/controllers/status_patch.ts";
import { silentLogger } from "../../../src/log.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import {
  apimApiFixture,
  statusConflict as conflict,
} from "./apim_api_fixture.ts";

const clock = new FakeClock(Date.parse("2026-12-05T10:00:10Z"));

/** The import this pass recorded, `ageMs` before the clock's now. */
function importRecord(ageMs: number): PendingOperationRecord {
  return {
    kind: "import",
    startedAt: new Date(clock.now() - ageMs).toISOString(),
    resourcePath:
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/orders",
    documentDigest: "sha256:d",
  };
}

const recorded = importRecord(3_000);

function apiWith(
  generation: number,
  pendingOperation: PendingOperationRecord | undefined,
  status: Record<string, unknown> = {},
): ApimApi {
  return apimApiFixture("orders", {}, {
    metadata: { name: "orders", namespace: "shop", generation },
    status: { ...status, ...(pendingOperation ? { pendingOperation } : {}) },
  });
}

const imported = {
  state: "progressing",
  reason: "Importing",
  message: "importing",
} as const;

const cases: {
  name: string;
  /** The APIMAPI the pass decided on. */
  seen: ApimApi;
  write: (pass: RegistrationPass) => Promise<void>;
  /** What a re-read after a first write's conflict finds; no conflict when omitted. */
  fresh?: ApimApi;
  /** The status fields the last write sends, or undefined when only the conflicting one is sent. */
  written: StatusPatch | undefined;
  /** The write landed on a changed APIMAPI: the pass ends after it. */
  superseded?: boolean;
}[] = [
  {
    name:
      "recordLinks(), another writer's fields: recorded on the fresh read, with its links kept",
    seen: apiWith(1, undefined),
    write: (pass) => pass.recordLinks({ products: ["silver"], tags: ["blue"] }),
    fresh: apiWith(1, undefined, { linkedProducts: ["gold"] }),
    written: { linkedProducts: ["gold", "silver"], linkedTags: ["blue"] },
  },
  {
    name: "recordLinks(), a spec edited meanwhile: nothing recorded",
    seen: apiWith(1, undefined),
    write: (pass) => pass.recordLinks({ products: ["silver"], tags: ["blue"] }),
    fresh: apiWith(2, undefined),
    written: undefined,
  },
  {
    name:
      "report() of a sent import's answer, a spec edited meanwhile: its poll URL is still recorded (chaos seed 57)",
    seen: apiWith(1, recorded),
    write: (pass) => pass.report(imported, {}, { answered: true }),
    fresh: apiWith(2, recorded),
    written: { pendingOperation: recorded },
    superseded: true,
  },
  {
    name:
      "report() of a sent import's answer, another operation recorded meanwhile: not written over",
    seen: apiWith(1, recorded),
    write: (pass) => pass.report(imported, {}, { answered: true }),
    fresh: apiWith(1, importRecord(0)),
    written: undefined,
  },
  {
    name: "report() of a verdict, a spec edited meanwhile: the pass ends",
    seen: apiWith(1, recorded),
    write: (pass) => pass.report(imported, {}),
    fresh: apiWith(2, recorded),
    written: undefined,
  },
  {
    name:
      "recordSending(), the import leaves 3 s after its record (a 429's wait): recorded again as sent now",
    seen: apiWith(1, recorded),
    write: (pass) => pass.recordSending(),
    written: {
      pendingOperation: {
        ...recorded,
        startedAt: new Date(clock.now()).toISOString(),
      },
    },
  },
  {
    name:
      "recordSending(), a spec edited meanwhile: recorded again, and the pass ends after the answer",
    seen: apiWith(1, recorded),
    write: (pass) => pass.recordSending(),
    fresh: apiWith(2, recorded),
    written: {
      pendingOperation: {
        ...recorded,
        startedAt: new Date(clock.now()).toISOString(),
      },
    },
    superseded: true,
  },
  {
    name:
      "recordSending(), the import leaves right after its record: nothing written",
    seen: apiWith(1, importRecord(200)),
    write: (pass) => pass.recordSending(),
    written: undefined,
  },
  {
    name:
      "recordSending(), another operation recorded meanwhile: the attempt is stopped",
    seen: apiWith(1, recorded),
    write: (pass) => pass.recordSending(),
    fresh: apiWith(1, importRecord(0)),
    written: undefined,
  },
];

for (const c of cases) {
  Deno.test(`RegistrationPass: ${c.name}`, async () => {
    const writes: StatusPatch[] = [];
    const apimApis = {
      mergePatch: (_name: string, body: { status: StatusPatch }) => {
        writes.push(body.status);
        return writes.length === 1 && c.fresh
          ? Promise.reject(conflict)
          : Promise.resolve(c.fresh ?? c.seen);
      },
      find: () => Promise.resolve(c.fresh),
    };
    const ctx = {
      logger: silentLogger,
      clock,
      events: { record: () => Promise.resolve() },
      kinds: { apimApis },
    } as unknown as OperatorContext;
    const pass = new RegistrationPass(
      ctx,
      {} as ApimApiDeployment,
      c.seen,
      new AbortController().signal,
    );
    const outcome = await c.write(pass).then(() => "written", (e) => e);
    const last = c.fresh ? writes.slice(1) : writes;
    const expected = c.written ? [c.written] : [];
    assert.deepEqual(
      last.map((w) => pick(w, Object.keys(c.written ?? {}))),
      expected,
    );
    assert.equal(outcome, c.written || !c.fresh ? "written" : conflict);
    assert.equal(pass.superseded(), c.superseded ?? false);
  });
}

/** The fields of `patch` named in `keys` (a verdict write also sends its conditions). */
function pick(patch: StatusPatch, keys: string[]): StatusPatch {
  return Object.fromEntries(
    Object.entries(patch).filter(([key]) => keys.includes(key)),
  );
}

Deno.test("RegistrationPass: setPhase() does not wait for its write; writes go one at a time, and a phase set while another waits replaces it", async () => {
  /** A phase write as sent, answered when the test says. */
  interface Sent {
    phase: unknown;
    resourceVersion: unknown;
    answer: (ok: boolean) => void;
  }
  const sent: Sent[] = [];
  let onSent = () => {};
  const deployment = (resourceVersion: string) =>
    ({
      metadata: { name: "orders", namespace: "shop", resourceVersion },
    }) as ApimApiDeployment;
  const apimApiDeployments = {
    mergePatch: (
      _name: string,
      body: {
        metadata: { resourceVersion: string };
        status: StatusPatch;
      },
    ) =>
      new Promise((resolve, reject) => {
        sent.push({
          phase: body.status.phase,
          resourceVersion: body.metadata.resourceVersion,
          answer: (ok) =>
            ok
              ? resolve(deployment(String(sent.length + 1)))
              : reject(conflict),
        });
        onSent();
      }),
  };
  /** Resolves once `n` writes were sent (at once when they already were). */
  const sentCount = (n: number) =>
    new Promise<void>((resolve) => {
      onSent = () => sent.length >= n && resolve();
      onSent();
    });
  const ctx = {
    logger: silentLogger,
    clock,
    kinds: { apimApiDeployments },
  } as unknown as OperatorContext;
  const pass = new RegistrationPass(
    ctx,
    deployment("1"),
    apiWith(1, undefined),
    new AbortController().signal,
  );
  pass.setPhase("Fetching", "fetching");
  await sentCount(1);
  pass.setPhase("Importing", "importing");
  pass.setPhase("Linking", "linking");
  assert.equal(sent.length, 1, "one write at a time");
  sent[0]!.answer(true);
  await sentCount(2);
  sent[1]!.answer(false);
  await pass.phaseWritten();
  assert.deepEqual(
    sent.map(({ phase, resourceVersion }) => ({ phase, resourceVersion })),
    [
      { phase: "Fetching", resourceVersion: "1" },
      { phase: "Linking", resourceVersion: "2" },
    ],
  );
  assert.equal(pass.deployment.metadata.resourceVersion, "2");
});
