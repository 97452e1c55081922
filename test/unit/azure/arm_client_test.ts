// Tests of ArmClient against a recording fake fetch in virtual time: retries, throttling, 401 refresh, origin guard.

import assert from "node:assert/strict";
import { ArmClient } from "../../../src/azure/arm_client.ts";
import {
  ArmError,
  ArmResponseError,
  ArmTransportError,
  FencedRequestError,
  UntrustedUrlError,
} from "../../../src/azure/arm_error.ts";
import { armPath, topLevelResourceId } from "../../../src/azure/arm_path.ts";
import { KeyedSemaphore } from "../../../src/azure/keyed_semaphore.ts";
import { RequestBudget } from "../../../src/azure/request_budget.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import {
  FAKE_ARM_ORIGIN,
  fakeArmClient,
  type FakeHandler,
  jsonResponse,
  JumpClock,
  SequenceTokenSource,
} from "./arm_fakes.ts";

const ORIGIN = FAKE_ARM_ORIGIN;
const PATH =
  armPath`/subscriptions/${"s"}/resourceGroups/${"rg"}/providers/Microsoft.ApiManagement/service/${"svc"}/apis/${"a;rev=2"}`;

function sequence(...responses: Array<() => Response>): FakeHandler {
  let i = 0;
  return () => {
    const next = responses[Math.min(i++, responses.length - 1)];
    if (!next) throw new Error("no response");
    return next();
  };
}

Deno.test("request() sends the token, api-version, query, If-Match and a JSON body", async () => {
  const { client, fake } = fakeArmClient(() =>
    jsonResponse(200, { id: "x" }, { etag: '"AAAA="' })
  );
  const response = await client.request({
    method: "PUT",
    path: PATH,
    query: { deleteRevisions: true, skipped: undefined },
    headers: { "If-Match": "*" },
    body: { properties: { path: "p" } },
  });
  assert.deepEqual(response.body, { id: "x" });
  assert.equal(response.etag, '"AAAA="');
  assert.equal(response.status, 200);
  const [sent] = fake.requests;
  assert.ok(sent);
  assert.equal(sent.method, "PUT");
  assert.equal(
    sent.url.pathname,
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/apis/a;rev=2",
  );
  assert.equal(sent.url.searchParams.get("api-version"), "2024-05-01");
  assert.equal(sent.url.searchParams.get("deleteRevisions"), "true");
  assert.equal(sent.url.searchParams.has("skipped"), false);
  assert.equal(sent.headers.get("authorization"), "Bearer token-1");
  assert.equal(sent.headers.get("if-match"), "*");
  assert.equal(sent.headers.get("content-type"), "application/json");
  assert.deepEqual(sent.body, { properties: { path: "p" } });
});

Deno.test("request() names the operator and its instance in the User-Agent of every attempt", async () => {
  const { client, fake } = fakeArmClient(
    sequence(() => jsonResponse(503, {}), () => jsonResponse(200, {})),
    { instance: "apim-op-7c9d(x)_1a2b3c4d" },
  );
  await client.request({ method: "GET", path: PATH });
  const agents = fake.requests.map((r) => r.headers.get("user-agent"));
  assert.deepEqual(agents, [
    `azure-apim-operator (apim-op-7c9d-x-_1a2b3c4d) Deno/${Deno.version.deno}`,
    `azure-apim-operator (apim-op-7c9d-x-_1a2b3c4d) Deno/${Deno.version.deno}`,
  ]);
});

Deno.test("request() sends requests with a body on the body client, others on fetch's own", async () => {
  const bodyClient = { close: () => {} } as Deno.HttpClient;
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}), {
    bodyClient,
  });
  await client.request({ method: "GET", path: PATH });
  await client.request({ method: "PUT", path: PATH, body: {} });
  await client.request({ method: "DELETE", path: PATH });
  assert.deepEqual(fake.requests.map((r) => [r.method, r.client]), [
    ["GET", undefined],
    ["PUT", bodyClient],
    ["DELETE", undefined],
  ]);
});

