// A cluster and an APIM instance as the original operator (chart 0.25.0) leaves them: its CRDs, objects, records and APIs.
// Written from its documented kinds, plural names, fields and values (shared docs, reference-original-operator.md §1, §2.3,
// §4, §5), not copied from it.
import { createHash } from "node:crypto";
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import type { E2eEnvironment } from "./e2e_environment.ts";
import { kubectl } from "./kubectl.ts";

const GROUP = "apim.operator.io";
const API_VERSION = `${GROUP}/v1`;

/** How a field of the original's schemas is typed. */
type FieldType = "string" | "boolean" | "int64" | "strings" | "target";

/** One kind of the original: its plural, fields, and what its schema requires. */
interface KindShape {
  kind: string;
  plural: string;
  spec: Record<string, FieldType>;
  required: string[];
  status: Record<string, FieldType>;
  /** Status fields its schema requires (the original's Go structs without omitempty). */
  statusRequired?: string[];
}

const API_FIELDS = {
  serviceUrl: "string",
  routePrefix: "string",
  openApiDefinitionUrl: "string",
  productIds: "strings",
  tagIds: "strings",
  apimService: "string",
  APIID: "string",
  subscriptionRequired: "boolean",
} as const;

/** What the original's APIMAPI and APIMAPIDeployment both require. */
const API_REQUIRED = [
  "serviceUrl",
  "routePrefix",
  "openApiDefinitionUrl",
  "apimService",
  "APIID",
];

const PHASE = { phase: "string", message: "string" } as const;

/** The original's six kinds (its chart's crds/ folder). */
const KINDS: KindShape[] = [
  {
    kind: "APIMAPI",
    plural: "apimapis",
    spec: { ...API_FIELDS, target: "target" },
    required: [...API_REQUIRED, "subscriptionRequired"],
    status: {
      importedAt: "string",
      status: "string",
      apiHost: "string",
      developerPortalHost: "string",
    },
    statusRequired: ["apiHost", "developerPortalHost"],
  },
  {
    kind: "APIMAPIDeployment",
    plural: "apimapideployments",
    spec: {
      ...API_FIELDS,
      subscription: "string",
      resourceGroup: "string",
      apimApiName: "string",
      revision: "string",
    },
    required: [
      ...API_REQUIRED,
      "subscription",
      "resourceGroup",
      "subscriptionRequired",
    ],
    status: {
      ...PHASE,
      status: "string",
      lastError: "string",
      lastAttemptAt: "string",
      observedGeneration: "int64",
      matchedReplicaSets: "strings",
      openApiHash: "string",
      desiredHash: "string",
      appliedHash: "string",
      importedAt: "string",
    },
  },
  {
    kind: "APIMService",
    plural: "apimservices",
    spec: { name: "string", resourceGroup: "string", subscription: "string" },
    required: ["name", "resourceGroup", "subscription"],
    status: { host: "string" },
  },
  {
    kind: "APIMProduct",
    plural: "apimproducts",
    spec: {
      productId: "string",
      displayName: "string",
      description: "string",
      published: "boolean",
      apimService: "string",
      apiID: "string",
    },
    required: ["productId", "displayName", "apimService"],
    status: PHASE,
  },
  {
    kind: "APIMTag",
    plural: "apimtags",
    spec: { apimService: "string", tagId: "string", displayName: "string" },
    required: ["apimService", "tagId", "displayName"],
    status: PHASE,
  },
  {
    kind: "APIMInboundPolicy",
    plural: "apiminboundpolicies",
    spec: {
      apimService: "string",
      apiId: "string",
      operationId: "string",
      policyContent: "string",
    },
    required: ["apimService", "apiId", "policyContent"],
    status: PHASE,
  },
];

const STRING = { type: "string" };

function fieldSchema(name: string, type: FieldType): object {
  switch (type) {
    case "string":
      return STRING;
    case "boolean":
      // subscriptionRequired is the original's only default.
      return name === "subscriptionRequired"
        ? { type: "boolean", default: true }
        : { type: "boolean" };
    case "int64":
      return { type: "integer", format: "int64" };
    case "strings":
      return { type: "array", items: STRING };
    case "target":
      return {
        type: "object",
        properties: {
          // metav1.LabelSelector as controller-gen writes it.
          selector: {
            type: "object",
            "x-kubernetes-map-type": "atomic",
            properties: {
              matchLabels: { type: "object", additionalProperties: STRING },
              matchExpressions: {
                type: "array",
                "x-kubernetes-list-type": "atomic",
                items: {
                  type: "object",
                  required: ["key", "operator"],
                  properties: {
                    key: STRING,
                    operator: STRING,
                    values: {
                      type: "array",
                      "x-kubernetes-list-type": "atomic",
                      items: STRING,
                    },
                  },
                },
              },
            },
          },
        },
      };
  }
}

function objectSchema(
  fields: Record<string, FieldType>,
  required: string[] | undefined,
): object {
  return {
    type: "object",
    ...(required ? { required } : {}),
    properties: Object.fromEntries(
      Object.entries(fields).map(([name, type]) => [
        name,
        fieldSchema(name, type),
      ]),
    ),
  };
}

/**
 * The original's CRDs: group apim.operator.io, v1 only, namespaced, a status subresource, no short
 * names, categories or printer columns.
 */
