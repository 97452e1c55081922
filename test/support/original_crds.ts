// The original operator's CRDs (chart 0.25.0, its crds/ folder) and their installation as Helm installs them.
// Written from its documented group, version, kinds, plural names and field types (reference-original-operator.md §1,
// §5), not copied from it.
import type { E2eEnvironment } from "./e2e_environment.ts";
import { kubectl } from "./kubectl.ts";

const GROUP = "apim.operator.io";

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
