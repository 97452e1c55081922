// Integration: ArmClient, long-running operations and typed APIM calls against the Entra and APIM simulators.

import assert from "node:assert/strict";
import {
  ArmClient,
  type ArmClientOptions,
} from "../../../src/azure/arm_client.ts";
import { ArmError, UntrustedUrlError } from "../../../src/azure/arm_error.ts";
import {
  type ApiWriteResult,
  createOrUpdateApi,
  getApi,
  listApis,
  updateApi,
} from "../../../src/azure/apim_apis.ts";
import type { ApimServiceRef } from "../../../src/azure/apim_paths.ts";
import { getApimService } from "../../../src/azure/apim_service.ts";
import { createOrUpdateTag } from "../../../src/azure/apim_tags.ts";
import { classifyArmError } from "../../../src/azure/classify_arm_error.ts";
import { createTokenSource } from "../../../src/azure/credentials.ts";
import {
  type PendingOperation,
  pollOperation,
  type PollResult,
} from "../../../src/azure/operation.ts";
import type { CachedTokenSource } from "../../../src/azure/token_source.ts";
import { RequestBudget } from "../../../src/azure/request_budget.ts";
import type { Clock } from "../../../src/util/clock.ts";
import {
  type ApimKnobs,
  type ApimSimulator,
  startApimSimulator,
} from "../../sim/apim_simulator.ts";
import {
  type EntraSimulator,
  startEntraSimulator,
} from "../../sim/entra_simulator.ts";
import { serveHttps } from "../../sim/https_server.ts";
import { loadTestTls } from "../../support/test_tls.ts";
import { JumpClock } from "../../unit/azure/arm_fakes.ts";

const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID = "0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5";
const CLIENT_SECRET = "Zx8Q~simulated.secret-value";
const SERVICE: ApimServiceRef = {
  subscriptionId: "00000000-0000-0000-0000-000000000001",
  resourceGroup: "rg-apim",
  serviceName: "apim-sim",
};

/** Everything a test talks to, wired like the operator wires it. */
interface World {
  entra: EntraSimulator;
  apim: ApimSimulator;
  tokens: CachedTokenSource;
  client: ArmClient;
}

interface WorldOptions {
  apiVersion?: string;
  /** Shared by the client and the APIM simulator (LRO timing, throttling). */
  clock?: Clock;
  knobs?: Partial<ApimKnobs>;
  client?: Partial<ArmClientOptions>;
}

async function withWorld(
  options: WorldOptions,
  test: (world: World) => Promise<void>,
): Promise<void> {
  const tls = await loadTestTls();
  const entra = await startEntraSimulator({
    tls,
    tenantId: TENANT_ID,
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
  });
  const apim = await startApimSimulator({
    tls,
    verify: entra.verifyAccessToken,
    services: [{
      subscriptionId: SERVICE.subscriptionId,
      resourceGroup: SERVICE.resourceGroup,
      name: SERVICE.serviceName,
    }],
    ...(options.clock ? { clock: options.clock } : {}),
    knobs: { importDurationMs: null, ...options.knobs },
  });
  try {
    const tokens = createTokenSource({
      AZURE_TENANT_ID: TENANT_ID,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_CLIENT_SECRET: CLIENT_SECRET,
      AZURE_AUTHORITY_HOST: entra.url,
    }, { scope: entra.armScope });
    const client = new ArmClient({
      tokenSource: tokens,
      baseUrl: apim.url,
      ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...options.client,
    });
    await test({ entra, apim, tokens, client });
  } finally {
    await apim.stop();
    await entra.stop();
  }
}

function openApiJson(paths: Record<string, unknown>): string {
  return JSON.stringify({
    openapi: "3.0.1",
    info: { title: "Petstore", version: "1.0.0" },
    paths,
  });
}

const PETSTORE = openApiJson({
  "/pets": {
    get: {
      operationId: "listPets",
      responses: { "200": { description: "ok" } },
    },
    post: {
      operationId: "createPet",
      responses: { "201": { description: "created" } },
    },
  },
});

function importPetstore(
  client: ArmClient,
  apiId: string,
  value = PETSTORE,
): Promise<ApiWriteResult> {
  return createOrUpdateApi(client, {
    api: { service: SERVICE, apiId },
    properties: {
      format: "openapi+json",
      value,
      path: apiId,
      serviceUrl: "https://backend.example.test/api",
      subscriptionRequired: true,
      displayName: "Petstore",
      protocols: ["https"],
    },
    desiredHash: "sha256:petstore",
  });
}

/** What a controller does across reconciles: one poll per pass, until the operation ends. */
async function pollUntilDone(
  client: ArmClient,
  operation: PendingOperation,
): Promise<Exclude<PollResult, { state: "running" }>> {
  let current = operation;
  for (let pass = 0; pass < 50; pass++) {
    const result = await pollOperation(client, current);
    if (result.state !== "running") return result;
    assert.ok(result.retryAfterMs > 0);
    current = result.operation;
  }
  throw new Error("Operation still running after 50 polls");
}