Deno.test("request() uses the configured api-version", async () => {
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}), {
    apiVersion: "2022-08-01",
  });
  await client.request({ method: "GET", path: PATH });
  assert.equal(
    fake.requests[0]?.url.searchParams.get("api-version"),
    "2022-08-01",
  );
});

Deno.test("request() waits out a short Retry-After before retrying a 429", async () => {
  const { client, fake } = fakeArmClient(sequence(
    () =>
      jsonResponse(429, {
        error: { code: "TooManyRequests", message: "slow down" },
      }, { "retry-after": "3" }),
    () => jsonResponse(200, { ok: true }),
  ));
  const response = await client.request({ method: "GET", path: PATH });
  assert.deepEqual(response.body, { ok: true });
  const [first, second] = fake.requests;
  assert.ok(first && second);
  assert.ok(second.at - first.at >= 3000, "retried before Retry-After expired");
});

Deno.test("request() throws a long Retry-After to the caller instead of sleeping", async () => {
  const { client, fake, clock } = fakeArmClient(() =>
    jsonResponse(429, {
      error: { code: "TooManyRequests", message: "slow down" },
    }, { "retry-after": "120" })
  );
  const error = await client.request({ method: "GET", path: PATH }).catch((e) =>
    e
  );
  assert.ok(error instanceof ArmError);
  assert.equal(error.status, 429);
  assert.equal(error.retryAfterMs, 120_000);
  assert.equal(fake.requests.length, 1);
  assert.deepEqual(clock.sleeps, []);
});

Deno.test("request() retries 5xx with growing backoff, then reports the last error", async () => {
  const { client, fake, clock } = fakeArmClient(
    () =>
      jsonResponse(500, {
        error: { code: "InternalServerError", message: "oops" },
      }),
    { maxAttempts: 3 },
  );
  const error = await client.request({ method: "GET", path: PATH }).catch((e) =>
    e
  );
  assert.ok(error instanceof ArmError);
  assert.equal(error.code, "InternalServerError");
  assert.equal(fake.requests.length, 3);
  assert.equal(clock.sleeps.length, 2);
  assert.ok((clock.sleeps[1] ?? 0) > (clock.sleeps[0] ?? 0));
});

Deno.test("request() retries transport failures, then throws ArmTransportError", async () => {
  const { client, fake } = fakeArmClient(() => {
    throw new TypeError("connection reset");
  }, { maxAttempts: 2 });
  const error = await client.request({ method: "GET", path: PATH }).catch((e) =>
    e
  );
  assert.ok(error instanceof ArmTransportError);
  assert.equal(error.reason, "network");
  assert.match(error.message, /connection reset/);
  assert.equal(fake.requests.length, 2);
});

for (const status of [400, 403, 404, 409, 412]) {
  Deno.test(`request() does not retry ${status}`, async () => {
    const { client, fake } = fakeArmClient(() =>
      jsonResponse(status, { error: { code: `C${status}`, message: "no" } })
    );
    const error = await client.request({ method: "PUT", path: PATH, body: {} })
      .catch((e) => e);
    assert.ok(error instanceof ArmError);
    assert.equal(error.status, status);
    assert.equal(fake.requests.length, 1);
  });
}

Deno.test("request() with retry: false makes one attempt even on 503", async () => {
  const { client, fake } = fakeArmClient(() =>
    jsonResponse(503, {}, { "retry-after": "1" })
  );
  const error = await client.request({
    method: "GET",
    path: PATH,
    retry: false,
  })
    .catch((e) => e);
  assert.ok(error instanceof ArmError);
  assert.equal(error.retryAfterMs, 1000);
  assert.equal(fake.requests.length, 1);
});

