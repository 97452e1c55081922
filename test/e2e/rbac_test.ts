// The chart's RBAC, proven: the operator under the chart's ServiceAccount registers an API with no denied request,
// and each rule removed in turn breaks it.
import assert from "node:assert/strict";
import type { PolicyRule } from "kubernetes-types/rbac/v1.d.ts";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { E2eEnvironment, isReady } from "../support/e2e_environment.ts";
import {
  applyObjects,
  deleteClusterRbac,
  forbiddenLines,
  metricsCertDir,
  metricsScraper,
  metricsUrl,
  objectOf,
  operatorArgs,
  operatorEnv,
  RegistrationScenario,
  renderChart,
  uniqueReleaseName,
  waitUntilRbacEffective,
  withFlags,
} from "../support/helm_chart.ts";
import {
  type OperatorProcess,
  startOperator,
} from "../support/operator_process.ts";
import { scrape } from "../support/metrics_rbac.ts";

const TEMPLATES = [
  "templates/serviceaccount.yaml",
  "templates/rbac.yaml",
  "templates/deployment.yaml",
];

/** Changes the chart's RBAC before it is applied (to prove a rule necessary). */
type Ablation = (objects: GenericObject[]) => GenericObject[];

/** Everything the operator under the chart's identity needs, and how to tear it down. */
interface ChartedOperator extends AsyncDisposable {
  operator: OperatorProcess;
  /** The args the operator runs with: the chart's, with local addresses and a kubeconfig. */
  args: string[];
  scenario: RegistrationScenario;
  release: string;
  operatorNamespace: string;
}

/**
 * Renders the chart's ServiceAccount, RBAC and Deployment into a fresh release namespace,
 * applies the (ablated) RBAC, prepares the registration, and starts the operator with the
 * Deployment's args, authenticated by a token of the chart's ServiceAccount.
 */
