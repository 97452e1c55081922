// The original operator's cluster and APIM instance as a migration finds them: CRDs, objects, workloads, records, APIs.
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import type { E2eEnvironment } from "./e2e_environment.ts";
import { runTool } from "./helm_chart.ts";
import { leaveInApim } from "./original_apim.ts";
import { installOriginalCrds } from "./original_crds.ts";
import {
  applyAsOriginal,
  type OriginalApi,
  originalApiManifest,
  type OriginalApimInstance,
  originalApimService,
  originalManifests,
  originalRecords,
} from "./original_objects.ts";
import { deployReadyWorkload } from "./workload.ts";

/** An API of the original's and the document its last successful import sent. */
export interface LastImport {
  api: OriginalApi;
  document: string;
  /** Replicas of its workload now. */
  replicas: number;
}

/** What the original managed: one instance, a product, a tag, a policy, and APIs. */
export interface OriginalWorld {
  /** The original operator's namespace: the APIMService, product, tag and policy. */
  operatorNamespace: string;
  /** The APIMAPIs' and workloads' namespace. */
  appNamespace: string;
  apim: OriginalApimInstance;
  product: { id: string; displayName: string; description: string };
  tag: { id: string; displayName: string };
  policy: { name: string; apiId: string; policyContent: string };
  imports: LastImport[];
}

/** What the original's controllers wrote: the objects and, apart, their statuses. */
export interface OriginalWrites {
  objects: Record<string, unknown>[];
  statuses: Record<string, unknown>[];
}

function entityManifests(world: OriginalWorld): Record<string, unknown>[] {
  return originalManifests(world.operatorNamespace, world.apim.name, world);
}

/** The user's manifests (as GitOps keeps applying them), applied with client-side `kubectl apply`. */
export async function applyUserManifests(
  env: E2eEnvironment,
  world: OriginalWorld,
): Promise<void> {
  const manifests = [
    ...entityManifests(world),
    ...world.imports.map((i) => originalApiManifest(i.api)),
  ];
  await runTool("kubectl", ["apply", "-f", "-"], {
    kubeconfig: env.plane.kubeconfigPath,
    stdin: manifests.map((m) => JSON.stringify(m)).join("\n---\n"),
  });
}

/** Sets up `world` as the original leaves it (on a control plane without our CRDs). */
export async function originalCluster(
  env: E2eEnvironment,
  service: ServiceHandle,
  world: OriginalWorld,
): Promise<OriginalWrites> {
  const { apim, appNamespace } = world;
  await installOriginalCrds(env);
  await env.apply([world.operatorNamespace, appNamespace].map((name) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  })));
  await applyUserManifests(env, world);
  // The APIMService its chart rendered from the apimServices value.
  await applyAsOriginal(env, [
    originalApimService(world.operatorNamespace, apim),
  ]);
  const writes: OriginalWrites = {
    objects: [],
    statuses: [{
      ...entityManifests(world)[0],
      status: { phase: "Created", message: "Product created successfully" },
    }],
  };
  for (const { api, document, replicas } of world.imports) {
    const rs = await deployReadyWorkload(env, appNamespace, api.name, {
      "app.kubernetes.io/name": api.name,
    }, { replicas });
    const owner = await env.apis.apimApis.find(api.name, {
      namespace: appNamespace,
    });
    const records = originalRecords(api, {
      apiUid: owner?.metadata?.uid ?? "",
      document,
      subscription: apim.subscription,
      resourceGroup: apim.resourceGroup,
      replicaSet: rs.metadata?.name ?? "",
      gatewayHost: `${apim.name}.azure-api.net`,
      portalHost: `${apim.name}.developer.azure-api.net`,
    });
    writes.objects.push(records.deployment);
    writes.statuses.push(
      { ...records.deployment, status: records.deploymentStatus },
      { ...originalApiManifest(api), status: records.apiStatus },
    );
  }
  await applyAsOriginal(env, writes.objects);
  await applyAsOriginal(env, writes.statuses, { status: true });
  await leaveInApim(env, service, {
    products: [world.product],
    tags: [world.tag],
    apis: world.imports.map(({ api, document }) => ({
      apiId: api.apiId,
      path: api.name,
      serviceUrl: api.serviceUrl,
      document,
      productIds: api.productIds,
      tagIds: api.tagIds,
    })),
    policy: world.policy,
  });
  return writes;
}