Deno.test("request() gets a fresh token once after a 401", async () => {
  const { client, fake, tokens } = fakeArmClient((request) =>
    request.headers.get("authorization") === "Bearer token-1"
      ? jsonResponse(401, {
        error: { code: "ExpiredAuthenticationToken", message: "expired" },
      })
      : jsonResponse(200, { ok: true })
  );
  const response = await client.request({ method: "GET", path: PATH });
  assert.deepEqual(response.body, { ok: true });
  assert.equal(tokens.forcedRefreshes, 1);
  assert.deepEqual(
    fake.requests.map((r) => r.headers.get("authorization")),
    ["Bearer token-1", "Bearer token-2"],
  );
});

Deno.test("request() reports a 401 that survives the refresh", async () => {
  const { client, fake, tokens } = fakeArmClient(() =>
    jsonResponse(401, {
      error: { code: "InvalidAuthenticationToken", message: "bad" },
    })
  );
  const error = await client.request({ method: "GET", path: PATH }).catch((e) =>
    e
  );
  assert.ok(error instanceof ArmError);
  assert.equal(error.status, 401);
  assert.equal(error.code, "InvalidAuthenticationToken");
  assert.equal(tokens.forcedRefreshes, 1);
  assert.equal(fake.requests.length, 2);
});

Deno.test("request() refuses URLs off the ARM origin before sending anything", async () => {
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}));
  for (
    const url of [
      "https://evil.example.test/subscriptions/s",
      "http://arm.example.test/subscriptions/s",
      "https://arm.example.test:8443/subscriptions/s",
      "https://arm.example.test.evil.test/x",
      "not a url",
    ]
  ) {
    await assert.rejects(
      client.request({ method: "GET", url }),
      UntrustedUrlError,
    );
  }
  assert.equal(fake.requests.length, 0);
  await client.request({
    method: "GET",
    url: `${ORIGIN}/subscriptions/s?api-version=1`,
  });
  assert.equal(fake.requests[0]?.url.searchParams.get("api-version"), "1");
});

Deno.test("request() does not follow redirects", async () => {
  const { client, fake } = fakeArmClient(() =>
    new Response(null, {
      status: 302,
      headers: { location: "https://evil.example.test/" },
    })
  );
  const error = await client.request({ method: "GET", path: PATH }).catch((e) =>
    e
  );
  assert.ok(error instanceof ArmError);
  assert.equal(error.status, 302);
  assert.equal(fake.requests.length, 1);
});

Deno.test("request() refuses bodies above the size cap", async () => {
  const { client } = fakeArmClient(
    () => jsonResponse(200, { big: "x".repeat(5000) }),
    {
      maxResponseBytes: 1000,
    },
  );
  await assert.rejects(
    client.request({ method: "GET", path: PATH }),
    ArmResponseError,
  );
  const streamed = fakeArmClient(() =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(200));
          controller.close();
        },
      }),
      { status: 200 },
    ), { maxResponseBytes: 1000 });
  await assert.rejects(
    streamed.client.request({ method: "GET", path: PATH }),
    /exceeds the limit of 1000 bytes/,
  );
});

Deno.test("request() reports invalid JSON in a success body", async () => {
  const { client } = fakeArmClient(() =>
    new Response("<html>", { status: 200 })
  );
  await assert.rejects(
    client.request({ method: "GET", path: PATH }),
    /body is not JSON/,
  );
});

Deno.test("request() times out a request that never answers", async () => {
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener(
        "abort",
        () => reject(init.signal?.reason),
      );
    });
  const client = new ArmClient({
    tokenSource: new SequenceTokenSource(),
    baseUrl: ORIGIN,
    fetch: hanging,
    clock: new JumpClock(),
    timeoutMs: 20,
    maxAttempts: 1,
  });
  const error = await client.request({ method: "GET", path: PATH }).catch((e) =>
    e
  );
  assert.ok(error instanceof ArmTransportError);
  assert.equal(error.reason, "timeout");
});

