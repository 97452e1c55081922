// Unit tests for the Prometheus registry's text output.
import assert from "node:assert/strict";
import { MetricsRegistry } from "../../../src/http/metrics.ts";

Deno.test("MetricsRegistry.render() prints counters, gauges and histograms with labels", () => {
  const registry = new MetricsRegistry();
  const requests = registry.counter("arm_requests_total", "ARM requests.", [
    "method",
    "code",
  ]);
  requests.inc({ method: "GET", code: "200" });
  requests.inc({ method: "GET", code: "200" });
  requests.inc({ method: "PUT", code: "429" });
  registry.gauge("depth", "Queue depth.", ["name"]).collectWith(
    () => [[{ name: "q" }, 3]],
  );
  const h = registry.histogram("duration_seconds", "Durations.", ["c"], [
    0.1,
    1,
  ]);
  h.observe({ c: "x" }, 0.05);
  h.observe({ c: "x" }, 0.5);
  const text = registry.render();
  assert.match(text, /# TYPE arm_requests_total counter/);
  assert.match(text, /arm_requests_total\{method="GET",code="200"\} 2/);
  assert.match(text, /arm_requests_total\{method="PUT",code="429"\} 1/);
  assert.match(text, /depth\{name="q"\} 3/);
  assert.match(text, /duration_seconds_bucket\{c="x",le="0.1"\} 1/);
  assert.match(text, /duration_seconds_bucket\{c="x",le="1"\} 2/);
  assert.match(text, /duration_seconds_bucket\{c="x",le="\+Inf"\} 2/);
  assert.match(text, /duration_seconds_count\{c="x"\} 2/);
  assert.equal(requests.get({ method: "GET", code: "200" }), 2);
});

Deno.test("MetricsRegistry.render() escapes label values", () => {
  const registry = new MetricsRegistry();
  registry.counter("c_total", "C.", ["l"]).inc({ l: 'a"b\\c' });
  assert.match(registry.render(), /c_total\{l="a\\"b\\\\c"\} 1/);
});

Deno.test("Counter.collectWith() reports a count kept elsewhere at scrape time", () => {
  const registry = new MetricsRegistry();
  let requested = 2;
  registry.counter("token_requests_total", "Token requests.").collectWith(
    () => [[{}, requested]],
  );
  assert.match(registry.render(), /# TYPE token_requests_total counter/);
  assert.match(registry.render(), /^token_requests_total 2$/m);
  requested = 5;
  assert.match(registry.render(), /^token_requests_total 5$/m);
});