async function startUnderChartRbac(
  env: E2eEnvironment,
  ablate: Ablation = (objects) => objects,
): Promise<ChartedOperator> {
  const appNamespace = await env.namespace("rbac-app");
  const operatorNamespace = await env.namespace("rbac-op");
  const release = uniqueReleaseName("rbac");
  const rendered = await renderChart({
    release,
    namespace: operatorNamespace,
    kubeconfig: env.plane.kubeconfigPath,
    showOnly: TEMPLATES,
    values: {
      operator: {
        watchNamespaces: [appNamespace, operatorNamespace],
        armEndpoint: env.apim.url,
        logLevel: "debug",
        extraArgs: [`--authority-host=${env.entra.url}`],
      },
    },
  });
  const deployment = objectOf(rendered, "Deployment");
  const rbac = ablate(rendered.filter((o) => o.kind !== "Deployment"));
  const serviceAccount = objectOf(rendered, "ServiceAccount").metadata?.name ??
    "";
  await using stack = new AsyncDisposableStack();
  stack.defer(() => deleteClusterRbac(env.plane, rbac));
  await applyObjects(env.plane.kubeconfigPath, rbac);
  await waitUntilRbacEffective(env.plane, {
    namespace: operatorNamespace,
    name: serviceAccount,
  }, rbac);
  const scenario = stack.use(
    await RegistrationScenario.create(env, appNamespace, operatorNamespace),
  );
  const certs = stack.use(await metricsCertDir(env.tls));
  const kubeconfig = await env.plane.serviceAccountKubeconfig(
    operatorNamespace,
    serviceAccount,
  );
  // In the cluster: the pod's token, POD_NAMESPACE from the downward API, the chart's ports.
  const args = withFlags(operatorArgs(deployment), {
    "kubeconfig": kubeconfig,
    "health-probe-bind-address": "127.0.0.1:0",
    "metrics-bind-address": "127.0.0.1:0",
    "metrics-cert-dir": certs.path,
  });
  const operator = stack.use(startOperator({
    args,
    env: env.operatorEnv({
      ...operatorEnv(deployment),
      POD_NAMESPACE: operatorNamespace,
    }),
  }));
  const owned = stack.move();
  return {
    operator,
    args,
    scenario,
    release,
    operatorNamespace,
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
}

function leasePath(namespace: string, release: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${release}-azure-apim-operator`;
}

Deno.test("under the chart's ServiceAccount and RBAC the operator leads, registers an API and serves secure metrics, and is never forbidden", async () => {
  await using env = await E2eEnvironment.start();
  await using charted = await startUnderChartRbac(env);
  const { operator, scenario, operatorNamespace, release } = charted;
  assert.ok(
    charted.args.includes("--leader-elect"),
    charted.args.join(" "),
  );
  assert.ok(
    charted.args.includes("--metrics-secure"),
    charted.args.join(" "),
  );

  await scenario.deployWorkload();
  await scenario.waitUntilRegistered();

  // The Lease lives in the release namespace and names this operator.
  const lease = await env.plane.request(
    "GET",
    leasePath(operatorNamespace, release),
  );
  assert.equal(lease.status, 200, JSON.stringify(lease.body));
  const holder = (lease.body as { spec?: { holderIdentity?: string } }).spec
    ?.holderIdentity;
  assert.match(String(holder), /_[0-9a-f]{8}$/);

  // Secure metrics: the operator reviews the scraper's token with its own identity.
  await using scraper = await metricsScraper(
    env.plane,
    `${release}-azure-apim-operator-metrics-reader`,
    { namespace: operatorNamespace, name: "scraper" },
  );
  const url = `${await metricsUrl(operator)}/metrics`;
  const scraped = await scrape(url, scraper.token);
  assert.equal(scraped.status, 200, scraped.text);
  assert.match(
    scraped.text,
    /^apim_registrations_total\{result="succeeded"\} 1$/m,
  );

  await operator.stop();
  const denied = forbiddenLines(operator);
  assert.deepEqual(denied, [], `denied requests:\n${denied.join("\n")}`);
});

/** Drops `verb` from every ClusterRole rule that grants it on `resource`. */
function withoutVerb(resource: string, verb: string): Ablation {
  return (objects) =>
    objects.map((object) => {
      if (object.kind !== "ClusterRole") return object;
      const rules = (object["rules"] ?? []) as PolicyRule[];
      return {
        ...object,
        rules: rules.map((rule) =>
          rule.resources?.includes(resource)
            ? { ...rule, verbs: rule.verbs.filter((v) => v !== verb) }
            : rule
        ),
      };
    });
}

/** Drops `resource` from every ClusterRole rule that names it. */
function withoutResource(resource: string): Ablation {
  return (objects) =>
    objects.map((object) => {
      if (object.kind !== "ClusterRole") return object;
      const rules = (object["rules"] ?? []) as PolicyRule[];
      return {
        ...object,
        rules: rules.map((rule) => ({
          ...rule,
          resources: rule.resources?.filter((r) => r !== resource),
        })),
      };
    });
}

/** Drops the objects of `kind`. */
function without(kind: string): Ablation {
  return (objects) => objects.filter((o) => o.kind !== kind);
}

interface Necessity {
  rule: string;
  ablate: Ablation;
  /** The denied request, as the logged error names it. */
  denied: RegExp;
  /** Drives the flow to where the rule is needed. */
  drive: (charted: ChartedOperator) => Promise<void>;
  /** What did not happen because of the denial. */
  outcome: (charted: ChartedOperator, env: E2eEnvironment) => Promise<void>;
}

const NECESSARY: Necessity[] = [{
  rule: "create on apimapideployments",
  ablate: withoutVerb("apimapideployments", "create"),
  denied:
    /"POST \/apis\/apim\.operator\.io\/v1\/namespaces\/[^/]+\/apimapideployments[^"]*" failed with 403/,
  drive: ({ scenario }) => scenario.deployWorkload(),
  outcome: async ({ scenario }) => {
    assert.equal(scenario.imported, false, "nothing was imported");
    const api = await scenario.apimApi();
    assert.ok(api && !isReady(api), "the APIMAPI is not Ready");
  },
}, {
  rule: "create on events",
  ablate: withoutVerb("events", "create"),
  denied:
    /"POST \/apis\/events\.k8s\.io\/v1\/namespaces\/[^/]+\/events[^"]*" failed with 403/,
  drive: () => Promise.resolve(),
  outcome: async ({ operatorNamespace }, env) => {
    const events = await env.plane.request(
      "GET",
      `/apis/events.k8s.io/v1/namespaces/${operatorNamespace}/events`,
    );
    assert.deepEqual(
      (events.body as { items?: unknown[] }).items,
      [],
      "no Event was written",
    );
  },
}, {
  rule: "apiminboundpolicies/status",
  ablate: withoutResource("apiminboundpolicies/status"),
  denied:
    /"PATCH \/apis\/apim\.operator\.io\/v1\/namespaces\/[^/]+\/apiminboundpolicies\/list-pets\/status[^"]*" failed with 403/,
  drive: ({ scenario }) => scenario.deployWorkload(),
  outcome: async ({ scenario }, env) => {
    const policy = await env.apis.apimInboundPolicies.find("list-pets", {
      namespace: scenario.appNamespace,
    });
    assert.equal(policy?.["status"], undefined, "the policy has no status");
  },
}, {
  rule: "the leader-election RoleBinding",
  ablate: without("RoleBinding"),
  denied:
    /"GET \/apis\/coordination\.k8s\.io\/v1\/namespaces\/[^/]+\/leases\/[^"]+" failed with 403/,
  drive: () => Promise.resolve(),
  outcome: async ({ operator, operatorNamespace, release }, env) => {
    const lease = await env.plane.request(
      "GET",
      leasePath(operatorNamespace, release),
    );
    assert.equal(lease.status, 404, "no Lease was written");
    assert.equal(
      operator.logsMatching("starting controllers").length,
      0,
      "controllers do not start without leadership",
    );
  },
}];

for (const { rule, ablate, denied, drive, outcome } of NECESSARY) {
  Deno.test(`without ${rule} in the chart's RBAC the operator is forbidden and falls short`, async () => {
    await using env = await E2eEnvironment.start();
    await using charted = await startUnderChartRbac(env, ablate);
    await drive(charted);
    await charted.operator.waitForLog(
      (l) => {
        const error = String(l["error"] ?? "");
        return /forbidden/i.test(error) && denied.test(error);
      },
      `a forbidden request matching ${denied}`,
    );
    await outcome(charted, env);
  });
}
