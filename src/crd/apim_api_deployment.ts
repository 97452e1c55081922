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
    name: z.string().optional(),
    uid: z.string().optional(),
    images: z.array(z.string()).optional(),
  }).optional(),
  apimApiGeneration: z.number().int().optional(),
  openApiDefinitionUrl: z.string().min(1),
  serviceUrl: z.string().min(1),
});

/** APIMAPIDeployment status. */
export const apimApiDeploymentStatusSchema = z.object({
  ...commonStatusShape,
  phase: deploymentPhaseSchema.optional(),
  message: z.string().optional(),
  documentDigest: z.string().optional(),
  desiredHash: z.string().optional(),
  lastAttemptAt: z.string().optional(),
});

/** A whole APIMAPIDeployment object. */
export const apimApiDeploymentSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
  spec: apimApiDeploymentSpecSchema,
  status: apimApiDeploymentStatusSchema.optional(),
});

/** A decoded APIMAPIDeployment. */
export type ApimApiDeployment = z.infer<typeof apimApiDeploymentSchema>;
/** APIMAPIDeployment spec. */
export type ApimApiDeploymentSpec = z.infer<typeof apimApiDeploymentSpecSchema>;
/** APIMAPIDeployment status. */
export type ApimApiDeploymentStatus = z.infer<
  typeof apimApiDeploymentStatusSchema
>;
