// The world an end-to-end test runs in: the real kube-apiserver, our CRDs, both simulators, and the operator process.
import {
  apimApiDeployments,
  apimApis,
  apimApiVersionSets,
  apimInboundPolicies,
  apimProducts,
  apimServices,
  apimTags,
} from "../../src/crd/resources.ts";
import {
  ingresses,
  pods,
  replicaSets,
} from "../../src/kube/builtin_resources.ts";
import { KubeClient } from "../../src/kube/kube_client.ts";
import {
  decodeGenericObject,
  type GenericObject,
} from "../../src/kube/kube_object.ts";
import { loadConnection } from "../../src/kube/load_connection.ts";
import type { ResourceDescriptor } from "../../src/kube/resource.ts";
import { ResourceApi } from "../../src/kube/resource_api.ts";
import type { ControlPlane } from "../controlplane/control_plane.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../controlplane/shared.ts";
import {
  type ApimKnobs,
  type ApimSimulator,
  type ServiceHandle,
  startApimSimulator,
} from "../sim/apim_simulator.ts";
import {
  type EntraSimulator,
  startEntraSimulator,
} from "../sim/entra_simulator.ts";
import { kubectl } from "./kubectl.ts";
import { OperatorProcess, startOperator } from "./operator_process.ts";
import { loadTestTls, type TestTls } from "./test_tls.ts";
import { waitFor } from "./wait.ts";
import { deployments } from "./workload.ts";

export const TENANT_ID = "8c3dad1d-b6bc-4f8b-939b-8263372eced6";
export const CLIENT_ID = "0b1e3c57-59d4-4b0b-9c0e-3f1ad0b0f00d";
export const CLIENT_SECRET = "e2e-client-secret";
export const SUBSCRIPTION_ID = "11111111-2222-3333-4444-555555555555";
export const RESOURCE_GROUP = "rg-e2e";

const CRD_DIR = new URL("../../deploy/crds/", import.meta.url).pathname;

/**
 * Applies our CRDs (deploy/crds/) with `kubectl apply --server-side` and `extraArgs`, and waits
 * until they are served.
 */
export async function installCrds(
  plane: ControlPlane,
  extraArgs: readonly string[] = [],
): Promise<void> {
  const options = { kubeconfig: plane.kubeconfigPath, binDir: plane.binDir };
  const applied = await kubectl(
    ["apply", "--server-side", ...extraArgs, "-f", CRD_DIR],
    options,
  );
  if (applied.code !== 0) {
    throw new Error(`installing the CRDs failed: ${applied.stderr}`);
  }
  const established = await kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=60s",
    "-f",
    CRD_DIR,
  ], options);
  if (established.code !== 0) {
    throw new Error(`CRDs not established: ${established.stderr}`);
  }
}

/** Options of {@linkcode E2eEnvironment.start}. */
export interface E2eOptions {
  knobs?: Partial<ApimKnobs>;
  /** The control plane (default: the test run's shared one). */
  plane?: ControlPlane;
  /** The test CA (default: the test run's, from APIM_TEST_TLS_DIR). */
  tls?: TestTls;
  /** Install our CRDs (default true; false for a test that starts from other CRDs). */
  installCrds?: boolean;
}

/** Options of {@linkcode E2eEnvironment.operator}. */
export interface OperatorRunOptions {
  /** Namespaces the operator watches (isolates tests sharing the API server). */
  watchNamespaces: string[];
  operatorNamespace: string;
  apiVersion?: "2024-05-01" | "2022-08-01";
  extraArgs?: string[];
  extraEnv?: Record<string, string>;
}

/** Generic typed access to the kinds tests touch. */
export interface TestApis {
  apimServices: ResourceApi<GenericObject>;
  apimApis: ResourceApi<GenericObject>;
  apimApiDeployments: ResourceApi<GenericObject>;
  apimProducts: ResourceApi<GenericObject>;
  apimTags: ResourceApi<GenericObject>;
  apimApiVersionSets: ResourceApi<GenericObject>;
  apimInboundPolicies: ResourceApi<GenericObject>;
  deployments: ResourceApi<GenericObject>;
  replicaSets: ResourceApi<GenericObject>;
  pods: ResourceApi<GenericObject>;
  ingresses: ResourceApi<GenericObject>;
}

