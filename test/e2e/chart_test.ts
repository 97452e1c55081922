// The Helm chart against the real API server: lint, flags the operator accepts, server dry-run under the restricted
// Pod Security level, install, CRD upgrade, uninstall that keeps the CRDs, and a first install into a cluster without them.
import assert from "node:assert/strict";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1.d.ts";
import type { Deployment } from "kubernetes-types/apps/v1.d.ts";
import type { Service, ServiceAccount } from "kubernetes-types/core/v1.d.ts";
import type { PodDisruptionBudget } from "kubernetes-types/policy/v1.d.ts";
import type {
  ClusterRole,
  ClusterRoleBinding,
  Role,
} from "kubernetes-types/rbac/v1.d.ts";
import { parse } from "yaml";
import { type Config, loadConfig } from "../../src/config.ts";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import type { ControlPlane } from "../controlplane/control_plane.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../controlplane/shared.ts";
import {
  CHART_DIR,
  type ChartValues,
  copyChart,
  editChart,
  handToRelease,
  KUBE_VERSION,
  objectOf,
  objectsOf,
  operatorArgs,
  operatorEnv,
  renderChart,
  runTool,
  uniqueReleaseName,
  valuesFile,
} from "../support/helm_chart.ts";
import { installCrds } from "../support/e2e_environment.ts";
import { kubectl } from "../support/kubectl.ts";
import { waitFor } from "../support/wait.ts";

const CRD_DIR = new URL("../../deploy/crds/", import.meta.url).pathname;
const CRD_FILES = [...Deno.readDirSync(CRD_DIR)].map((e) => e.name).sort();
const APIM_SERVICE_API = "apim.operator.io/v1/APIMService";
const CLIENT_ID = "6f1c1d2e-0000-4000-8000-00000000c11e";
const TENANT_ID = "6f1c1d2e-0000-4000-8000-0000000007e7";

const WORKLOAD_IDENTITY = {
  enabled: true,
  clientID: CLIENT_ID,
  tenantID: TENANT_ID,
};
const APIM_SERVICES = [{
  name: "my-apim-service",
  resourceGroup: "my-resource-group",
  subscription: "00000000-0000-0000-0000-000000000000",
}];

/** Values like the seed README's, plus every switch that changes what is rendered. */
const CUSTOM_VALUES: ChartValues = {
  replicaCount: 1,
  image: {
    repository: "myregistry.azurecr.io/azure-apim-operator",
    tag: "v1.0.0",
    pullPolicy: "Always",
  },
  env: [
    { name: "AZURE_CLIENT_ID", value: CLIENT_ID },
    { name: "AZURE_TENANT_ID", value: TENANT_ID },
  ],
  resources: {
    limits: { cpu: "500m", memory: "512Mi" },
    requests: { cpu: "100m", memory: "128Mi" },
  },
  serviceAccount: {
    name: "azure-apim-operator",
    annotations: { "example.com/team": "platform" },
    workloadIdentity: WORKLOAD_IDENTITY,
  },
  apimServices: APIM_SERVICES,
  leaderElection: { enabled: false },
  metrics: {
    secure: false,
    serviceMonitor: { enabled: true, labels: { release: "prometheus" } },
  },
  prometheusRule: { enabled: true, labels: { release: "prometheus" } },
  grafanaDashboard: {
    enabled: true,
    annotations: { grafana_folder: "Operators" },
  },
  operator: {
    watchNamespaces: ["team-a", "team-b"],
    logLevel: "debug",
    logFormat: "text",
    armEndpoint: "https://management.example.com",
    resyncPeriod: "30m",
    workers: 2,
    adoptUnmanaged: true,
    extraArgs: ["--openapi-timeout=30s"],
  },
};

/** The values of the install test: defaults, plus workload identity and one APIM instance. */
const INSTALL_VALUES: ChartValues = {
  serviceAccount: { workloadIdentity: WORKLOAD_IDENTITY },
  apimServices: APIM_SERVICES,
};

