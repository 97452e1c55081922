// Unit tests of the authentication and authorization filter with a stubbed reviewer: 401, 403, 500, 200.
import assert from "node:assert/strict";
import { withAuthenticationAndAuthorization } from "../../../src/http/auth_filter.ts";
import { metricsHandler } from "../../../src/http/metrics_handler.ts";
import { MetricsRegistry } from "../../../src/http/metrics.ts";
import { Logger } from "../../../src/log.ts";
import { StubReviewer, user } from "./stub_reviewer.ts";

const TOKEN = "secret-token-value";

function setup() {
  const registry = new MetricsRegistry();
  registry.counter("scrapes_total", "Scrapes.").inc();
  const stub = new StubReviewer();
  const lines: string[] = [];
  const logger = new Logger({ level: "debug", sink: (l) => lines.push(l) });
  const handler = withAuthenticationAndAuthorization(
    metricsHandler(registry),
    stub,
    logger,
  );
  const scrape = (headers: Record<string, string> = {}, method = "GET") =>
    handler(
      new Request("https://operator:8443/metrics", { method, headers }),
    );
  return { stub, lines, scrape };
}

Deno.test("withAuthenticationAndAuthorization() answers 401 without a bearer token", async () => {
  const { scrape } = setup();
  for (
    const headers of [
      {},
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer" },
      { authorization: "Bearer a b" },
    ]
  ) {
    const response = await scrape(headers);
    assert.equal(response.status, 401, JSON.stringify(headers));
    assert.equal(response.headers.get("www-authenticate"), "Bearer");
    assert.equal(await response.text(), "Unauthorized\n");
  }
});

Deno.test("withAuthenticationAndAuthorization() answers 401 for a token the reviewer rejects", async () => {
  const { scrape, lines } = setup();
  const response = await scrape({ authorization: `Bearer ${TOKEN}` });
  assert.equal(response.status, 401);
  await response.body?.cancel();
  assert.ok(lines.every((l) => !l.includes(TOKEN)));
});

Deno.test("withAuthenticationAndAuthorization() answers 403 naming the user when not allowed", async () => {
  const { scrape, stub } = setup();
  stub.tokens.set(TOKEN, user("system:serviceaccount:ns:scraper"));
  const response = await scrape({ authorization: `bearer ${TOKEN}` });
  assert.equal(response.status, 403);
  assert.equal(
    await response.text(),
    'Authorization denied for user "system:serviceaccount:ns:scraper"\n',
  );
});

Deno.test("withAuthenticationAndAuthorization() serves the metrics when the user may get the path", async () => {
  const { scrape, stub } = setup();
  stub.tokens.set(TOKEN, user("prometheus", ["monitoring"]));
  stub.allowed.add("monitoring get /metrics");
  const response = await scrape({ authorization: `Bearer ${TOKEN}` });
  assert.equal(response.status, 200);
  assert.match(await response.text(), /^scrapes_total 1$/m);
  // The verb is the request's method: POST is a different question (denied here).
  const post = await scrape({ authorization: `Bearer ${TOKEN}` }, "POST");
  assert.equal(post.status, 403);
  await post.body?.cancel();
});

Deno.test("withAuthenticationAndAuthorization() answers 500 when the reviewer fails, and logs no token", async () => {
  const { scrape, stub, lines } = setup();
  stub.failure = new Error("connection refused");
  const response = await scrape({ authorization: `Bearer ${TOKEN}` });
  assert.equal(response.status, 500);
  assert.equal(await response.text(), "Authentication failed\n");
  assert.ok(lines.some((l) => l.includes("connection refused")));
  assert.ok(lines.every((l) => !l.includes(TOKEN)));

  // Authenticated, then authorization fails.
  stub.failure = undefined;
  stub.tokens.set(TOKEN, user("prometheus"));
  stub.authorizationFailure = new Error("timeout");
  const denied = await scrape({ authorization: `Bearer ${TOKEN}` });
  assert.equal(denied.status, 500);
  assert.equal(
    await denied.text(),
    'Authorization for user "prometheus" failed\n',
  );
});