/** The simulators, a Kubernetes client, and helpers; dispose it at the end of the test. */
export class E2eEnvironment implements AsyncDisposable {
  readonly #cleanups: Array<() => Promise<void>> = [];

  private constructor(
    readonly plane: ControlPlane,
    readonly tls: TestTls,
    readonly entra: EntraSimulator,
    readonly apim: ApimSimulator,
    readonly kube: KubeClient,
    readonly apis: TestApis,
  ) {}

  /** Starts both simulators, installs the CRDs and connects to the shared control plane. */
  static async start(options: E2eOptions = {}): Promise<E2eEnvironment> {
    const plane = options.plane ?? await sharedControlPlane();
    const tls = options.tls ?? await loadTestTls();
    const entra = await startEntraSimulator({
      tls,
      tenantId: TENANT_ID,
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
    });
    const apim = await startApimSimulator({
      tls,
      verify: (header) => entra.verifyAccessToken(header),
      ...(options.knobs ? { knobs: options.knobs } : {}),
    });
    if (options.installCrds !== false) await installCrds(plane);
    const kube = new KubeClient(
      await loadConnection({ kubeconfig: plane.kubeconfigPath }),
    );
    const api = (r: ResourceDescriptor) =>
      new ResourceApi(kube, r, decodeGenericObject);
    const env = new E2eEnvironment(plane, tls, entra, apim, kube, {
      apimServices: api(apimServices),
      apimApis: api(apimApis),
      apimApiDeployments: api(apimApiDeployments),
      apimProducts: api(apimProducts),
      apimTags: api(apimTags),
      apimApiVersionSets: api(apimApiVersionSets),
      apimInboundPolicies: api(apimInboundPolicies),
      deployments: api(deployments),
      replicaSets: api(replicaSets),
      pods: api(pods),
      ingresses: api(ingresses),
    });
    return env;
  }

  /** A fresh namespace (left behind: the shared control plane is thrown away after the run). */
  async namespace(prefix: string): Promise<string> {
    return (await createTestNamespace(this.plane, prefix)).name;
  }

  /** Adds an APIM instance to the simulator and returns its handle. */
  addService(name: string, subscriptionId = SUBSCRIPTION_ID): ServiceHandle {
    return this.apim.addService({
      subscriptionId,
      resourceGroup: RESOURCE_GROUP,
      name,
    });
  }

  /** Applies manifests (YAML or JSON text, or objects) with kubectl server-side apply. */
  async apply(manifests: string | object[]): Promise<void> {
    const stdin = typeof manifests === "string"
      ? manifests
      : manifests.map((m) => JSON.stringify(m)).join("\n---\n");
    const result = await kubectl(["apply", "--server-side", "-f", "-"], {
      kubeconfig: this.plane.kubeconfigPath,
      binDir: this.plane.binDir,
      stdin,
    });
    if (result.code !== 0) {
      throw new Error(`kubectl apply failed: ${result.stderr}`);
    }
  }

