// Zod schemas for the Kubernetes object metadata and conditions shared by our custom resources.
import { z } from "zod";
import { objectMetaSchema as kubeObjectMetaSchema } from "../kube/kube_object.ts";

/**
 * The metadata fields the operator reads, with `name` required. Unlike the Kubernetes layer's
 * loose schema this one drops unknown fields (managedFields, last-applied annotations are large),
 * which keeps the caches small; objects decoded with it are never written back whole.
 */
export const objectMetaSchema = z.object(kubeObjectMetaSchema.shape).extend({
  name: z.string(),
});

/** Object metadata as decoded by {@linkcode objectMetaSchema}. */
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** A standard `metav1.Condition`. */
export const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  observedGeneration: z.number().int().exactOptional(),
  lastTransitionTime: z.string(),
  reason: z.string(),
  message: z.string(),
});

/** A standard `metav1.Condition`. */
export type Condition = z.infer<typeof conditionSchema>;

/** Status fields every kind of ours carries. */
export const commonStatusShape = {
  observedGeneration: z.number().int().exactOptional(),
  conditions: z.array(conditionSchema).exactOptional(),
};

/** What happens in Azure when the resource is deleted. */
export const deletionPolicySchema = z.enum(["Delete", "Retain"]);

/** What happens in Azure when the resource is deleted. */
export type DeletionPolicy = z.infer<typeof deletionPolicySchema>;

/**
 * An API Management instance in Azure (subscription, resource group, service name) as status records
 * it: where the operator wrote, so that a deletion finds it after the APIMService is gone.
 */
export const apimInstanceSchema = z.object({
  subscription: z.string(),
  resourceGroup: z.string(),
  service: z.string(),
});

/** An API Management instance as status records it. */
export type ApimInstance = z.infer<typeof apimInstanceSchema>;
