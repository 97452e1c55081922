// The operator's metrics and probes as a scraper sees them: HTTPS with Kubernetes authentication and authorization
// (401, 403, 200 for the chart's metrics-reader role) and the families of SPEC §9, or plain HTTP when not secure.
import assert from "node:assert/strict";
import { scrape, serviceAccountWithToken } from "../support/metrics_rbac.ts";
import { E2eEnvironment } from "../support/e2e_environment.ts";
import {
  applyObjects,
  deleteClusterRbac,
  metricsCertDir,
  metricsScraper,
  metricsUrl,
  objectOf,
  operatorEnv,
  RegistrationScenario,
  renderChart,
  uniqueReleaseName,
  withFlags,
} from "../support/helm_chart.ts";
import { dashboardQueries, renderAlertRules } from "../support/monitoring.ts";
import { startOperator } from "../support/operator_process.ts";
import type { OperatorProcess } from "../support/operator_process.ts";
import {
  missingMetricNames,
  promqlMetricNames,
} from "../support/promql_metric_names.ts";
import { waitFor } from "../support/wait.ts";

/** The value of the first sample of `family` whose labels include `labels` (e.g. `result="succeeded"`). */
function sample(text: string, family: string, labels = ""): number | undefined {
  for (const line of text.split("\n")) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/);
    if (match?.[1] === family && (match[2] ?? "").includes(labels)) {
      return Number(match[3]);
    }
  }
  return undefined;
}

function assertFamily(text: string, family: string, type: string): void {
  assert.match(
    text,
    new RegExp(`^# TYPE ${family} ${type}$`, "m"),
    `# TYPE ${family} ${type}`,
  );
}

/** Waits until the probes answer 200 on /healthz and on /readyz (caches synced). */
async function waitForProbes(operator: OperatorProcess): Promise<void> {
  const probes = await operator.serverUrl("probes");
  for (const path of ["/healthz", "/readyz"]) {
    await waitFor(async () => {
      const response = await fetch(`${probes}${path}`);
      await response.body?.cancel();
      return response.status === 200 ? true : undefined;
    }, { description: `${path} to answer 200` });
  }
}