  /**
   * Sends an ARM request to the APIM simulator as another client would ("in the portal"): the
   * simulator's own routes and rules, not a back door. `path` is relative to the service.
   */
  async armAsPortal(
    service: ServiceHandle,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response> {
    const url = new URL(`${service.resourceId}${path}`, this.apim.url);
    url.searchParams.set("api-version", "2024-05-01");
    return await this.apim.handle(
      new Request(url, {
        method,
        headers: {
          authorization: `Bearer ${this.entra.issueToken(CLIENT_ID)}`,
          "content-type": "application/json",
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  }

  /** The environment the operator process needs to reach the simulators. */
  operatorEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DENO_CERT: this.tls.caPath,
      NODE_EXTRA_CA_CERTS: this.tls.caPath,
      AZURE_TENANT_ID: TENANT_ID,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_CLIENT_SECRET: CLIENT_SECRET,
      ...extra,
    };
  }

  /** Flags that point the operator at this environment. */
  operatorArgs(options: OperatorRunOptions): string[] {
    return [
      `--kubeconfig=${this.plane.kubeconfigPath}`,
      `--operator-namespace=${options.operatorNamespace}`,
      `--watch-namespaces=${options.watchNamespaces.join(",")}`,
      `--arm-endpoint=${this.apim.url}`,
      `--authority-host=${this.entra.url}`,
      `--api-version=${options.apiVersion ?? "2024-05-01"}`,
      "--health-probe-bind-address=127.0.0.1:0",
      "--metrics-bind-address=0",
      "--log-level=debug",
      ...(options.extraArgs ?? []),
    ];
  }

  /** Starts an operator process for this environment; it is stopped when the environment is disposed. */
  operator(
    options: OperatorRunOptions & { echo?: boolean; entry?: string },
  ): OperatorProcess {
    const process = startOperator({
      args: this.operatorArgs(options),
      env: this.operatorEnv(options.extraEnv),
      ...(options.echo ? { echo: true } : {}),
      ...(options.entry ? { entry: options.entry } : {}),
    });
    this.#cleanups.push(async () => void await process.stop());
    return process;
  }

  /** Waits until the named object satisfies `predicate`, returning it. */
  async waitForObject(
    api: ResourceApi<GenericObject>,
    namespace: string,
    name: string,
    predicate: (object: GenericObject) => boolean,
    description: string,
    timeoutMs = 60_000,
  ): Promise<GenericObject> {
    return await waitFor(async () => {
      const object = await api.find(name, { namespace });
      if (object && predicate(object)) return object;
      // Thrown so that a timeout reports the last state seen.
      throw new Error(
        object
          ? `status is ${JSON.stringify(object["status"] ?? null)}`
          : "the object does not exist",
      );
    }, { description, timeoutMs });
  }

  /** Waits until the named object is gone. */
  async waitForGone(
    api: ResourceApi<GenericObject>,
    namespace: string,
    name: string,
    description: string,
    timeoutMs = 60_000,
  ): Promise<void> {
    await waitFor(
      async () => (await api.find(name, { namespace })) ? undefined : true,
      {
        description,
        timeoutMs,
      },
    );
  }

  /** The Events (events.k8s.io/v1) recorded about an object: `{type, reason, note}` each. */
  async eventsFor(
    namespace: string,
    name: string,
  ): Promise<RecordedEvent[]> {
    const list = await this.kube.request({
      method: "GET",
      path: `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
    }) as { items?: Array<Record<string, unknown>> };
    return (list.items ?? [])
      .filter((e) =>
        (e["regarding"] as { name?: string } | undefined)?.name === name
      )
      .map((e) => ({
        type: String(e["type"] ?? ""),
        reason: String(e["reason"] ?? ""),
        note: String(e["note"] ?? ""),
      }));
  }

  /** Waits until an Event about the object satisfies `predicate` (an Event and its status write are separate requests). */
  async waitForEvent(
    namespace: string,
    name: string,
    predicate: (event: RecordedEvent) => boolean,
    description: string,
  ): Promise<RecordedEvent> {
    return await waitFor(async () => {
      const events = await this.eventsFor(namespace, name);
      const found = events.find(predicate);
      if (found) return found;
      throw new Error(`events so far: ${JSON.stringify(events)}`);
    }, { description, timeoutMs: 60_000 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) await cleanup();
    this.kube.close();
    await this.apim.stop();
    await this.entra.stop();
  }
}

/** An Event as the tests see it. */
export interface RecordedEvent {
  type: string;
  reason: string;
  note: string;
}

/** The condition of `type` in an object's status, if any. */
export function conditionOf(
  object: GenericObject,
  type: string,
): { status: string; reason: string; message: string } | undefined {
  const status = object["status"] as {
    conditions?: Array<Record<string, string>>;
  } | undefined;
  const found = status?.conditions?.find((c) => c["type"] === type);
  return found
    ? {
      status: found["status"] ?? "",
      reason: found["reason"] ?? "",
      message: found["message"] ?? "",
    }
    : undefined;
}

/** Whether the object's Ready condition is True. */
export function isReady(object: GenericObject): boolean {
  return conditionOf(object, "Ready")?.status === "True";
}

/** A predicate: the object's Ready condition has `reason`. */
export function readyReason(
  reason: string,
): (object: GenericObject) => boolean {
  return (object) => conditionOf(object, "Ready")?.reason === reason;
}

/** Whether the object is Ready for its current spec (status.observedGeneration is its generation). */
export function isReadyAtGeneration(object: GenericObject): boolean {
  const status = object["status"] as { observedGeneration?: number };
  return isReady(object) &&
    status.observedGeneration === object.metadata?.generation;
}
