// Helpers of the chart, RBAC and metrics e2e tests: render the Helm chart, apply what it renders, run one registration.
import assert from "node:assert/strict";
import type { PolicyRule } from "kubernetes-types/rbac/v1.d.ts";
import { parseAllDocuments } from "yaml";
import {
  decodeGenericObject,
  type GenericObject,
} from "../../src/kube/kube_object.ts";
import type { ControlPlane } from "../controlplane/control_plane.ts";
import { serviceAccountWithToken, waitUntilAllowed } from "./metrics_rbac.ts";
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import { DocumentServer, fixtureDocument } from "./document_server.ts";
import {
  conditionOf,
  type E2eEnvironment,
  isReady,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
} from "./e2e_environment.ts";
import { helm, kubectl } from "./kubectl.ts";
import type { OperatorProcess } from "./operator_process.ts";
import type { TestTls } from "./test_tls.ts";
import { waitFor } from "./wait.ts";
import { deployReadyWorkload } from "./workload.ts";

/** The chart under test. */
export const CHART_DIR =
  new URL("../../deploy/helm/azure-apim-operator", import.meta.url).pathname;

/** Our helm has no built-in cluster version (no ldflags), so offline commands are given one. */
export const KUBE_VERSION = "1.33.0";

/**
 * Lets `release` in `namespace` adopt existing objects (`kind/name` each, e.g. CRDs applied with
 * kubectl): Helm takes over objects that carry its ownership label and annotations.
 */
export async function handToRelease(
  kubeconfig: string,
  objects: readonly string[],
  release: string,
  namespace: string,
): Promise<void> {
  await runTool("kubectl", [
    "annotate",
    "--overwrite",
    ...objects,
    `meta.helm.sh/release-name=${release}`,
    `meta.helm.sh/release-namespace=${namespace}`,
  ], { kubeconfig });
  await runTool("kubectl", [
    "label",
    "--overwrite",
    ...objects,
    "app.kubernetes.io/managed-by=Helm",
  ], { kubeconfig });
}

/** Values passed to helm (written as a values file). */
export type ChartValues = Record<string, unknown>;

/** Runs the provisioned helm or kubectl; a non-zero exit throws with the command's stderr. Returns stdout. */
export async function runTool(
  tool: "helm" | "kubectl",
  args: readonly string[],
  options: { kubeconfig: string; stdin?: string },
): Promise<string> {
  const result = await (tool === "helm" ? helm : kubectl)(args, options);
  if (result.code !== 0) {
    throw new Error(
      `${tool} ${args.join(" ")} failed (${result.code}): ${result.stderr}`,
    );
  }
  return result.stdout;
}

/** A temporary values file (JSON is YAML); removed on dispose. */
export async function valuesFile(
  values: ChartValues,
): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempFile({
    prefix: "apim-chart-values-",
    suffix: ".yaml",
  });
  await Deno.writeTextFile(path, JSON.stringify(values));
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path),
  };
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory) await copyDir(source, target);
    else await Deno.copyFile(source, target);
  }
}

/** A copy of the chart in a temporary directory, to be changed by a test; removed on dispose. */
export async function copyChart(): Promise<{ path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "apim-chart-" });
  const path = `${dir}/azure-apim-operator`;
  await copyDir(CHART_DIR, path);
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Rewrites every file of the chart copy at `chartDir` through `edit`; returns the files it changed. */
export async function editChart(
  chartDir: string,
  edit: (file: string, text: string) => string,
  under = "",
): Promise<string[]> {
  const changed: string[] = [];
  for await (const entry of Deno.readDir(`${chartDir}/${under}`)) {
    const file = `${under}${entry.name}`;
    if (entry.isDirectory) {
      changed.push(...await editChart(chartDir, edit, `${file}/`));
      continue;
    }
    const text = await Deno.readTextFile(`${chartDir}/${file}`);
    const edited = edit(file, text);
    if (edited === text) continue;
    await Deno.writeTextFile(`${chartDir}/${file}`, edited);
    changed.push(file);
  }
  return changed;
}

