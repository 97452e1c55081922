// The APIMAPI custom resource: an API to register, with the seed's field names.
import { z } from "zod";
import {
  apimInstanceSchema,
  commonStatusShape,
  deletionPolicySchema,
  objectMetaSchema,
} from "./meta.ts";

/** A Kubernetes label selector (matchLabels and matchExpressions). */
export const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).exactOptional(),
  matchExpressions: z.array(z.object({
    key: z.string(),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(z.string()).exactOptional(),
  })).exactOptional(),
});

/** A Kubernetes label selector. */
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

/** A policy document and how it is encoded. */
export const inlinePolicySchema = z.object({
  policyContent: z.string().min(1),
  /** `rawxml`: policy expressions may hold unescaped `<`, `&` and quotes. */
  format: z.enum(["xml", "rawxml"]).default("xml"),
});

/** How a changed document reaches API Management. */
export const revisionModeSchema = z.enum(["InPlace", "NewRevision"]);

/** APIMAPI spec; defaults mirror the CRD's so objects read from old stores decode the same. */
export const apimApiSpecSchema = z.object({
  APIID: z.string().min(1),
  serviceUrl: z.string().min(1),
  routePrefix: z.string(),
  openApiDefinitionUrl: z.string().min(1),
  apimService: z.string().min(1),
  productIds: z.array(z.string()).default([]),
  tagIds: z.array(z.string()).default([]),
  subscriptionRequired: z.boolean().default(true),
  displayName: z.string().exactOptional(),
  protocols: z.array(z.enum(["http", "https", "ws", "wss"])).exactOptional(),
  target: z.object({ selector: labelSelectorSchema.exactOptional() })
    .exactOptional(),
  revisions: z.object({
    mode: revisionModeSchema.default("InPlace"),
    keep: z.number().int().min(1).default(3),
  }).default({ mode: "InPlace", keep: 3 }),
  /** Unset: Delete, or Retain for an adopted API (see `status.adopted`). */
  deletionPolicy: deletionPolicySchema.exactOptional(),
  /** APIMAPIVersionSet (this namespace, then the operator's) the API is a version of. */
  versionSet: z.string().min(1).exactOptional(),
  /** The version identifier inside the set (`v1`); unset for the set's unversioned API. */
  apiVersion: z.string().min(1).exactOptional(),
  /** The API-scope policy, kept with the API (refused when an APIMInboundPolicy also sets it). */
  policy: inlinePolicySchema.exactOptional(),
});

/**
 * An Azure write recorded before it is sent and completed with its poll URL once accepted, so a
 * restart (or another replica) polls it, or reads what it wrote, instead of sending it again.
 */
export const pendingOperationSchema = z.object({
  kind: z.string(),
  /** Absent while the write's answer is unknown. */
  url: z.string().exactOptional(),
  pollKind: z.string().exactOptional(),
  startedAt: z.string(),
  resourcePath: z.string(),
  desiredHash: z.string().exactOptional(),
  documentDigest: z.string().exactOptional(),
  created: z.boolean().exactOptional(),
  revision: z.string().exactOptional(),
  /** The rollout and APIMAPI generation the import serves. */
  replicaSetUid: z.string().exactOptional(),
  /** Key of the ReplicaSets ready when the import was decided. */
  readySet: z.string().exactOptional(),
  /** The APIMAPIDeployment (uid/generation) whose signal the import serves. */
  signal: z.string().exactOptional(),
  generation: z.number().int().exactOptional(),
});

/** Where an API is registered in Azure (recorded before the first write, used for deletion). */
export const registeredApiSchema = apimInstanceSchema.extend({
  apiId: z.string(),
});

/** A matched workload (a ReplicaSet owner) and what its newest ReplicaSet says. */
export const workloadStatusSchema = z.object({
  /** `Deployment/name`, or `ReplicaSet/name` for a ReplicaSet without a controller. */
  owner: z.string(),
  replicaSet: z.string(),
  ready: z.boolean(),
  message: z.string().exactOptional(),
});

/** APIMAPI status. */
export const apimApiStatusSchema = z.object({
  ...commonStatusShape,
  status: z.string().exactOptional(),
  apiHost: z.string().exactOptional(),
  developerPortalHost: z.string().exactOptional(),
  importedAt: z.string().exactOptional(),
  appliedHash: z.string().exactOptional(),
  /** When API Management was last seen holding the applied state (a registration or a drift check). */
  verifiedAt: z.string().exactOptional(),
  documentDigest: z.string().exactOptional(),
  currentRevision: z.string().exactOptional(),
  registeredReplicaSet: z.object({
    name: z.string().exactOptional(),
    uid: z.string().exactOptional(),
    generation: z.number().int().exactOptional(),
  }).exactOptional(),
  registeredReplicaSets: z.array(z.object({
    name: z.string().exactOptional(),
    uid: z.string(),
  })).exactOptional(),
  workloads: z.array(workloadStatusSchema).exactOptional(),
  registeredApi: registeredApiSchema.exactOptional(),
  adopted: z.boolean().exactOptional(),
  pendingOperation: pendingOperationSchema.exactOptional(),
  linkedProducts: z.array(z.string()).exactOptional(),
  linkedTags: z.array(z.string()).exactOptional(),
  lastError: z.object({
    code: z.string().exactOptional(),
    message: z.string().exactOptional(),
    at: z.string().exactOptional(),
  }).exactOptional(),
  retryAttempts: z.number().int().exactOptional(),
});

/** A whole APIMAPI object. */
export const apimApiSchema = z.object({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: apimApiSpecSchema,
  status: apimApiStatusSchema.exactOptional(),
});

/** A decoded APIMAPI. */
export type ApimApi = z.infer<typeof apimApiSchema>;
/** APIMAPI spec with defaults applied. */
export type ApimApiSpec = z.infer<typeof apimApiSpecSchema>;
/** APIMAPI status. */
export type ApimApiStatus = z.infer<typeof apimApiStatusSchema>;
/** A long-running operation recorded in status. */
export type PendingOperationRecord = z.infer<typeof pendingOperationSchema>;
/** Where an API is registered. */
export type RegisteredApi = z.infer<typeof registeredApiSchema>;
/** A matched workload in status. */
export type WorkloadStatus = z.infer<typeof workloadStatusSchema>;
