// Unit tests for sendRecordedImport: what the APIMAPI's status records once the import is answered.
import assert from "node:assert/strict";
import type { PendingOperationRecord } from "../../../src/crd/apim_api.ts";
import type { ApimApiDeployment } from "../../../src/crd/apim_api_deployment.ts";
import type { OperatorContext } from "../../../src/controllers/operator_context.ts";
import { sendRecordedImport } from "../../../src/controllers/registration_operation.ts";
import { RegistrationPass } from "../../../src/controllers/registration_pass.ts";
import type { StatusPatch } from "../../../src/controllers/status_patch.ts";
import { silentLogger } from "../../../src/log.ts";
import { parseOpenApiDocument } from "../../../src/openapi/parse_document.ts";
import { desiredApi } from "../../../src/reconcile/desired_api.ts";
import type { RegistrationFacts } from "../../../src/reconcile/registration_facts.ts";
import {
  FAKE_ARM_ORIGIN,
  fakeArmClient,
  jsonResponse,
} from "../azure/arm_fakes.ts";
import { waitFor } from "../../support/wait.ts";
import { apimApiFixture } from "./apim_api_fixture.ts";

const POLL_URL =
  `${FAKE_ARM_ORIGIN}/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/tenant/operationResults/op-1`;

const DOCUMENT = JSON.stringify({
  openapi: "3.0.1",
  info: { title: "Orders", version: "1" },
  paths: { "/orders": { get: { operationId: "list", responses: {} } } },
});

/** A pass whose intent to import `DOCUMENT` is recorded, on a fake ARM and a fake APIMAPI store. */
function recordedPass(
  answer: () => Response | Promise<Response>,
  writeStatus: (status: StatusPatch) => Promise<void> = () => Promise.resolve(),
) {
  const { client: arm, fake, clock } = fakeArmClient(answer);
  let api = apimApiFixture("orders");
  const writes: StatusPatch[] = [];
  const apimApis = {
    mergePatch: async (_name: string, body: { status: StatusPatch }) => {
      writes.push(body.status);
      await writeStatus(body.status);
      api = { ...api, status: { ...api.status, ...body.status } };
      return api;
    },
  };
  const ctx = {
    logger: silentLogger,
    clock,
    arm,
    events: { record: () => Promise.resolve() },
    kinds: {
      apimApis,
      apimApiDeployments: { mergePatch: () => Promise.reject(new Error("x")) },
    },
  } as unknown as OperatorContext;
  const pass = new RegistrationPass(
    ctx,
    { metadata: { name: "orders", namespace: "shop" } } as ApimApiDeployment,
    api,
    new AbortController().signal,
  );
  const record: PendingOperationRecord = {
    kind: "import",
    startedAt: new Date(clock.now()).toISOString(),
    resourcePath:
      "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis/orders",
    documentDigest: "sha256:d",
  };
  pass.record = record;
  pass.ref = {
    service: { subscriptionId: "s", resourceGroup: "rg", serviceName: "apim" },
    apiId: "orders",
  };
  pass.doc = parseOpenApiDocument(
    new TextEncoder().encode(DOCUMENT),
    "application/json",
  );
  pass.facts = {
    trigger: { generation: 1 },
    intentRecorded: true,
    desired: desiredApi(api.spec, {
      digest: pass.doc.digest,
      format: pass.doc.importFormat,
      title: "Orders",
    }, pass.owner),
  } as RegistrationFacts;
  return { pass, record, fake, writes, status: () => api.status };
}

Deno.test("sendRecordedImport(): an import accepted after a 429's wait is recorded with its poll URL and the moment it left", async () => {
  const answers = [
    () =>
      jsonResponse(429, { error: { code: "TooManyRequests", message: "" } }, {
        "retry-after": "4",
      }),
    () =>
      jsonResponse(202, {}, {
        "azure-asyncoperation": POLL_URL,
        "retry-after": "1",
      }),
  ];
  const { pass, record, fake, writes, status } = recordedPass(() =>
    answers.shift()!()
  );

  await sendRecordedImport(pass, { step: "sendImport", targetApiId: "orders" });

  const sentAt = fake.requests[1]?.at;
  assert.ok(sentAt !== undefined && sentAt > Date.parse(record.startedAt));
  assert.deepEqual(status()?.pendingOperation, {
    ...record,
    startedAt: new Date(sentAt).toISOString(),
    url: POLL_URL,
    pollKind: "async-operation",
  });
  assert.equal(writes.length, 2, "the restamp, then the answer");
});

for (
  const c of [
    { name: "its poll counts", write: "ok", poll: "succeeded" },
    { name: "a failed write of its URL stops the pass", write: "failed" },
  ] as const
) {
  Deno.test(`sendRecordedImport(): an import due for its poll at once (Retry-After: 0) is polled while its poll URL is written; ${c.name}`, async () => {
    const answers = [
      () =>
        jsonResponse(202, {}, {
          "azure-asyncoperation": POLL_URL,
          "retry-after": "0",
        }),
      () => jsonResponse(200, { status: "Succeeded" }),
    ];
    const writeFailed = new Error("connection reset");
    let pollsWhenWritten: number | undefined;
    const { pass, fake } = recordedPass(() => answers.shift()!(), async () => {
      // The write of the poll URL is answered once the poll reached ARM (a missing poll fails the wait).
      await waitFor(
        () => Promise.resolve(fake.requests.length > 1 ? true : undefined),
        { description: "the poll to reach ARM", timeoutMs: 10_000 },
      );
      pollsWhenWritten = fake.requests.length - 1;
      if (c.write === "failed") throw writeFailed;
    });

    const outcome = await sendRecordedImport(pass, {
      step: "sendImport",
      targetApiId: "orders",
    }).catch((error) => error);

    assert.equal(pollsWhenWritten, 1, "polled before the write was answered");
    if (c.write === "failed") assert.equal(outcome, writeFailed);
    else {
      assert.equal(outcome, undefined, "the pass goes on");
      assert.equal(pass.facts.poll?.state, c.poll);
    }
  });
}