/** Parses a multi-document YAML stream (helm output), skipping empty documents. */
export function parseManifests(text: string): GenericObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0];
    const value: unknown = doc.toJS();
    return value === null || value === undefined
      ? []
      : [decodeGenericObject(value)];
  });
}

/** Options of {@linkcode renderChart}. */
export interface RenderOptions {
  release: string;
  namespace: string;
  kubeconfig: string;
  values?: ChartValues;
  /** Templates to render, e.g. `templates/rbac.yaml`; all when omitted. */
  showOnly?: readonly string[];
  /** API versions the (offline) render assumes served, e.g. `apim.operator.io/v1/APIMService`. */
  apiVersions?: readonly string[];
  chartDir?: string;
}

/** `helm template` with the given values; the rendered objects. */
export async function renderChart(
  options: RenderOptions,
): Promise<GenericObject[]> {
  await using values = await valuesFile(options.values ?? {});
  const text = await runTool("helm", [
    "template",
    options.release,
    options.chartDir ?? CHART_DIR,
    `--namespace=${options.namespace}`,
    `--kube-version=${KUBE_VERSION}`,
    `--values=${values.path}`,
    ...(options.showOnly ?? []).map((t) => `--show-only=${t}`),
    ...(options.apiVersions ?? []).map((v) => `--api-versions=${v}`),
  ], { kubeconfig: options.kubeconfig });
  return parseManifests(text);
}

/** The rendered objects of `kind` (and `name`, when given). */
export function objectsOf(
  objects: readonly GenericObject[],
  kind: string,
  name?: string,
): GenericObject[] {
  return objects.filter((o) =>
    o.kind === kind && (name === undefined || o.metadata?.name === name)
  );
}

/** The single rendered object of `kind` (and `name`); fails when there is none or several. */
export function objectOf(
  objects: readonly GenericObject[],
  kind: string,
  name?: string,
): GenericObject {
  const found = objectsOf(objects, kind, name);
  assert.equal(
    found.length,
    1,
    `one ${kind}${name ? ` "${name}"` : ""} among ${
      objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(", ")
    }`,
  );
  return found[0]!;
}

interface Container {
  name: string;
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
}

function operatorContainer(deployment: GenericObject): Container {
  const spec = deployment["spec"] as {
    template: { spec: { containers: Container[] } };
  };
  const container = spec.template.spec.containers.find((c) =>
    c.name === "operator"
  );
  assert.ok(container, "the Deployment has an operator container");
  return container;
}

/** The args of the operator container of a rendered (or read back) Deployment. */
export function operatorArgs(deployment: GenericObject): string[] {
  return operatorContainer(deployment).args ?? [];
}

/** The operator container's environment variables with literal values (not those from the downward API). */
export function operatorEnv(deployment: GenericObject): Record<string, string> {
  return Object.fromEntries(
    (operatorContainer(deployment).env ?? []).flatMap((e) =>
      e.value === undefined ? [] : [[e.name, e.value]]
    ),
  );
}

/**
 * `args` with each flag of `flags` replacing the flag's previous occurrences (or appended):
 * `--name=value`, or a bare `--name` for `true` (boolean flags take no value).
 */
export function withFlags(
  args: readonly string[],
  flags: Record<string, string | true>,
): string[] {
  const names = new Set(Object.keys(flags));
  return [
    ...args.filter((arg) => !names.has(arg.replace(/^--([^=]+).*$/, "$1"))),
    ...Object.entries(flags).map(([name, value]) =>
      value === true ? `--${name}` : `--${name}=${value}`
    ),
  ];
}

/** A unique Helm release name (it prefixes cluster-scoped ClusterRoles, so tests never share one). */
export function uniqueReleaseName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Applies objects as the admin with server-side apply. */
export async function applyObjects(
  kubeconfig: string,
  objects: readonly object[],
): Promise<void> {
  await runTool("kubectl", ["apply", "--server-side", "-f", "-"], {
    kubeconfig,
    stdin: objects.map((o) => JSON.stringify(o)).join("\n---\n"),
  });
}

