// One schedule's world: fresh namespaces and simulators, the apps' document server, the kube proxy and the operator replicas.
import {
  apimApis,
  apimProducts,
  apimServices,
  apimTags,
} from "../../src/crd/resources.ts";
import { pods, replicaSets } from "../../src/kube/builtin_resources.ts";
import {
  decodeGenericObject,
  type GenericObject,
} from "../../src/kube/kube_object.ts";
import type { ResourceDescriptor } from "../../src/kube/resource.ts";
import { ResourceApi } from "../../src/kube/resource_api.ts";
import {
  type ApimSimulator,
  type ServiceHandle,
  startApimSimulator,
} from "../../test/sim/apim_simulator.ts";
import {
  type EntraSimulator,
  startEntraSimulator,
} from "../../test/sim/entra_simulator.ts";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
  TENANT_ID,
} from "../../test/support/e2e_environment.ts";
import { startOperator } from "../../test/support/operator_process.ts";
import { deployments } from "../../test/support/workload.ts";
import type { ScheduleConfig } from "../schedule/actions.ts";
import type { ChaosCluster } from "./cluster.ts";
import { AppDocumentServer } from "./document_server.ts";
import { KubeProxy } from "./kube_proxy.ts";
import { LeaseControl } from "./lease.ts";
import { OperatorFleet } from "./operators.ts";
import { Workloads } from "./workloads.ts";

/** Import timing of the simulator outside slow-import faults: done 2.5 s after the PUT. */
export const BASE_IMPORT_MS = 2_500;
/** The operator's drift check period: short, so that portal edits are repaired within a schedule. */
export const RESYNC_PERIOD = "8s";
/** Longer than any simulated import, shorter than the longest operator outage. */
export const IMPORT_BUDGET = "10s";
/** The Lease the replicas contend for. */
export const LEASE_NAME = "chaos-operator";
/**
 * Waits shortened for chaos, passed only to an operator whose configuration knows the flag (newer
 * operators wait this long for a write whose answer was lost before sending it again).
 */
const OPTIONAL_FLAGS = ["--unconfirmed-write-wait=5s"];
const OPERATOR_CONFIG = new URL("../../src/config.ts", import.meta.url);

/** The optional flags the operator in this checkout accepts (its src/config.ts names them). */
async function supportedOptionalFlags(): Promise<string[]> {
  const config = await Deno.readTextFile(OPERATOR_CONFIG);
  return OPTIONAL_FLAGS.filter((flag) => {
    const name = flag.slice(2).split("=")[0] ?? "";
    return config.includes(`"${name}"`);
  });
}

/** Typed access to the kinds the runner reads and writes. */
export interface WorldApis {
  apimServices: ResourceApi<GenericObject>;
  apimApis: ResourceApi<GenericObject>;
  apimProducts: ResourceApi<GenericObject>;
  apimTags: ResourceApi<GenericObject>;
  deployments: ResourceApi<GenericObject>;
  replicaSets: ResourceApi<GenericObject>;
  pods: ResourceApi<GenericObject>;
}

/** Everything one schedule runs against. */
export class ScheduleWorld implements AsyncDisposable {
  readonly #cleanups: Array<() => Promise<void>> = [];

  private constructor(
    readonly cluster: ChaosCluster,
    readonly config: ScheduleConfig,
    /** Namespace of the apps, APIMAPIs, products and tags. */
    readonly namespace: string,
    /** The operator's namespace: the APIMService and the Lease. */
    readonly operatorNamespace: string,
    readonly entra: EntraSimulator,
    readonly apim: ApimSimulator,
    readonly service: ServiceHandle,
    readonly documents: AppDocumentServer,
    readonly proxy: KubeProxy,
    readonly apis: WorldApis,
    readonly workloads: Workloads,
    readonly lease: LeaseControl,
    readonly fleet: OperatorFleet,
  ) {}

