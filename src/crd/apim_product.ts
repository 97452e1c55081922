// The APIMProduct custom resource (productID, with productId accepted as an alias).
import { z } from "zod";
import {
  apimInstanceSchema,
  commonStatusShape,
  deletionPolicySchema,
  objectMetaSchema,
} from "./meta.ts";

/** APIMProduct spec as stored; use {@linkcode productIdOf} for the effective id. */
export const apimProductSpecSchema = z.object({
  productID: z.string().min(1).exactOptional(),
  productId: z.string().min(1).exactOptional(),
  displayName: z.string().min(1),
  description: z.string().exactOptional(),
  apimService: z.string().min(1),
  published: z.boolean().default(false),
  subscriptionRequired: z.boolean().default(true),
  approvalRequired: z.boolean().exactOptional(),
  subscriptionsLimit: z.number().int().exactOptional(),
  terms: z.string().exactOptional(),
  /** Unset: Delete, or Retain when the entity was adopted. */
  deletionPolicy: deletionPolicySchema.exactOptional(),
}).refine((s) => s.productID !== undefined || s.productId !== undefined, {
  message: "productID (or its alias productId) is required",
});

/** APIMProduct status. */
export const apimProductStatusSchema = z.object({
  ...commonStatusShape,
  productId: z.string().exactOptional(),
  state: z.string().exactOptional(),
  etag: z.string().exactOptional(),
  appliedHash: z.string().exactOptional(),
  phase: z.string().exactOptional(),
  message: z.string().exactOptional(),
  /** The operator created the entity (recorded before the create is sent). */
  created: z.boolean().exactOptional(),
  /** The entity existed without an owner and was taken over. */
  adopted: z.boolean().exactOptional(),
  /** The instance the product is written to (recorded before the write there; used to delete it). */
  instance: apimInstanceSchema.exactOptional(),
});

/** A whole APIMProduct object. */
export const apimProductSchema = z.object({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: apimProductSpecSchema,
  status: apimProductStatusSchema.exactOptional(),
});

/** A decoded APIMProduct. */
export type ApimProduct = z.infer<typeof apimProductSchema>;
/** APIMProduct spec. */
export type ApimProductSpec = z.infer<typeof apimProductSpecSchema>;
/** APIMProduct status. */
export type ApimProductStatus = z.infer<typeof apimProductStatusSchema>;

/** The product id in API Management: `productID`, else its alias `productId`. */
export function productIdOf(spec: ApimProductSpec): string {
  return spec.productID ?? spec.productId ?? "";
}