const RBAC_API = "/apis/rbac.authorization.k8s.io/v1";

/** Deletes cluster-scoped RBAC objects among `objects` (they outlive the test's namespaces). */
export async function deleteClusterRbac(
  plane: ControlPlane,
  objects: readonly GenericObject[],
): Promise<void> {
  for (const object of objects) {
    const plural = object.kind === "ClusterRole"
      ? "clusterroles"
      : object.kind === "ClusterRoleBinding"
      ? "clusterrolebindings"
      : undefined;
    if (plural) {
      await plane.request(
        "DELETE",
        `${RBAC_API}/${plural}/${object.metadata?.name}`,
      );
    }
  }
}

/**
 * A new ServiceAccount `namespace/name` bound to ClusterRole `clusterRole` (e.g. the chart's
 * metrics reader), once RBAC lets it get /metrics; its token, and disposal of the binding.
 */
export async function metricsScraper(
  plane: ControlPlane,
  clusterRole: string,
  subject: { namespace: string; name: string },
): Promise<{ token: string } & AsyncDisposable> {
  const token = await serviceAccountWithToken(
    plane,
    subject.namespace,
    subject.name,
  );
  const name = `${clusterRole}-${subject.name}`;
  await runTool("kubectl", [
    "create",
    "clusterrolebinding",
    name,
    `--clusterrole=${clusterRole}`,
    `--serviceaccount=${subject.namespace}:${subject.name}`,
  ], { kubeconfig: plane.kubeconfigPath });
  await waitUntilAllowed(
    plane,
    `system:serviceaccount:${subject.namespace}:${subject.name}`,
    [],
  );
  return {
    token,
    [Symbol.asyncDispose]: async () =>
      void await plane.request(
        "DELETE",
        `${RBAC_API}/clusterrolebindings/${name}`,
      ),
  };
}

/** One access review question, taken from a rule: the first group, resource and verb. */
function ruleProbe(rule: PolicyRule, namespace: string | undefined) {
  if (rule.nonResourceURLs) {
    return {
      nonResourceAttributes: {
        path: rule.nonResourceURLs[0],
        verb: rule.verbs[0],
      },
    };
  }
  const [resource, subresource] = (rule.resources?.[0] ?? "").split("/");
  return {
    resourceAttributes: {
      group: rule.apiGroups?.[0] ?? "",
      resource,
      ...(subresource ? { subresource } : {}),
      verb: rule.verbs[0],
      ...(rule.resourceNames ? { name: rule.resourceNames[0] } : {}),
      ...(namespace ? { namespace } : {}),
    },
  };
}

/**
 * Waits until the API server's authorizer grants ServiceAccount `namespace/name` every rule of
 * the bound roles among `objects`, asking as that ServiceAccount (SelfSubjectAccessReview with
 * its token): the RBAC cache lags behind writes, and an operator started afterwards must meet
 * no denial that the RBAC does not intend.
 */
export async function waitUntilRbacEffective(
  plane: ControlPlane,
  serviceAccount: { namespace: string; name: string },
  objects: readonly GenericObject[],
): Promise<void> {
  const token = await plane.serviceAccountToken(
    serviceAccount.namespace,
    serviceAccount.name,
  );
  const roleRef = (binding: GenericObject) => {
    const ref = binding["roleRef"] as { kind: string; name: string };
    return `${ref.kind}/${ref.name}`;
  };
  const bound = new Set(
    objects.filter((o) => o.kind?.endsWith("Binding")).map(roleRef),
  );
  const questions = objects
    .filter((o) => o.kind === "Role" || o.kind === "ClusterRole")
    .filter((role) => bound.has(`${role.kind}/${role.metadata?.name}`))
    .flatMap((role) =>
      ((role["rules"] ?? []) as PolicyRule[]).map((rule) =>
        ruleProbe(rule, role.metadata?.namespace)
      )
    );
  await waitFor(async () => {
    for (const spec of questions) {
      const review = await plane.request(
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {
          identity: { token },
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SelfSubjectAccessReview",
            spec,
          },
        },
      );
      const status = (review.body as { status?: { allowed?: boolean } })
        .status;
      if (status?.allowed !== true) {
        throw new Error(`not yet allowed: ${JSON.stringify(spec)}`);
      }
    }
    return true;
  }, {
    description:
      `the chart's RBAC to apply to ServiceAccount ${serviceAccount.namespace}/${serviceAccount.name}`,
  });
}