export function originalCrds(): object[] {
  return KINDS.map((k) => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${k.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: {
        kind: k.kind,
        listKind: `${k.kind}List`,
        plural: k.plural,
        singular: k.kind.toLowerCase(),
      },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              apiVersion: STRING,
              kind: STRING,
              metadata: { type: "object" },
              spec: objectSchema(k.spec, k.required),
              status: objectSchema(k.status, k.statusRequired),
            },
          },
        },
      }],
    },
  }));
}

/**
 * Installs the original's CRDs the way Helm installs a chart's crds/ folder: created as they are
 * (field manager `helm`), without Helm's ownership labels, never upgraded.
 */
export async function installOriginalCrds(env: E2eEnvironment): Promise<void> {
  const options = {
    kubeconfig: env.plane.kubeconfigPath,
    binDir: env.plane.binDir,
    stdin: originalCrds().map((c) => JSON.stringify(c)).join("\n---\n"),
  };
  const created = await kubectl(
    ["create", "--field-manager=helm", "-f", "-"],
    options,
  );
  if (created.code !== 0) throw new Error(created.stderr);
  const established = await kubectl(
    ["wait", "--for=condition=Established", "--timeout=60s", "-f", "-"],
    options,
  );
  if (established.code !== 0) throw new Error(established.stderr);
}

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

/** The user's APIMService, product, tag and policy manifests, in the original's fields. */
export function originalManifests(
  namespace: string,
  apim: { name: string; subscription: string; resourceGroup: string },
  entities: {
    product: { id: string; displayName: string; description: string };
    tag: { id: string; displayName: string };
    policy: { name: string; apiId: string; policyContent: string };
  },
): Record<string, unknown>[] {
  return [
    // What its chart's apimServices value renders (metadata.name = spec.name).
    originalKind("APIMService", namespace, apim.name, {
      spec: {
        name: apim.name,
        resourceGroup: apim.resourceGroup,
        subscription: apim.subscription,
      },
    }),
    originalKind("APIMProduct", namespace, entities.product.id, {
      spec: {
        productId: entities.product.id,
        displayName: entities.product.displayName,
        description: entities.product.description,
        published: true,
        apimService: apim.name,
        apiID: "unused-by-the-original",
      },
    }),
    originalKind("APIMTag", namespace, entities.tag.id, {
      spec: {
        tagId: entities.tag.id,
        displayName: entities.tag.displayName,
        apimService: apim.name,
      },
    }),
    originalKind("APIMInboundPolicy", namespace, entities.policy.name, {
      spec: {
        apimService: apim.name,
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

/** An API in APIM as the original imported it: the document, path, backend and subscription flag, no marker. */
export interface ImportedApi {
  apiId: string;
  path: string;
  serviceUrl: string;
  document: string;
  productIds: string[];
  tagIds: string[];
}

async function portalWrite(
  env: E2eEnvironment,
  service: ServiceHandle,
  path: string,
  body?: unknown,
): Promise<void> {
  const answer = await env.armAsPortal(service, "PUT", path, body);
  await answer.body?.cancel();
  if (answer.status >= 300) {
    throw new Error(`PUT ${path} answered ${answer.status}`);
  }
}

/**
 * Leaves in the simulated instance what the original wrote (§4): the products and tags it upserted,
 * each API imported with its document (the backend and subscription flag it PATCHed right after
 * are set in the same request here), the links, and an API policy.
 */
export async function leaveInApim(
  env: E2eEnvironment,
  service: ServiceHandle,
  content: {
    products: { id: string; displayName: string; description: string }[];
    tags: { id: string; displayName: string }[];
    apis: ImportedApi[];
    policy: { apiId: string; policyContent: string };
  },
): Promise<void> {
  const knobs = env.apim.knobs;
  const saved = {
    importDurationMs: knobs.importDurationMs,
    lockSettleMs: knobs.lockSettleMs,
  };
  // Imports finish at the next request and leave no lock behind: this is the state afterwards.
  Object.assign(knobs, { importDurationMs: 0, lockSettleMs: 0 });
  try {
    for (const p of content.products) {
      await portalWrite(env, service, `/products/${p.id}`, {
        properties: {
          displayName: p.displayName,
          description: p.description,
          subscriptionRequired: true,
          approvalRequired: false,
          subscriptionsLimit: 1000,
          state: "published",
        },
      });
    }
    for (const t of content.tags) {
      await portalWrite(env, service, `/tags/${t.id}`, {
        properties: { displayName: t.displayName },
      });
    }
    for (const api of content.apis) {
      await portalWrite(env, service, `/apis/${api.apiId}`, {
        properties: {
          format: "openapi+json",
          value: api.document,
          path: api.path,
          serviceUrl: api.serviceUrl,
          subscriptionRequired: true,
        },
      });
      for (const p of api.productIds) {
        await portalWrite(env, service, `/products/${p}/apis/${api.apiId}`);
      }
      for (const t of api.tagIds) {
        await portalWrite(env, service, `/apis/${api.apiId}/tags/${t}`);
      }
    }
    await portalWrite(
      env,
      service,
      `/apis/${content.policy.apiId}/policies/policy`,
      { properties: { format: "xml", value: content.policy.policyContent } },
    );
  } finally {
    Object.assign(knobs, saved);
  }
}
