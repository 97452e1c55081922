// The APIMProduct custom resource (productID, with productId accepted as an alias).
import { z } from "zod";
import {
  commonStatusShape,
  deletionPolicySchema,
  objectMetaSchema,
} from "./meta.ts";

/** APIMProduct spec as stored; use {@linkcode productIdOf} for the effective id. */
export const apimProductSpecSchema = z.object({
  productID: z.string().min(1).optional(),
  productId: z.string().min(1).optional(),
  displayName: z.string().min(1),
  description: z.string().optional(),
  apimService: z.string().min(1),
  published: z.boolean().default(false),
  subscriptionRequired: z.boolean().default(true),
  approvalRequired: z.boolean().optional(),
  subscriptionsLimit: z.number().int().optional(),
  terms: z.string().optional(),
  deletionPolicy: deletionPolicySchema.default("Delete"),
}).refine((s) => s.productID !== undefined || s.productId !== undefined, {
  message: "productID (or its alias productId) is required",
});

/** APIMProduct status. */
export const apimProductStatusSchema = z.object({
  ...commonStatusShape,
  productId: z.string().optional(),
  state: z.string().optional(),
  etag: z.string().optional(),
  appliedHash: z.string().optional(),
  phase: z.string().optional(),
  message: z.string().optional(),
});

/** A whole APIMProduct object. */
export const apimProductSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
  spec: apimProductSpecSchema,
  status: apimProductStatusSchema.optional(),
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