function pending(result: ApiWriteResult): PendingOperation {
  assert.equal(result.state, "pending", JSON.stringify(result));
  assert.ok(result.state === "pending");
  return JSON.parse(JSON.stringify(result.operation)); // stored in status and read back
}

Deno.test("one token serves many ARM calls", async () => {
  await withWorld({}, async ({ entra, apim, tokens, client }) => {
    await Promise.all(
      Array.from({ length: 10 }, () => getApimService(client, SERVICE)),
    );
    for (let i = 0; i < 10; i++) {
      assert.equal(
        await getApi(client, { service: SERVICE, apiId: `missing-${i}` }),
        undefined,
      );
    }
    assert.equal(apim.reads(), 20);
    assert.equal(entra.tokensIssued, 1);
    assert.equal(tokens.tokenRequests, 1);
  });
});

Deno.test("a 2022-08-01 import (202 + Location) completes by repeated polls", async () => {
  await withWorld(
    { apiVersion: "2022-08-01", knobs: { importPolls: 3 } },
    async ({ apim, client }) => {
      const operation = pending(await importPetstore(client, "petstore"));
      assert.equal(operation.pollKind, "location");
      assert.equal(operation.kind, "import");
      assert.equal(operation.desiredHash, "sha256:petstore");
      const result = await pollUntilDone(client, operation);
      assert.equal(result.state, "succeeded");
      assert.ok(result.state === "succeeded");
      assert.ok(result.etag);
      const api = await getApi(client, { service: SERVICE, apiId: "petstore" });
      assert.equal(api?.entity.properties.path, "petstore");
      assert.equal(
        api?.entity.properties.serviceUrl,
        "https://backend.example.test/api",
      );
      assert.equal(apim.writes({ method: "PUT", path: "/apis/petstore" }), 1);
      assert.equal(apim.polls(), 4);
    },
  );
});

Deno.test("a 2024-05-01 import (201 InProgress + headers) completes by repeated polls", async () => {
  await withWorld({ knobs: { importPolls: 2 } }, async ({ apim, client }) => {
    const operation = pending(await importPetstore(client, "petstore"));
    assert.equal(operation.pollKind, "async-operation");
    assert.equal(new URL(operation.url).origin, apim.url);
    const result = await pollUntilDone(client, operation);
    assert.equal(result.state, "succeeded");
    const apis = await listApis(client, SERVICE);
    assert.deepEqual(apis.map((a) => a.name), ["petstore"]);
    assert.equal(apim.writes({ method: "PUT" }), 1);
  });
});

Deno.test("an import that fails while polling reports the simulator's error verbatim", async () => {
  await withWorld({ knobs: { importPolls: 1 } }, async ({ apim, client }) => {
    const duplicate = openApiJson({
      "/pets": { get: { operationId: "a", responses: {} } },
      "/PETS": { get: { operationId: "b", responses: {} } },
    });
    const operation = pending(await importPetstore(client, "dupes", duplicate));
    const result = await pollUntilDone(client, operation);
    assert.ok(result.state === "failed", JSON.stringify(result));
    assert.equal(result.error.code, "ValidationError");
    assert.match(
      result.error.message,
      /^Importing API has duplicate signature operations: 2 operations with signature 'GET \/pets'/i,
    );
    const decision = classifyArmError(result.error);
    assert.equal(decision.kind, "terminal");
    assert.equal(decision.message, result.error.message);
    assert.equal(apim.writes({ method: "PUT" }), 1);
  });
});

Deno.test("a write during a running import is classified wait-for-operation", async () => {
  // Without the lock's settle time, so the write right after the import goes through.
  const knobs = { importPolls: 5, lockSettleMs: 0 };
  await withWorld({ knobs }, async ({ client }) => {
    const operation = pending(await importPetstore(client, "busy"));
    const error = await updateApi(client, {
      api: { service: SERVICE, apiId: "busy" },
      properties: { serviceUrl: "https://other.example.test" },
      ifMatch: "*",
    }).catch((e) => e);
    assert.ok(error instanceof ArmError, String(error));
    assert.equal(error.status, 409);
    assert.equal(error.code, "PessimisticConcurrencyConflict");
    assert.equal(classifyArmError(error).kind, "wait-for-operation");
    assert.equal((await pollUntilDone(client, operation)).state, "succeeded");
    const updated = await updateApi(client, {
      api: { service: SERVICE, apiId: "busy" },
      properties: { serviceUrl: "https://other.example.test" },
      ifMatch: "*",
    });
    assert.equal(
      updated.entity.properties.serviceUrl,
      "https://other.example.test",
    );
  });
});

