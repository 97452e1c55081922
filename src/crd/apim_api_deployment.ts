// The APIMAPIDeployment custom resource: one rollout to register, deleted after success (the original operator's records readable too).
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

/** Phases only the original operator writes (its records outlive it after a migration). */
const originalPhaseSchema = z.enum([
  "WaitingForMatch",
  "WaitingForReadyPod",
  "Error",
]);

/**
 * APIMAPIDeployment spec: which APIMAPI, which ReplicaSet, and the resolved URLs. The original
 * operator's fields (routePrefix, APIID, ...) are accepted by the CRD and not read.
 */
export const apimApiDeploymentSpecSchema = z.object({
  /** Unset in some of the original operator's records: then the deployment's own name. */
  apimApiName: z.string().min(1).exactOptional(),
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

/** APIMAPIDeployment status, with the original operator's hashes of its last import. */
export const apimApiDeploymentStatusSchema = z.object({
  ...commonStatusShape,
  phase: z.union([deploymentPhaseSchema, originalPhaseSchema]).exactOptional(),
  message: z.string().exactOptional(),
  documentDigest: z.string().exactOptional(),
  desiredHash: z.string().exactOptional(),
  lastAttemptAt: z.string().exactOptional(),
  retryToken: z.string().exactOptional(),
  /** The original operator's: sha256 (hex) of the document bytes it fetched last. */
  openApiHash: z.string().exactOptional(),
  /** The original operator's: the `desiredHash` its last successful import applied. */
  appliedHash: z.string().exactOptional(),
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

/** The APIMAPI (same namespace) a deployment registers: `spec.apimApiName`, else its own name. */
export function apimApiNameOf(deployment: ApimApiDeployment): string {
  return deployment.spec.apimApiName ?? deployment.metadata.name;
}

/**
 * `sha256:<hex>` of the document the original operator's last successful import sent, from its
 * record: `openApiHash` hashes the fetched bytes, and `appliedHash` equal to `desiredHash` (which
 * covers `openApiHash`) says that import succeeded. Its phase proves less: a registration of ours
 * overwrites the phase and leaves the hashes.
 */
export function originalImportDigest(
  deployment: ApimApiDeployment,
): string | undefined {
  const status = deployment.status;
  const hex = status?.openApiHash;
  if (!hex || !/^[0-9a-f]{64}$/.test(hex)) return undefined;
  const succeeded = status.appliedHash !== undefined &&
    status.appliedHash === status.desiredHash;
  return succeeded ? `sha256:${hex}` : undefined;
}

/**
 * `uid/generation` of a deployment: the watcher's every signal changes it (a spec change bumps the
 * generation), also one that names a ReplicaSet signalled before (a rollback).
 */
export function signalOf(deployment: ApimApiDeployment): string | undefined {
  const { uid, generation } = deployment.metadata;
  return uid === undefined || generation === undefined
    ? undefined
    : `${uid}/${generation}`;
}

/** A record the original operator wrote and our ReplicaSetWatcher has not signalled a rollout on yet. */
export function isOriginalRecord(deployment: ApimApiDeployment): boolean {
  return deployment.spec.replicaSet === undefined;
}