Deno.test("secure metrics answer 401 without a token, 403 without RBAC, and the SPEC's families to the chart's metrics-reader role", async () => {
  await using env = await E2eEnvironment.start();
  const appNamespace = await env.namespace("metrics-app");
  const operatorNamespace = await env.namespace("metrics-op");
  await using scenario = await RegistrationScenario.create(
    env,
    appNamespace,
    operatorNamespace,
  );
  await using certs = await metricsCertDir(env.tls);
  await using operator = startOperator({
    args: withFlags(
      env.operatorArgs({
        watchNamespaces: [appNamespace, operatorNamespace],
        operatorNamespace,
      }),
      {
        "metrics-bind-address": "127.0.0.1:0",
        "metrics-secure": true,
        "metrics-cert-dir": certs.path,
      },
    ),
    env: env.operatorEnv(),
  });
  await waitForProbes(operator);
  const url = `${await metricsUrl(operator)}/metrics`;
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/metrics$/);

  await scenario.deployWorkload();
  await scenario.waitUntilRegistered();

  assert.equal((await scrape(url)).status, 401);
  assert.equal((await scrape(url, "not-a-token")).status, 401);
  const nobody = await serviceAccountWithToken(
    env.plane,
    operatorNamespace,
    "nobody",
  );
  assert.equal((await scrape(url, nobody)).status, 403);

  // The chart's reader role, bound to a Prometheus ServiceAccount.
  const release = uniqueReleaseName("metrics");
  const reader = objectOf(
    await renderChart({
      release,
      namespace: operatorNamespace,
      kubeconfig: env.plane.kubeconfigPath,
      showOnly: ["templates/rbac.yaml"],
    }),
    "ClusterRole",
    `${release}-azure-apim-operator-metrics-reader`,
  );
  await applyObjects(env.plane.kubeconfigPath, [reader]);
  await using _reader = {
    [Symbol.asyncDispose]: () => deleteClusterRbac(env.plane, [reader]),
  };
  await using prometheus = await metricsScraper(
    env.plane,
    reader.metadata?.name ?? "",
    { namespace: operatorNamespace, name: "prometheus" },
  );
  const scraped = await scrape(url, prometheus.token);
  assert.equal(scraped.status, 200, scraped.text);
  const text = scraped.text;

  assertFamily(text, "controller_runtime_reconcile_total", "counter");
  assertFamily(text, "controller_runtime_reconcile_errors_total", "counter");
  assertFamily(text, "controller_runtime_reconcile_time_seconds", "histogram");
  assertFamily(text, "workqueue_depth", "gauge");
  assertFamily(text, "apim_arm_requests_total", "counter");
  assertFamily(text, "apim_arm_throttled_requests_total", "counter");
  assertFamily(text, "apim_arm_request_duration_seconds", "histogram");
  assertFamily(text, "apim_import_duration_seconds", "histogram");
  assertFamily(text, "apim_openapi_document_bytes", "histogram");
  assertFamily(text, "apim_azure_token_requests_total", "counter");
  assertFamily(text, "apim_registrations_total", "counter");

  assert.ok(
    (sample(text, "controller_runtime_reconcile_total", 'controller="') ??
      0) > 0,
    "reconciles were counted",
  );
  assert.notEqual(sample(text, "workqueue_depth"), undefined, "queue depths");
  assert.ok(
    (sample(text, "apim_arm_requests_total", 'method="PUT"') ?? 0) > 0,
    "ARM writes were counted",
  );
  assert.ok(
    (sample(text, "apim_arm_requests_total", 'method="GET"') ?? 0) > 0,
    "ARM reads were counted",
  );
  assert.ok((sample(text, "apim_azure_token_requests_total") ?? 0) >= 1);
  assert.equal(
    sample(text, "apim_registrations_total", 'result="succeeded"'),
    1,
  );
  assert.equal(sample(text, "apim_openapi_document_bytes_count"), 1);
  assertFamily(text, "apim_azure_token_request_failures_total", "counter");
  assert.equal(sample(text, "apim_apis", 'state="ready"'), 1);
  assert.equal(sample(text, "apim_apis", 'state="stalled"'), 0);
  // Without leader election the one replica leads.
  assert.equal(sample(text, "leader_election_master_status"), 1);
  for (
    const family of [
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "process_cpu_seconds_total",
      "deno_heap_used_bytes",
    ]
  ) {
    assert.ok((sample(text, family) ?? 0) > 0, family);
  }
  // Deno lets only a process with all permissions read /proc; the operator's set is not that.
  assert.doesNotMatch(text, /^# TYPE process_open_fds /m);

  // The chart's dashboard and alerts read only what the operator exposes.
  const queries = [
    ...await dashboardQueries(),
    ...(await renderAlertRules(env.plane.kubeconfigPath)).groups.flatMap((g) =>
      g.rules.map((r) => r.expr)
    ),
  ];
  const used = new Set(queries.flatMap((q) => [...promqlMetricNames(q)]));
  assert.ok(used.size >= 20, [...used].join(", "));
  assert.deepEqual(missingMetricNames(used, text), []);

  // No object names as labels.
  for (const name of ["petstore", "shared-apim", appNamespace]) {
    assert.ok(!text.includes(name), `"${name}" appears in the metrics`);
  }
});

Deno.test("with the chart's metrics.secure false, metrics are plain HTTP without authentication", async () => {
  await using env = await E2eEnvironment.start();
  const operatorNamespace = await env.namespace("metrics-plain");
  const deployment = objectOf(
    await renderChart({
      release: uniqueReleaseName("plain"),
      namespace: operatorNamespace,
      kubeconfig: env.plane.kubeconfigPath,
      showOnly: ["templates/deployment.yaml"],
      values: { metrics: { secure: false } },
    }),
    "Deployment",
  );
  await using operator = startOperator({
    args: withFlags(
      env.operatorArgs({
        watchNamespaces: [operatorNamespace],
        operatorNamespace,
      }),
      { "metrics-bind-address": "127.0.0.1:0" },
    ),
    env: env.operatorEnv(operatorEnv(deployment)),
  });
  await waitForProbes(operator);
  const url = `${await metricsUrl(operator)}/metrics`;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const scraped = await scrape(url);
  assert.equal(scraped.status, 200);
  assertFamily(scraped.text, "controller_runtime_reconcile_total", "counter");
  assertFamily(scraped.text, "workqueue_depth", "gauge");
});
