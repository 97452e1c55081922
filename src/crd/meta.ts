// Zod schemas for the Kubernetes object metadata and conditions shared by our custom resources.
import { z } from "zod";

/** The metadata fields the operator reads (others are preserved by the API server, not by us). */
export const objectMetaSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.object({
    apiVersion: z.string(),
    kind: z.string(),
    name: z.string(),
    uid: z.string(),
    controller: z.boolean().optional(),
    blockOwnerDeletion: z.boolean().optional(),
  })).optional(),
});

/** Object metadata as decoded by {@linkcode objectMetaSchema}. */
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** A standard `metav1.Condition`. */
export const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  observedGeneration: z.number().int().optional(),
  lastTransitionTime: z.string(),
  reason: z.string(),
  message: z.string(),
});

/** A standard `metav1.Condition`. */
export type Condition = z.infer<typeof conditionSchema>;

/** Status fields every kind of ours carries. */
export const commonStatusShape = {
  observedGeneration: z.number().int().optional(),
  conditions: z.array(conditionSchema).optional(),
};

/** What happens in Azure when the resource is deleted. */
export const deletionPolicySchema = z.enum(["Delete", "Retain"]);

/** What happens in Azure when the resource is deleted. */
export type DeletionPolicy = z.infer<typeof deletionPolicySchema>;