/** Log and output lines of the operator that report a request Kubernetes denied. */
export function forbiddenLines(operator: OperatorProcess): string[] {
  return [...operator.logs.map((l) => JSON.stringify(l)), ...operator.rawLines]
    .filter((line) =>
      /forbidden/i.test(line) || /\b(with|status|code)\W{0,3}403\b/i.test(line)
    );
}

/** The metrics URL the operator logged when it started serving. */
export async function metricsUrl(operator: OperatorProcess): Promise<string> {
  const entry = await operator.waitForLog(
    (l) =>
      l.msg === "Serving metrics" ||
      (l.msg === "Listening" && l["server"] === "metrics"),
    "the operator to serve metrics",
  );
  return String(entry["url"]);
}

/** A directory with `tls.crt` and `tls.key` (the test CA's 127.0.0.1 certificate) for `--metrics-cert-dir`. */
export async function metricsCertDir(
  tls: TestTls,
): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "apim-metrics-tls-" });
  await Deno.writeTextFile(`${path}/tls.crt`, tls.certPem);
  await Deno.writeTextFile(`${path}/tls.key`, tls.keyPem);
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

const NAME_LABEL = "app.kubernetes.io/name";
const SCENARIO_POLICY =
  '<policies><inbound><base /><rate-limit calls="5" renewal-period="60" /></inbound></policies>';
const API_NAME = "petstore";

/**
 * The registration of test/e2e/registration_test.ts, with the product and the tag managed by
 * APIMProduct and APIMTag CRs: an APIMService in the operator namespace, the rest in the app's.
 */
export class RegistrationScenario implements AsyncDisposable {
  readonly #env: E2eEnvironment;
  readonly appNamespace: string;
  readonly service: ServiceHandle;
  readonly app: DocumentServer;

  private constructor(
    env: E2eEnvironment,
    appNamespace: string,
    service: ServiceHandle,
    app: DocumentServer,
  ) {
    this.#env = env;
    this.appNamespace = appNamespace;
    this.service = service;
    this.app = app;
  }

  /** Adds the APIM instance to the simulator, starts the app's document server, applies the CRs. */
  static async create(
    env: E2eEnvironment,
    appNamespace: string,
    operatorNamespace: string,
  ): Promise<RegistrationScenario> {
    const service = env.addService("apim-chart");
    const app = new DocumentServer({
      kind: "document",
      body: await fixtureDocument("petstore.json"),
      contentType: "application/json",
    });
    const cr = (
      kind: string,
      namespace: string,
      name: string,
      spec: object,
    ) => ({
      apiVersion: "apim.operator.io/v1",
      kind,
      metadata: { name, namespace },
      spec,
    });
    const ref = { apimService: "shared-apim" };
    await env.apply([
      cr("APIMService", operatorNamespace, "shared-apim", {
        name: "apim-chart",
        resourceGroup: RESOURCE_GROUP,
        subscription: SUBSCRIPTION_ID,
      }),
      cr("APIMProduct", appNamespace, "starter", {
        ...ref,
        productID: "starter",
        displayName: "Starter",
        published: true,
      }),
      cr("APIMTag", appNamespace, "backend", {
        ...ref,
        tagID: "backend",
        displayName: "Backend",
      }),
      cr("APIMAPIVersionSet", appNamespace, API_NAME, {
        ...ref,
        displayName: "Pets",
      }),
      cr("APIMAPI", appNamespace, API_NAME, {
        ...ref,
        APIID: API_NAME,
        serviceUrl: app.url,
        routePrefix: "/pets",
        openApiDefinitionUrl: "/swagger.json",
        productIds: ["starter"],
        tagIds: ["backend"],
        versionSet: API_NAME,
        apiVersion: "v1",
        policy: { policyContent: SCENARIO_POLICY },
      }),
      cr("APIMInboundPolicy", appNamespace, "list-pets", {
        ...ref,
        apiId: API_NAME,
        operationId: "listPets",
        policyContent: SCENARIO_POLICY,
      }),
    ]);
    return new RegistrationScenario(env, appNamespace, service, app);
  }

