// The APIMAPIDeployment custom resource: one rollout to register, deleted after success.
import { z } from "zod";
import { commonStatusShape, objectMetaSchema } from "./meta.ts";

/** Where a registration is. */
export const deploymentPhaseSchema = z.enum([
  "Pending",
  "Fetching",
  "Importing",
  "Linking",
  "Succeeded",
  "Failed",
]);

/** Where a registration is. */
export type DeploymentPhase = z.infer<typeof deploymentPhaseSchema>;

/** APIMAPIDeployment spec: which APIMAPI, which ReplicaSet, and the resolved URLs. */
export const apimApiDeploymentSpecSchema = z.object({
  apimApiName: z.string().min(1),
  replicaSet: z.object({
    name: z.string().exactOptional(),
    uid: z.string().exactOptional(),
    /** `Kind/name` of the workload that rolled it out. */
    owner: z.string().exactOptional(),
    images: z.array(z.string()).exactOptional(),
  }).exactOptional(),
  /** The ready ReplicaSet of every matched workload. */
  readyReplicaSets: z.array(z.object({
    name: z.string().exactOptional(),
    uid: z.string(),
  })).exactOptional(),
  apimApiGeneration: z.number().int().exactOptional(),
  openApiDefinitionUrl: z.string().min(1),
  serviceUrl: z.string().min(1),
});

/** APIMAPIDeployment status. */
export const apimApiDeploymentStatusSchema = z.object({
  ...commonStatusShape,
  phase: deploymentPhaseSchema.exactOptional(),
  message: z.string().exactOptional(),
  documentDigest: z.string().exactOptional(),
  desiredHash: z.string().exactOptional(),
  lastAttemptAt: z.string().exactOptional(),
  retryToken: z.string().exactOptional(),
});

/** A whole APIMAPIDeployment object. */
export const apimApiDeploymentSchema = z.object({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: apimApiDeploymentSpecSchema,
  status: apimApiDeploymentStatusSchema.exactOptional(),
});

/** A decoded APIMAPIDeployment. */
export type ApimApiDeployment = z.infer<typeof apimApiDeploymentSchema>;
/** APIMAPIDeployment spec. */
export type ApimApiDeploymentSpec = z.infer<typeof apimApiDeploymentSpecSchema>;
/** APIMAPIDeployment status. */
export type ApimApiDeploymentStatus = z.infer<
  typeof apimApiDeploymentStatusSchema
>;