Deno.test("a 429 storm is survived without a request before Retry-After expires", async () => {
  const clock = new JumpClock(Date.now());
  const answers: Array<{ status: number; retryAfter: string | null }> = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    answers.push({
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
    });
    return response;
  };
  await withWorld({
    clock,
    knobs: {
      throttle: {
        reads: { capacity: 100, refillPerSecond: 10 },
        writes: { capacity: 3, refillPerSecond: 0.5 },
      },
    },
    client: { fetch: recordingFetch },
  }, async ({ apim, client }) => {
    apim.throttleNthWrite(6, 30); // one Retry-After longer than the client waits inside a call
    let requeues = 0;
    for (let i = 0; i < 10; i++) {
      // What a controller does: call, and on a retry decision requeue after its delay.
      for (let pass = 0;; pass++) {
        assert.ok(pass < 20, `tag-${i} still throttled after 20 passes`);
        try {
          await createOrUpdateTag(client, {
            tag: { service: SERVICE, tagId: `tag-${i}` },
            properties: { displayName: `Tag ${i}` },
          });
          break;
        } catch (error) {
          const decision = classifyArmError(error);
          assert.equal(decision.kind, "retry-after", decision.message);
          assert.ok(decision.kind === "retry-after");
          requeues++;
          await clock.sleep(decision.delayMs);
        }
      }
    }
    const log = apim.selectRequests({ method: "PUT" });
    assert.equal(log.length, answers.length);
    const throttled = log.filter((entry) => entry.throttled).length;
    assert.ok(throttled >= 3, `only ${throttled} throttled answers`);
    assert.ok(
      requeues >= 1,
      "the long Retry-After was not thrown to the caller",
    );
    log.forEach((entry, i) => {
      const next = log[i + 1];
      if (!entry.throttled || !next) return;
      const retryAfterMs = Number(answers[i]?.retryAfter) * 1000;
      assert.ok(
        next.at >= entry.at + retryAfterMs,
        `request ${
          i + 1
        } at ${next.at} came before the Retry-After of ${retryAfterMs} ms given at ${entry.at}`,
      );
    });
    assert.equal(
      apim.service({ ...SERVICE, name: SERVICE.serviceName }).tags().length,
      10,
    );
  });
});

Deno.test("writes paced by the remaining budget ARM reports draw no 429", async () => {
  const clock = new JumpClock(Date.now());
  await withWorld({
    clock,
    knobs: {
      throttle: {
        reads: { capacity: 100, refillPerSecond: 10 },
        writes: { capacity: 10, refillPerSecond: 2 },
      },
    },
    client: {
      budget: new RequestBudget({
        refillPerSecond: { writes: 2 },
        reserve: 1,
        clock,
      }),
    },
  }, async ({ apim, client }) => {
    const started = clock.now();
    for (let i = 0; i < 30; i++) {
      await createOrUpdateTag(client, {
        tag: { service: SERVICE, tagId: `tag-${i}` },
        properties: { displayName: `Tag ${i}` },
      });
    }
    assert.deepEqual(
      apim.selectRequests({ method: "PUT" }).filter((e) => e.throttled),
      [],
    );
    assert.equal(
      apim.service({ ...SERVICE, name: SERVICE.serviceName }).tags().length,
      30,
    );
    assert.ok(
      clock.now() - started >= 9_000,
      "20 writes beyond the bucket waited for its refill",
    );
  });
});

Deno.test("a poll URL on another host is refused and the token never leaves", async () => {
  const tls = await loadTestTls();
  const seen: Array<string | null> = [];
  const foreign = serveHttps(tls, (request) => {
    seen.push(request.headers.get("authorization"));
    return Promise.resolve(new Response(null, { status: 202 }));
  });
  try {
    await withWorld({}, async ({ apim, client }) => {
      apim.injectFault({
        method: "PUT",
        path: /\/apis\/hijacked$/,
        status: 202,
        headers: { location: `${foreign.url}/poll?asyncId=1` },
      });
      const operation = pending(await importPetstore(client, "hijacked"));
      assert.equal(new URL(operation.url).origin, foreign.url);
      await assert.rejects(pollOperation(client, operation), UntrustedUrlError);
      const error = await pollOperation(client, operation).catch((e) => e);
      assert.equal(classifyArmError(error).kind, "terminal");
    });
    // Prove the foreign server works and records headers: a plain request reaches it.
    await (await fetch(`${foreign.url}/probe`)).body?.cancel();
    assert.deepEqual(seen, [null]);
  } finally {
    await foreign.shutdown();
  }
});

Deno.test("a rejected token is refreshed once and the call succeeds", async () => {
  await withWorld({}, async ({ entra, apim, client }) => {
    await getApimService(client, SERVICE);
    entra.rotateSigningKey(); // every token issued so far stops verifying
    const service = await getApimService(client, SERVICE);
    assert.equal(service.name, SERVICE.serviceName);
    assert.equal(entra.tokensIssued, 2);
    assert.equal(apim.countRequests({ status: 401 }), 1);
  });
});

Deno.test("an expired token is refreshed once, then the 401 is reported", async () => {
  await withWorld({}, async ({ entra, apim, client }) => {
    entra.tokenLifetimeSeconds = 0; // every token is expired on arrival
    const error = await getApimService(client, SERVICE).catch((e) => e);
    assert.ok(error instanceof ArmError, String(error));
    assert.equal(error.status, 401);
    assert.equal(error.code, "ExpiredAuthenticationToken");
    assert.equal(classifyArmError(error).kind, "terminal");
    assert.equal(entra.tokensIssued, 2);
    assert.equal(apim.countRequests({ status: 401 }), 2);
  });
});