  /** Rolls out the app's Deployment and plays the kubelet until it is ready. */
  async deployWorkload(): Promise<void> {
    await deployReadyWorkload(this.#env, this.appNamespace, API_NAME, {
      [NAME_LABEL]: API_NAME,
    });
  }

  /** Whether API Management holds the API. */
  get imported(): boolean {
    return this.service.api(API_NAME) !== undefined;
  }

  /** The APIMAPI as the API server has it now. */
  async apimApi(): Promise<GenericObject | undefined> {
    return await this.#env.apis.apimApis.find(API_NAME, {
      namespace: this.appNamespace,
    });
  }

  /** Waits for the whole outcome: API Ready and held with its links, product and tag Ready, record deleted. */
  async waitUntilRegistered(): Promise<void> {
    const env = this.#env;
    const ns = this.appNamespace;
    const api = await env.waitForObject(
      env.apis.apimApis,
      ns,
      API_NAME,
      isReady,
      `APIMAPI ${API_NAME} to become Ready`,
    );
    assert.equal((api["status"] as Record<string, unknown>)["status"], "OK");
    const held = this.service.api(API_NAME);
    assert.ok(held, "API Management holds the API");
    assert.equal(
      held.revisions.find((r) => r.isCurrent)?.properties.serviceUrl,
      this.app.url,
    );
    assert.deepEqual(held.productIds, ["starter"]);
    assert.deepEqual(held.tagIds, ["backend"]);
    await env.waitForObject(
      env.apis.apimProducts,
      ns,
      "starter",
      isReady,
      "APIMProduct starter to become Ready",
    );
    await env.waitForObject(
      env.apis.apimTags,
      ns,
      "backend",
      isReady,
      "APIMTag backend to become Ready",
    );
    assert.equal(this.service.product("starter")?.displayName, "Starter");
    assert.equal(this.service.tag("backend")?.displayName, "Backend");
    // The version set it joined, its inline policy and its operation's policy.
    await env.waitForObject(
      env.apis.apimApiVersionSets,
      ns,
      API_NAME,
      isReady,
      "APIMAPIVersionSet to become Ready",
    );
    assert.equal(
      held.revisions.find((r) => r.isCurrent)?.properties.apiVersion,
      "v1",
    );
    await env.waitForObject(
      env.apis.apimApis,
      ns,
      API_NAME,
      (a) => conditionOf(a, "PolicyApplied")?.status === "True",
      "the inline policy applied",
    );
    await env.waitForObject(
      env.apis.apimInboundPolicies,
      ns,
      "list-pets",
      isReady,
      "the operation policy applied",
    );
    assert.match(
      this.service.currentRevision(API_NAME)?.policy ?? "",
      /rate-limit/,
    );
    assert.match(
      this.service.operationPolicy(API_NAME, "listPets") ?? "",
      /rate-limit/,
    );
    await env.waitForGone(
      env.apis.apimApiDeployments,
      ns,
      API_NAME,
      "the APIMAPIDeployment to be deleted after success",
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.app[Symbol.asyncDispose]();
  }
}