Deno.test("request() reports every attempt to the hook and keeps the remaining budget", async () => {
  const events: unknown[] = [];
  const { client } = fakeArmClient(
    sequence(
      () =>
        jsonResponse(429, {}, {
          "retry-after": "1",
          "x-ms-ratelimit-remaining-subscription-writes": "0",
        }),
      () =>
        jsonResponse(200, {}, {
          "x-ms-ratelimit-remaining-subscription-writes": "199",
        }),
    ),
    { onRequest: (event) => events.push({ ...event, durationMs: 0 }) },
  );
  await client.request({ method: "PATCH", path: PATH, body: {} });
  assert.deepEqual(events, [
    {
      method: "PATCH",
      status: 429,
      durationMs: 0,
      throttled: true,
      rateLimitRemaining: { "subscription-writes": 0 },
    },
    {
      method: "PATCH",
      status: 200,
      durationMs: 0,
      throttled: false,
      rateLimitRemaining: { "subscription-writes": 199 },
    },
  ]);
  assert.deepEqual(client.rateLimitRemaining, { "subscription-writes": 199 });
});

Deno.test("request() serialises writes per APIM instance with a write limit", async () => {
  const log: string[] = [];
  const { client } = fakeArmClient(async (request) => {
    const service = request.url.pathname.split("/")[8];
    const name = `${request.method} ${service}`;
    log.push(`start ${name}`);
    // Latency, so that unlimited requests would overlap.
    await new Promise((resolve) => setTimeout(resolve, 5));
    log.push(`end ${name}`);
    return jsonResponse(200, {});
  }, { writeLimit: new KeyedSemaphore(1) });
  const other =
    armPath`/subscriptions/${"s"}/resourceGroups/${"rg"}/providers/Microsoft.ApiManagement/service/${"other"}/apis/${"a"}`;
  await Promise.all([
    client.request({ method: "PUT", path: PATH, body: {} }),
    client.request({ method: "DELETE", path: PATH }),
    client.request({ method: "PUT", path: other, body: {} }),
    client.request({ method: "GET", path: PATH }),
  ]);
  const at = (entry: string) => log.indexOf(entry);
  assert.ok(at("end PUT svc") < at("start DELETE svc"), log.join(", "));
  // Other instances and reads are not held back by the write.
  assert.ok(at("start PUT other") < at("end PUT svc"), log.join(", "));
  assert.ok(at("start GET svc") < at("end PUT svc"), log.join(", "));
});

Deno.test("ArmClient refuses a base URL that is not an https origin", () => {
  for (
    const baseUrl of [
      "http://arm.example.test",
      "https://arm.example.test/prefix",
      "https://arm.example.test/?x=1",
    ]
  ) {
    assert.throws(
      () => new ArmClient({ tokenSource: new SequenceTokenSource(), baseUrl }),
      TypeError,
    );
  }
});

Deno.test("withSignal() sends nothing once its signal aborted (a deposed leader's fence), sharing everything else", async () => {
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}));
  const term = new AbortController();
  const fenced = client.withSignal(term.signal);
  await fenced.request({ method: "GET", path: PATH });
  assert.equal(fake.requests.length, 1);
  term.abort(new Error("lost leadership"));
  await assert.rejects(
    fenced.request({ method: "PUT", path: PATH, body: {} }),
    /lost leadership/,
  );
  assert.equal(fake.requests.length, 1, "no write left after the fence");
  await client.request({ method: "GET", path: PATH });
  assert.equal(fake.requests.length, 2, "the unfenced client still works");
});

Deno.test("withSignal() cuts off a write waiting for its instance's write slot", async () => {
  const limit = new KeyedSemaphore(1);
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}), {
    writeLimit: limit,
  });
  const release = await limit.acquire(
    topLevelResourceId(String(PATH)) ?? "",
  );
  const term = new AbortController();
  const waiting = client.withSignal(term.signal).request({
    method: "PUT",
    path: PATH,
    body: {},
  });
  term.abort(new Error("lost leadership"));
  await assert.rejects(waiting, /lost leadership/);
  release();
  assert.equal(fake.requests.length, 0);
});

