// The APIMAPI custom resource: an API to register, with the seed's field names.
import { z } from "zod";
import {
  commonStatusShape,
  deletionPolicySchema,
  objectMetaSchema,
} from "./meta.ts";

/** A Kubernetes label selector (matchLabels and matchExpressions). */
export const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(z.object({
    key: z.string(),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(z.string()).optional(),
  })).optional(),
});

/** A Kubernetes label selector. */
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

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
  displayName: z.string().optional(),
  protocols: z.array(z.enum(["http", "https", "ws", "wss"])).optional(),
  target: z.object({ selector: labelSelectorSchema.optional() }).optional(),
  revisions: z.object({
    mode: revisionModeSchema.default("InPlace"),
    keep: z.number().int().min(1).default(3),
  }).default({ mode: "InPlace", keep: 3 }),
  deletionPolicy: deletionPolicySchema.default("Delete"),
});

/** The serialisable record of an Azure long-running operation in flight. */
export const pendingOperationSchema = z.object({
  kind: z.string(),
  url: z.string(),
  startedAt: z.string(),
  desiredHash: z.string().optional(),
  resourcePath: z.string().optional(),
  revision: z.string().optional(),
});

/** APIMAPI status. */
export const apimApiStatusSchema = z.object({
  ...commonStatusShape,
  status: z.string().optional(),
  apiHost: z.string().optional(),
  developerPortalHost: z.string().optional(),
  importedAt: z.string().optional(),
  appliedHash: z.string().optional(),
  documentDigest: z.string().optional(),
  currentRevision: z.string().optional(),
  registeredReplicaSet: z.object({
    name: z.string().optional(),
    uid: z.string().optional(),
    generation: z.number().int().optional(),
  }).optional(),
  pendingOperation: pendingOperationSchema.optional(),
  lastError: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    at: z.string().optional(),
  }).optional(),
  retryAttempts: z.number().int().optional(),
});

/** A whole APIMAPI object. */
export const apimApiSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
  spec: apimApiSpecSchema,
  status: apimApiStatusSchema.optional(),
});

/** A decoded APIMAPI. */
export type ApimApi = z.infer<typeof apimApiSchema>;
/** APIMAPI spec with defaults applied. */
export type ApimApiSpec = z.infer<typeof apimApiSpecSchema>;
/** APIMAPI status. */
export type ApimApiStatus = z.infer<typeof apimApiStatusSchema>;
/** A long-running operation recorded in status. */
export type PendingOperationRecord = z.infer<typeof pendingOperationSchema>;