  /** Creates namespaces, simulators, the document server, the proxy, and (not yet started) replicas. */
  static async create(
    cluster: ChaosCluster,
    config: ScheduleConfig,
  ): Promise<ScheduleWorld> {
    const cleanups: Array<() => Promise<void>> = [];
    try {
      const namespace = await cluster.namespace(`chaos-${config.seed}`);
      const operatorNamespace = await cluster.namespace(
        `chaos-${config.seed}-op`,
      );
      const entra = await startEntraSimulator({
        tls: cluster.tls,
        tenantId: TENANT_ID,
        clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
      });
      cleanups.push(() => entra.stop());
      const apim = await startApimSimulator({
        tls: cluster.tls,
        verify: (header) => entra.verifyAccessToken(header),
        knobs: {
          importPolls: 1_000_000,
          importDurationMs: BASE_IMPORT_MS,
          // 2024-05-01 deletes APIs asynchronously (recorded: aso-20240501#77).
          asyncDelete: true,
        },
      });
      cleanups.push(() => apim.stop());
      const service = apim.addService({
        subscriptionId: SUBSCRIPTION_ID,
        resourceGroup: RESOURCE_GROUP,
        name: `apim-chaos-${config.seed}`,
      });
      const documents = new AppDocumentServer();
      cleanups.push(() => documents[Symbol.asyncDispose]());
      const proxyDir = await Deno.makeTempDir({
        dir: cluster.workDir,
        prefix: "proxy-",
      });
      const proxy = await KubeProxy.start(
        {
          server: cluster.plane.server,
          connect: () => cluster.plane.httpClient(cluster.plane.admin),
        },
        cluster.tls,
        proxyDir,
      );
      cleanups.push(() => proxy[Symbol.asyncDispose]());
      const api = (r: ResourceDescriptor) =>
        new ResourceApi(cluster.kube, r, decodeGenericObject);
      const apis: WorldApis = {
        apimServices: api(apimServices),
        apimApis: api(apimApis),
        apimProducts: api(apimProducts),
        apimTags: api(apimTags),
        deployments: api(deployments),
        replicaSets: api(replicaSets),
        pods: api(pods),
      };
      const args = [
        `--kubeconfig=${proxy.kubeconfigPath}`,
        `--operator-namespace=${operatorNamespace}`,
        `--watch-namespaces=${namespace},${operatorNamespace}`,
        `--arm-endpoint=${apim.url}`,
        `--authority-host=${entra.url}`,
        "--api-version=2024-05-01",
        "--health-probe-bind-address=127.0.0.1:0",
        "--metrics-bind-address=0",
        "--log-level=info",
        `--resync-period=${RESYNC_PERIOD}`,
        `--import-budget=${IMPORT_BUDGET}`,
        "--leader-elect",
        `--leader-election-id=${LEASE_NAME}`,
        `--leader-election-namespace=${operatorNamespace}`,
        "--leader-elect-lease-duration=4s",
        "--leader-elect-renew-deadline=3s",
        "--leader-elect-retry-period=1s",
        ...await supportedOptionalFlags(),
      ];
      const fleet = new OperatorFleet(
        (index) =>
          startOperator({
            args,
            env: {
              DENO_CERT: cluster.tls.caPath,
              NODE_EXTRA_CA_CERTS: cluster.tls.caPath,
              AZURE_TENANT_ID: TENANT_ID,
              AZURE_CLIENT_ID: CLIENT_ID,
              AZURE_CLIENT_SECRET: CLIENT_SECRET,
              HOSTNAME: `chaos-replica-${index}`,
            },
          }),
        config.replicas,
      );
      cleanups.push(() => fleet[Symbol.asyncDispose]());
      const world = new ScheduleWorld(
        cluster,
        config,
        namespace,
        operatorNamespace,
        entra,
        apim,
        service,
        documents,
        proxy,
        apis,
        new Workloads(apis, namespace),
        new LeaseControl(cluster.kube, operatorNamespace, LEASE_NAME),
        fleet,
      );
      world.#cleanups.push(...cleanups);
      return world;
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup();
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) {
      await cleanup().catch(() => {});
    }
  }
}
