// Unit tests of the /metrics handler.
import assert from "node:assert/strict";
import {
  METRICS_CONTENT_TYPE,
  metricsHandler,
} from "../../../src/http/metrics_handler.ts";
import { MetricsRegistry } from "../../../src/http/metrics.ts";

Deno.test("metricsHandler() serves the registry's text on GET /metrics", async () => {
  const registry = new MetricsRegistry();
  const counter = registry.counter("things_total", "Things.");
  const handler = metricsHandler(registry);
  counter.inc({}, 3);
  const response = await handler(new Request("http://x/metrics"));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), METRICS_CONTENT_TYPE);
  assert.equal(await response.text(), registry.render());

  const head = await handler(
    new Request("http://x/metrics", { method: "HEAD" }),
  );
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
});

Deno.test("metricsHandler() answers 404 elsewhere and 405 to other methods", async () => {
  const handler = metricsHandler(new MetricsRegistry());
  const other = await handler(new Request("http://x/metricsz"));
  assert.equal(other.status, 404);
  await other.body?.cancel();
  const post = await handler(
    new Request("http://x/metrics", { method: "POST" }),
  );
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  await post.body?.cancel();
});