async function kubeconfig(): Promise<string> {
  return (await sharedControlPlane()).kubeconfigPath;
}

/** The operator's configuration from the rendered Deployment, as the pod in `namespace` would load it. */
function configOf(deployment: GenericObject, namespace: string): Config {
  return loadConfig({
    args: operatorArgs(deployment),
    env: { ...operatorEnv(deployment), POD_NAMESPACE: namespace },
  });
}

function typed<T>(object: GenericObject): T {
  return object as unknown as T;
}

Deno.test("helm lint --strict passes with the default values and with a values file like the seed README's", async () => {
  const config = await kubeconfig();
  await using custom = await valuesFile(CUSTOM_VALUES);
  for (const values of [[], [`--values=${custom.path}`]]) {
    const out = await runTool("helm", [
      "lint",
      "--strict",
      CHART_DIR,
      `--kube-version=${KUBE_VERSION}`,
      ...values,
    ], { kubeconfig: config });
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

Deno.test("the default render runs the operator with leader election, secure metrics and the chart's ports", async () => {
  const objects = await renderChart({
    release: "azure-apim-operator",
    namespace: "apim-operator",
    kubeconfig: await kubeconfig(),
  });
  const deployment = objectOf(objects, "Deployment");
  const config = configOf(deployment, "apim-operator");
  assert.equal(config.leaderElect, true);
  assert.equal(config.leaderElectionId, "azure-apim-operator");
  assert.equal(config.leaderElectionNamespace, "apim-operator");
  assert.equal(config.operatorNamespace, "apim-operator");
  assert.deepEqual(config.healthProbeAddress, {
    hostname: "0.0.0.0",
    port: 8081,
  });
  assert.deepEqual(config.metricsAddress, { hostname: "0.0.0.0", port: 8443 });
  assert.equal(config.metricsSecure, true);
  assert.equal(config.metricsCertDir, undefined);
  assert.deepEqual(config.watchNamespaces, []);
  assert.equal(config.azureCloud, "AzureCloud");
  assert.equal(config.armEndpoint, undefined);
  assert.equal(config.apiVersion, "2024-05-01");
  assert.equal(config.adoptUnmanaged, false);

  // The seed's release name gives the seed's ServiceAccount name.
  const sa = typed<ServiceAccount>(objectOf(objects, "ServiceAccount"));
  assert.equal(sa.metadata?.name, "azure-apim-operator");
  const pod = typed<Deployment>(deployment).spec?.template;
  assert.equal(pod?.spec?.serviceAccountName, "azure-apim-operator");
  assert.equal(pod?.metadata?.labels?.["azure.workload.identity/use"], "true");
  assert.equal(typed<Deployment>(deployment).spec?.replicas, 2);
  assert.equal(
    typed<PodDisruptionBudget>(objectOf(objects, "PodDisruptionBudget")).spec
      ?.minAvailable,
    1,
  );
  // The secure metrics listener reviews tokens; a Prometheus is bound to the reader role.
  const role = typed<ClusterRole>(
    objectOf(objects, "ClusterRole", "azure-apim-operator"),
  );
  assert.ok(
    role.rules?.some((r) => r.resources?.includes("tokenreviews")),
    "tokenreviews",
  );
  assert.deepEqual(
    typed<ClusterRole>(
      objectOf(objects, "ClusterRole", "azure-apim-operator-metrics-reader"),
    ).rules,
    [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }],
  );
  // Only the leader-election Lease of this release may be read and renewed.
  const leases = typed<Role>(objectOf(objects, "Role")).rules ?? [];
  assert.deepEqual(
    leases.map((r) => [r.resources, r.resourceNames, r.verbs]),
    [[["leases"], undefined, ["create"]], [["leases"], [
      "azure-apim-operator",
    ], ["get", "update"]]],
  );
  assert.deepEqual(objectsOf(objects, "ServiceMonitor"), []);
  assert.deepEqual(objectsOf(objects, "PrometheusRule"), []);
  assert.deepEqual(objectsOf(objects, "ConfigMap"), []);
  assert.deepEqual(objectsOf(objects, "APIMService"), []);
});

Deno.test("a render with non-default values runs the operator with exactly those settings", async () => {
  const objects = await renderChart({
    release: "azure-apim-operator",
    namespace: "apim-operator",
    kubeconfig: await kubeconfig(),
    values: CUSTOM_VALUES,
    apiVersions: [APIM_SERVICE_API],
  });
  const deployment = objectOf(objects, "Deployment");
  const config = configOf(deployment, "apim-operator");
  assert.equal(config.leaderElect, false);
  assert.equal(config.metricsSecure, false);
  assert.deepEqual(config.watchNamespaces, ["team-a", "team-b"]);
  assert.equal(config.logLevel, "debug");
  assert.equal(config.logFormat, "text");
  assert.equal(config.armEndpoint, "https://management.example.com");
  assert.equal(config.resyncPeriodMs, 30 * 60_000);
  assert.equal(config.workers, 2);
  assert.equal(config.adoptUnmanaged, true);
  assert.equal(config.openApiTimeoutMs, 30_000);

  const spec = typed<Deployment>(deployment).spec;
  assert.equal(spec?.replicas, 1);
  const container = spec?.template.spec?.containers[0];
  assert.equal(
    container?.image,
    "myregistry.azurecr.io/azure-apim-operator:v1.0.0",
  );
  assert.equal(container?.imagePullPolicy, "Always");
  assert.deepEqual(container?.resources, CUSTOM_VALUES["resources"]);
  assert.deepEqual(
    container?.env?.filter((e) => e.name.startsWith("AZURE_")),
    CUSTOM_VALUES["env"],
  );
  assert.deepEqual(objectsOf(objects, "PodDisruptionBudget"), []);
  assert.deepEqual(objectsOf(objects, "Role"), [], "no leader election");

  const sa = typed<ServiceAccount>(objectOf(objects, "ServiceAccount"));
  assert.equal(sa.metadata?.name, "azure-apim-operator");
  assert.deepEqual(sa.metadata?.annotations, {
    "example.com/team": "platform",
    "azure.workload.identity/client-id": CLIENT_ID,
    "azure.workload.identity/tenant-id": TENANT_ID,
  });
  // Plain-HTTP metrics need no token reviews.
  const role = typed<ClusterRole>(
    objectOf(objects, "ClusterRole", "azure-apim-operator"),
  );
  assert.ok(!role.rules?.some((r) => r.resources?.includes("tokenreviews")));

  const monitor = objectOf(objects, "ServiceMonitor");
  assert.equal(monitor.metadata?.labels?.["release"], "prometheus");
  assert.deepEqual(
    (monitor["spec"] as { endpoints: unknown[] }).endpoints,
    [{ port: "metrics", path: "/metrics", interval: "30s", scheme: "http" }],
  );
  const service = objectOf(objects, "APIMService");
  assert.deepEqual(service["spec"], APIM_SERVICES[0]);

  const rule = objectOf(objects, "PrometheusRule");
  assert.equal(rule.metadata?.labels?.["release"], "prometheus");
  // The Grafana sidecar's label and folder annotation, and the dashboard's JSON.
  const dashboard = objectOf(objects, "ConfigMap");
  assert.equal(dashboard.metadata?.labels?.["grafana_dashboard"], "1");
  assert.equal(
    dashboard.metadata?.annotations?.["grafana_folder"],
    "Operators",
  );
  const json = (dashboard["data"] as Record<string, string>)[
    "azure-apim-operator.json"
  ];
  assert.equal(JSON.parse(json ?? "{}").uid, "azure-apim-operator");
});

Deno.test("metrics.certSecret mounts the Secret and serves its certificate, which the ServiceMonitor can verify", async () => {
  const tlsConfig = {
    serverName: "azure-apim-operator-metrics.apim-operator.svc",
  };
  const objects = await renderChart({
    release: "azure-apim-operator",
    namespace: "apim-operator",
    kubeconfig: await kubeconfig(),
    values: {
      metrics: {
        certSecret: "operator-metrics-tls",
        serviceMonitor: { enabled: true, tlsConfig },
      },
    },
  });
  const deployment = objectOf(objects, "Deployment");
  const dir = configOf(deployment, "apim-operator").metricsCertDir;
  assert.ok(dir);
  const pod = typed<Deployment>(deployment).spec?.template.spec;
  const volume = pod?.volumes?.find((v) =>
    v.secret?.secretName === "operator-metrics-tls"
  );
  assert.ok(volume, "a volume of the Secret");
  assert.deepEqual(
    pod?.containers[0]?.volumeMounts?.find((m) => m.name === volume.name),
    { name: volume.name, mountPath: dir, readOnly: true },
  );
  const monitor = objectOf(objects, "ServiceMonitor");
  assert.deepEqual(
    (monitor["spec"] as { endpoints: unknown[] }).endpoints,
    [{
      port: "metrics",
      path: "/metrics",
      interval: "30s",
      scheme: "https",
      bearerTokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
      tlsConfig,
    }],
  );
});

Deno.test("the chart refuses several replicas without leader election", async () => {
  await using values = await valuesFile({
    replicaCount: 2,
    leaderElection: { enabled: false },
  });
  const result = await runTool("helm", [
    "template",
    "r",
    CHART_DIR,
    `--kube-version=${KUBE_VERSION}`,
    `--values=${values.path}`,
  ], { kubeconfig: await kubeconfig() }).then(
    () => "",
    (e: Error) => e.message,
  );
  assert.match(result, /replicaCount > 1 needs leaderElection\.enabled/);
});

Deno.test("the rendered CRDs are deploy/crds with the keep policy and the release's labels", async () => {
  const rendered = objectsOf(
    await renderChart({
      release: "azure-apim-operator",
      namespace: "apim-operator",
      kubeconfig: await kubeconfig(),
      showOnly: ["templates/crds.yaml"],
    }),
    "CustomResourceDefinition",
  );
  assert.equal(rendered.length, CRD_FILES.length);
  for (const file of CRD_FILES) {
    const source: CustomResourceDefinition = parse(
      await Deno.readTextFile(`${CRD_DIR}${file}`),
    );
    const crd = typed<CustomResourceDefinition>(
      objectOf(rendered, "CustomResourceDefinition", source.metadata?.name),
    );
    assert.deepEqual(crd.spec, source.spec, file);
    assert.equal(
      crd.metadata?.annotations?.["helm.sh/resource-policy"],
      "keep",
    );
    assert.equal(
      crd.metadata?.labels?.["app.kubernetes.io/managed-by"],
      "Helm",
    );
  }
});

/** A fresh namespace where the restricted Pod Security level is enforced (and warned about). */
async function restrictedNamespace(
  plane: ControlPlane,
  prefix: string,
): Promise<string> {
  const { name } = await createTestNamespace(plane, prefix);
  await runTool("kubectl", [
    "label",
    "namespace",
    name,
    "pod-security.kubernetes.io/enforce=restricted",
    "pod-security.kubernetes.io/warn=restricted",
  ], { kubeconfig: plane.kubeconfigPath });
  return name;
}

Deno.test("the API server accepts the rendered manifests in a dry run, with default and non-default values, under the restricted Pod Security level", async () => {
  const plane = await sharedControlPlane();
  await installCrds(plane);
  for (const values of [{}, CUSTOM_VALUES]) {
    const namespace = await restrictedNamespace(plane, "chart-dry-run");
    const objects = await renderChart({
      release: uniqueReleaseName("dry"),
      namespace,
      kubeconfig: plane.kubeconfigPath,
      values,
      apiVersions: [APIM_SERVICE_API],
    });
    // No Prometheus operator here: its ServiceMonitor and PrometheusRule kinds are unknown to this API server.
    const manifests = objects.filter((o) =>
      o.kind !== "ServiceMonitor" && o.kind !== "PrometheusRule"
    );
    const result = await kubectl([
      "apply",
      "--dry-run=server",
      "-f",
      "-",
    ], {
      kubeconfig: plane.kubeconfigPath,
      stdin: manifests.map((o) => JSON.stringify(o)).join("\n---\n"),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /violate PodSecurity/);
    for (const object of manifests) {
      assert.match(
        result.stdout,
        new RegExp(
          `\\b${object.metadata?.name} (created|configured|unchanged|serverside-applied) \\(server dry run\\)`,
        ),
        `${object.kind} ${object.metadata?.name}`,
      );
    }
  }
});

/** The names of our CRDs, as `kubectl` arguments. */
function crdNames(group = "apim.operator.io"): string[] {
  return [...Deno.readDirSync(CRD_DIR)].map((e) =>
    `customresourcedefinition/${
      e.name.replace(/^[^_]+_|\.yaml$/g, "")
    }.${group}`
  ).sort();
}

/**
 * Hands the existing CRDs to `release` (what a user does after `kubectl apply -f deploy/crds/`):
 * Helm adopts objects that carry its ownership label and annotations.
 */
async function adoptCrds(
  plane: ControlPlane,
  release: string,
  namespace: string,
): Promise<void> {
  await installCrds(plane);
  await handToRelease(plane.kubeconfigPath, crdNames(), release, namespace);
}

/** GETs `path` as the admin; undefined on 404. */
async function read<T>(
  plane: ControlPlane,
  path: string,
): Promise<T | undefined> {
  const response = await plane.request("GET", path);
  if (response.status === 404) return undefined;
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as T;
}

/** `helm <command> <release> <chart>` with a values file, in `namespace`. */
async function helmRelease(
  plane: ControlPlane,
  command: "install" | "upgrade",
  release: string,
  chart: string,
  namespace: string,
  values: ChartValues,
): Promise<string> {
  await using file = await valuesFile(values);
  return await runTool("helm", [
    command,
    release,
    chart,
    `--namespace=${namespace}`,
    `--values=${file.path}`,
  ], { kubeconfig: plane.kubeconfigPath });
}

/** Deletes what a failed test left of `release` that outlives its namespace. */
async function deleteClusterRoles(
  plane: ControlPlane,
  release: string,
): Promise<void> {
  await kubectl([
    "delete",
    "clusterrole,clusterrolebinding",
    "-l",
    `app.kubernetes.io/instance=${release}`,
  ], { kubeconfig: plane.kubeconfigPath });
}

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const MARKER = "Changed by the chart upgrade test.";

/** The description of `apiVersion` in the APIMTag schema (the upgrade test adds one). */
async function tagApiVersionDescription(
  plane: ControlPlane,
): Promise<string | undefined> {
  const crd = await read<CustomResourceDefinition>(
    plane,
    `${CRD_PATH}/apimtags.apim.operator.io`,
  );
  return crd?.spec.versions[0]?.schema?.openAPIV3Schema?.properties
    ?.["apiVersion"]?.description;
}

Deno.test("helm install creates the operator's objects, helm upgrade upgrades the CRDs, helm uninstall keeps them", async () => {
  const plane = await sharedControlPlane();
  const namespace = await restrictedNamespace(plane, "chart-install");
  const release = uniqueReleaseName("apim");
  const fullname = `${release}-azure-apim-operator`;
  await adoptCrds(plane, release, namespace);
  // No --wait: there is no kubelet, nothing becomes Ready.
  await helmRelease(
    plane,
    "install",
    release,
    CHART_DIR,
    namespace,
    INSTALL_VALUES,
  );
  let installed = true;
  try {
    const ns = `/api/v1/namespaces/${namespace}`;
    const apps = `/apis/apps/v1/namespaces/${namespace}`;
    const rbac = "/apis/rbac.authorization.k8s.io/v1";

    const deployment = await read<Deployment>(
      plane,
      `${apps}/deployments/${fullname}`,
    );
    assert.ok(deployment);
    const config = configOf(deployment as GenericObject, namespace);
    assert.equal(config.leaderElect, true);
    assert.equal(config.leaderElectionId, fullname);
    assert.equal(config.metricsSecure, true);
    const pod = deployment.spec?.template;
    const container = pod?.spec?.containers.find((c) => c.name === "operator");
    assert.ok(container);
    const port = (name: string) =>
      container.ports?.find((p) => p.name === name)?.containerPort;
    assert.equal(port("health"), config.healthProbeAddress?.port);
    assert.equal(port("metrics"), config.metricsAddress?.port);
    assert.deepEqual(
      [
        container.livenessProbe?.httpGet?.path,
        container.livenessProbe?.httpGet?.port,
      ],
      ["/healthz", "health"],
    );
    assert.deepEqual(
      [
        container.readinessProbe?.httpGet?.path,
        container.readinessProbe?.httpGet?.port,
      ],
      ["/readyz", "health"],
    );
    assert.equal(pod?.spec?.securityContext?.runAsNonRoot, true);
    assert.equal(
      pod?.spec?.securityContext?.seccompProfile?.type,
      "RuntimeDefault",
    );
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ["ALL"]);
    assert.equal(
      pod?.metadata?.labels?.["azure.workload.identity/use"],
      "true",
    );
    assert.equal(pod?.spec?.serviceAccountName, fullname);

    // The ReplicaSet controller creates the pods: the restricted level admits them.
    await waitFor(async () => {
      const pods = await read<{ items: unknown[] }>(
        plane,
        `${ns}/pods?labelSelector=app.kubernetes.io/instance%3D${release}`,
      );
      return pods?.items.length === deployment.spec?.replicas
        ? true
        : undefined;
    }, { description: "the operator's pods to be created" });

    const sa = await read<ServiceAccount>(
      plane,
      `${ns}/serviceaccounts/${fullname}`,
    );
    assert.equal(
      sa?.metadata?.annotations?.["azure.workload.identity/client-id"],
      CLIENT_ID,
    );
    assert.equal(
      sa?.metadata?.annotations?.["azure.workload.identity/tenant-id"],
      TENANT_ID,
    );

    const binding = await read<ClusterRoleBinding>(
      plane,
      `${rbac}/clusterrolebindings/${fullname}`,
    );
    assert.deepEqual(binding?.subjects, [{
      kind: "ServiceAccount",
      name: fullname,
      namespace,
    }]);
    assert.equal(binding?.roleRef.name, fullname);
    const role = await read<ClusterRole>(
      plane,
      `${rbac}/clusterroles/${fullname}`,
    );
    assert.ok(role?.rules?.some((r) => r.resources?.includes("apimapis")));
    assert.ok(
      await read<ClusterRole>(
        plane,
        `${rbac}/clusterroles/${fullname}-metrics-reader`,
      ),
    );
    const leaderRole = await read<Role>(
      plane,
      `${rbac}/namespaces/${namespace}/roles/${fullname}-leader-election`,
    );
    assert.ok(
      leaderRole?.rules?.some((r) =>
        r.resourceNames?.includes(config.leaderElectionId)
      ),
    );
    assert.ok(
      await read(
        plane,
        `${rbac}/namespaces/${namespace}/rolebindings/${fullname}-leader-election`,
      ),
    );

    const service = await read<Service>(
      plane,
      `${ns}/services/${fullname}-metrics`,
    );
    assert.deepEqual(
      service?.spec?.ports?.map((p) => [p.port, p.targetPort]),
      [[config.metricsAddress?.port, "metrics"]],
    );
    for (const [key, value] of Object.entries(service?.spec?.selector ?? {})) {
      assert.equal(pod?.metadata?.labels?.[key], value, `selector ${key}`);
    }
    assert.ok(
      await read(
        plane,
        `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${fullname}`,
      ),
    );

    for (const name of crdNames()) {
      const crd = await read<CustomResourceDefinition>(
        plane,
        `${CRD_PATH}/${name.split("/")[1]}`,
      );
      assert.equal(
        crd?.metadata?.annotations?.["helm.sh/resource-policy"],
        "keep",
        name,
      );
      assert.equal(
        crd?.metadata?.annotations?.["meta.helm.sh/release-name"],
        release,
        name,
      );
    }
    const apimService = await read<GenericObject>(
      plane,
      `/apis/apim.operator.io/v1/namespaces/${namespace}/apimservices/my-apim-service`,
    );
    assert.deepEqual(apimService?.["spec"], APIM_SERVICES[0]);

    // An upgrade to a chart whose CRD changed changes the CRD in the cluster (a crds/ folder would not).
    assert.equal(await tagApiVersionDescription(plane), undefined);
    {
      await using changed = await copyChart();
      const edited = await editChart(
        changed.path,
        (file, text) =>
          file === "files/crds/apim.operator.io_apimtags.yaml"
            ? text.replace(
              "apiVersion: { type: string }",
              `apiVersion: { type: string, description: "${MARKER}" }`,
            )
            : text,
      );
      assert.deepEqual(edited, ["files/crds/apim.operator.io_apimtags.yaml"]);
      await helmRelease(
        plane,
        "upgrade",
        release,
        changed.path,
        namespace,
        INSTALL_VALUES,
      );
    }
    assert.equal(await tagApiVersionDescription(plane), MARKER);
    // And back, so that the CRDs other tests share are deploy/crds again.
    await helmRelease(
      plane,
      "upgrade",
      release,
      CHART_DIR,
      namespace,
      INSTALL_VALUES,
    );
    assert.equal(await tagApiVersionDescription(plane), undefined);

    await runTool("helm", ["uninstall", release, `--namespace=${namespace}`], {
      kubeconfig: plane.kubeconfigPath,
    });
    installed = false;
    assert.equal(
      await read(plane, `${apps}/deployments/${fullname}`),
      undefined,
    );
    assert.equal(
      await read(plane, `${rbac}/clusterroles/${fullname}`),
      undefined,
    );
    for (const name of crdNames()) {
      assert.ok(
        await read(plane, `${CRD_PATH}/${name.split("/")[1]}`),
        `${name} is kept`,
      );
    }
  } finally {
    if (installed) await deleteClusterRoles(plane, release);
  }
});

Deno.test("a first install into a cluster without the CRDs succeeds, and the next upgrade creates the apimServices", async () => {
  const plane = await sharedControlPlane();
  const namespace = await restrictedNamespace(plane, "chart-fresh");
  const release = uniqueReleaseName("fresh");
  // A copy of the chart with its own API group stands for a cluster that has never seen the CRDs.
  const group = `${release}.apim-test.example.com`;
  await using chart = await copyChart();
  await editChart(
    chart.path,
    (_, text) => text.replaceAll("apim.operator.io", group),
  );
  try {
    const notes = await helmRelease(
      plane,
      "install",
      release,
      chart.path,
      namespace,
      INSTALL_VALUES,
    );
    assert.match(notes, /APIMServices of `apimServices` were not created yet/);
    const services = `/apis/${group}/v1/namespaces/${namespace}/apimservices`;
    // A new kind's storage answers 429 for a moment after the CRD is established.
    const listed = await waitFor(
      () => read<{ items: unknown[] }>(plane, services),
      { description: "the new kind to be listed" },
    );
    assert.deepEqual(listed.items, []);

    const upgraded = await helmRelease(
      plane,
      "upgrade",
      release,
      chart.path,
      namespace,
      INSTALL_VALUES,
    );
    assert.doesNotMatch(upgraded, /were not created yet/);
    const created = await read<GenericObject>(
      plane,
      `${services}/my-apim-service`,
    );
    assert.equal(
      (created?.["spec"] as { resourceGroup?: string }).resourceGroup,
      "my-resource-group",
    );
    await runTool("helm", ["uninstall", release, `--namespace=${namespace}`], {
      kubeconfig: plane.kubeconfigPath,
    });
  } finally {
    await kubectl(["delete", "--ignore-not-found", ...crdNames(group)], {
      kubeconfig: plane.kubeconfigPath,
    });
    await deleteClusterRoles(plane, release);
  }
});
