// Unit tests of the operator's metric families read at scrape time: leadership, APIMAPIs by state, process metrics.
import assert from "node:assert/strict";
import { OperatorMetrics } from "../../../src/controllers/operator_metrics.ts";
import type { ApimApi } from "../../../src/crd/apim_api.ts";
import { apimApiFixture } from "./apim_api_fixture.ts";
import { MetricsRegistry } from "../../../src/http/metrics.ts";

function api(name: string, conditions: [string, string][]): ApimApi {
  return apimApiFixture(name, {}, {
    status: {
      conditions: conditions.map(([type, status]) => ({
        type,
        status,
        reason: "R",
        message: "",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      })),
    },
  });
}

Deno.test("leader_election_master_status follows the callback at each scrape", () => {
  const registry = new MetricsRegistry();
  const metrics = new OperatorMetrics(registry);
  let leading = false;
  metrics.reportLeadership("azure-apim-operator", () => leading);
  assert.match(
    registry.render(),
    /^leader_election_master_status\{name="azure-apim-operator"\} 0$/m,
  );
  leading = true;
  assert.match(
    registry.render(),
    /^leader_election_master_status\{name="azure-apim-operator"\} 1$/m,
  );
});

Deno.test("apim_apis counts the listed APIMAPIs by state, every state present", () => {
  const registry = new MetricsRegistry();
  const metrics = new OperatorMetrics(registry);
  const apis = [
    api("a", [["Ready", "True"]]),
    api("b", [["Ready", "False"], ["Reconciling", "True"]]),
    api("c", [["Ready", "False"], ["Stalled", "True"]]),
    api("d", []),
    api("e", [["Ready", "True"]]),
  ];
  metrics.countApis(() => apis);
  const text = registry.render();
  assert.match(text, /^apim_apis\{state="ready"\} 2$/m);
  assert.match(text, /^apim_apis\{state="progressing"\} 2$/m);
  assert.match(text, /^apim_apis\{state="stalled"\} 1$/m);
  apis.length = 0;
  assert.match(registry.render(), /^apim_apis\{state="stalled"\} 0$/m);
});

Deno.test("the operator's registry carries the process and runtime metrics", () => {
  const registry = new MetricsRegistry();
  new OperatorMetrics(registry);
  const text = registry.render();
  assert.match(text, /^# TYPE deno_heap_used_bytes gauge$/m);
  assert.match(
    text,
    /^# TYPE apim_azure_token_request_failures_total counter$/m,
  );
  assert.match(text, /^process_resident_memory_bytes \d+$/m);
});