Deno.test('request() with retry "rejected" re-sends only after answers that prove the write was refused', async () => {
  const cases: Array<[string, () => Response, number]> = [
    [
      "429",
      () =>
        jsonResponse(429, { error: { code: "TooManyRequests", message: "" } }, {
          "retry-after": "1",
        }),
      2,
    ],
    [
      "500",
      () =>
        jsonResponse(500, {
          error: { code: "InternalServerError", message: "" },
        }),
      1,
    ],
    [
      "503",
      () =>
        jsonResponse(503, {
          error: { code: "ServiceUnavailable", message: "" },
        }),
      1,
    ],
  ];
  for (const [what, first, sent] of cases) {
    const { client, fake } = fakeArmClient(
      sequence(first, () => jsonResponse(200, {})),
    );
    await client.request({
      method: "PUT",
      path: PATH,
      body: {},
      retry: "rejected",
    })
      .catch(() => undefined);
    assert.equal(fake.requests.length, sent, what);
  }
  const { client, fake } = fakeArmClient(() => {
    throw new TypeError("connection reset");
  });
  await assert.rejects(
    client.request({ method: "PUT", path: PATH, body: {}, retry: "rejected" }),
    ArmTransportError,
  );
  assert.equal(fake.requests.length, 1, "a lost answer is not re-sent");
});

Deno.test("request() runs beforeAttempt right before each attempt leaves, and sends nothing when it fails", async () => {
  const { client, fake, clock } = fakeArmClient(sequence(
    () =>
      jsonResponse(429, { error: { code: "TooManyRequests", message: "" } }, {
        "retry-after": "4",
      }),
    () => jsonResponse(202, {}),
  ));
  const noted: number[] = [];
  await client.request({
    method: "PUT",
    path: PATH,
    body: {},
    retry: "rejected",
    beforeAttempt: () => {
      noted.push(clock.now());
      return Promise.resolve();
    },
  });
  assert.deepEqual(noted, fake.requests.map((r) => r.at));

  const refused = fakeArmClient(() => jsonResponse(202, {}));
  await assert.rejects(
    refused.client.request({
      method: "PUT",
      path: PATH,
      body: {},
      beforeAttempt: () => Promise.reject(new Error("not recorded")),
    }),
    /not recorded/,
  );
  assert.equal(refused.fake.requests.length, 0);
});

Deno.test("request() feeds the write budget per class with the tighter of the caller's and the global budget", async () => {
  const budget = new RequestBudget({ clock: new FakeClock(0) });
  const { client } = fakeArmClient(
    (request) =>
      jsonResponse(
        200,
        {},
        request.method === "DELETE"
          ? {
            "x-ms-ratelimit-remaining-subscription-deletes": "150",
            "x-ms-ratelimit-remaining-subscription-global-deletes": "40",
          }
          : {
            "x-ms-ratelimit-remaining-subscription-writes": "180",
            "x-ms-ratelimit-remaining-subscription-global-writes": "2900",
          },
      ),
    { budget },
  );
  await client.request({ method: "PUT", path: PATH, body: {} });
  await client.request({ method: "DELETE", path: PATH });
  assert.equal(budget.available("s|writes"), 180);
  assert.equal(budget.available("s|deletes"), 40);
});

Deno.test("withSignal() with a fence refuses to send once the fence says the lease is not held, at the moment of sending", async () => {
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}));
  let holds = true;
  const fenced = client.withSignal(new AbortController().signal, () => holds);
  await fenced.request({ method: "PUT", path: PATH, body: {} });
  holds = false; // e.g. the process was frozen past its renew deadline
  await assert.rejects(
    fenced.request({ method: "PUT", path: PATH, body: {} }),
    FencedRequestError,
  );
  assert.equal(fake.requests.length, 1);
});
