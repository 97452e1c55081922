// The original operator's objects: the user's manifests in its fields, and its records of an import, written as it does.
// Written from its documented fields and values (reference-original-operator.md §1, §2.3), not copied from it.
import { createHash } from "node:crypto";
import type { E2eEnvironment } from "./e2e_environment.ts";
import { kubectl } from "./kubectl.ts";

const API_VERSION = "apim.operator.io/v1";

/** An API as the user declared it to the original operator. */
export interface OriginalApi {
  namespace: string;
  /** The APIMAPI's name; the workload's app.kubernetes.io/name (the original's legacy match). */
  name: string;
  apiId: string;
  routePrefix: string;
  serviceUrl: string;
  /** Absolute, as the original requires. */
  openApiDefinitionUrl: string;
  apimService: string;
  productIds: string[];
  tagIds: string[];
}

function originalKind(
  kind: string,
  namespace: string,
  name: string,
  rest: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { ...metadata, name, namespace },
    ...rest,
  };
}

/** The user's APIMAPI manifest, in the original's fields. */
export function originalApiManifest(api: OriginalApi): Record<string, unknown> {
  return originalKind("APIMAPI", api.namespace, api.name, {
    spec: {
      APIID: api.apiId,
      serviceUrl: api.serviceUrl,
      routePrefix: api.routePrefix,
      openApiDefinitionUrl: api.openApiDefinitionUrl,
      apimService: api.apimService,
      subscriptionRequired: true,
      productIds: api.productIds,
      tagIds: api.tagIds,
    },
  });
}

/** An APIM instance as the original chart's `apimServices` value names it. */
export interface OriginalApimInstance {
  name: string;
  subscription: string;
  resourceGroup: string;
}

/** The APIMService the original chart renders for an `apimServices` entry (metadata.name = spec.name). */
export function originalApimService(
  namespace: string,
  apim: OriginalApimInstance,
): Record<string, unknown> {
  return originalKind("APIMService", namespace, apim.name, {
    spec: {
      name: apim.name,
      resourceGroup: apim.resourceGroup,
      subscription: apim.subscription,
    },
  });
}

/** The user's product, tag and policy manifests, in the original's fields. */
export function originalManifests(
  namespace: string,
  apimService: string,
  entities: {
    product: { id: string; displayName: string; description: string };
    tag: { id: string; displayName: string };
    policy: { name: string; apiId: string; policyContent: string };
  },
): Record<string, unknown>[] {
  return [
    originalKind("APIMProduct", namespace, entities.product.id, {
      spec: {
        productId: entities.product.id,
        displayName: entities.product.displayName,
        description: entities.product.description,
        published: true,
        apimService,
        apiID: "unused-by-the-original",
      },
    }),
    originalKind("APIMTag", namespace, entities.tag.id, {
      spec: {
        tagId: entities.tag.id,
        displayName: entities.tag.displayName,
        apimService,
      },
    }),
    originalKind("APIMInboundPolicy", namespace, entities.policy.name, {
      spec: {
        apimService,
        apiId: entities.policy.apiId,
        policyContent: entities.policy.policyContent,
      },
    }),
  ];
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** What the original's last successful import of `api` left in its APIMAPIDeployment and APIMAPI. */
export interface OriginalRecords {
  /** The APIMAPIDeployment it keeps (spec, owner, signal annotations). */
  deployment: Record<string, unknown>;
  /** Its status: phase Succeeded, the hashes of the import. */
  deploymentStatus: Record<string, unknown>;
  /** The APIMAPI's status. */
  apiStatus: Record<string, unknown>;
}

/**
 * The records of a successful import of `document` (§2.3): `openApiHash` = sha256 hex of the
 * fetched bytes, `desiredHash` over the documented key order, `appliedHash` = `desiredHash`.
 */
export function originalRecords(
  api: OriginalApi,
  options: {
    apiUid: string;
    document: string;
    subscription: string;
    resourceGroup: string;
    replicaSet: string;
    gatewayHost: string;
    portalHost: string;
  },
): OriginalRecords {
  const openApiHash = sha256Hex(options.document);
  const desiredHash = sha256Hex(JSON.stringify({
    apiID: api.apiId,
    apimService: api.apimService,
    subscription: options.subscription,
    resourceGroup: options.resourceGroup,
    routePrefix: api.routePrefix,
    serviceUrl: api.serviceUrl,
    revision: "",
    subscriptionRequired: true,
    productIds: [...api.productIds].sort(),
    tagIds: [...api.tagIds].sort(),
    openApiHash,
  }));
  const at = "2026-04-02T09:15:42Z";
  const deployment = originalKind(
    "APIMAPIDeployment",
    api.namespace,
    api.name,
    {
      spec: {
        serviceUrl: api.serviceUrl,
        routePrefix: api.routePrefix,
        openApiDefinitionUrl: api.openApiDefinitionUrl,
        productIds: api.productIds,
        tagIds: api.tagIds,
        apimService: api.apimService,
        APIID: api.apiId,
        subscriptionRequired: true,
        apimApiName: api.name,
        subscription: options.subscription,
        resourceGroup: options.resourceGroup,
      },
    },
    {
      annotations: {
        "apim.operator.io/replicaset-signal": "2026-04-02T09:15:30.123456789Z",
        "apim.operator.io/last-matched-replicaset": options.replicaSet,
      },
      ownerReferences: [{
        apiVersion: API_VERSION,
        kind: "APIMAPI",
        name: api.name,
        uid: options.apiUid,
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
  );
  return {
    deployment,
    deploymentStatus: {
      phase: "Succeeded",
      status: "OK",
      message: "Successfully reconciled API in APIM",
      lastAttemptAt: at,
      observedGeneration: 1,
      matchedReplicaSets: [options.replicaSet],
      openApiHash,
      desiredHash,
      appliedHash: desiredHash,
      importedAt: at,
    },
    apiStatus: {
      // Local time, as the original writes it on the APIMAPI.
      importedAt: "2026-04-02T11:15:42+02:00",
      status: "OK",
      apiHost: `https://${options.gatewayHost}${api.routePrefix}`,
      developerPortalHost: `https://${options.portalHost}`,
    },
  };
}

/** `kubectl apply --server-side` as the original's controllers (field manager `manager`), of objects or their status. */
export async function applyAsOriginal(
  env: E2eEnvironment,
  objects: Record<string, unknown>[],
  options: { status?: boolean; dryRun?: boolean } = {},
): Promise<void> {
  const result = await kubectl([
    "apply",
    "--server-side",
    "--force-conflicts",
    "--field-manager=manager",
    "--validate=strict",
    ...(options.status ? ["--subresource=status"] : []),
    ...(options.dryRun ? ["--dry-run=server"] : []),
    "-f",
    "-",
  ], {
    kubeconfig: env.plane.kubeconfigPath,
    binDir: env.plane.binDir,
    stdin: objects.map((o) => JSON.stringify(o)).join("\n---\n"),
  });
  if (result.code !== 0) {
    throw new Error(`kubectl apply failed: ${result.stderr}`);
  }
}
