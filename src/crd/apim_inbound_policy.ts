// The APIMInboundPolicy custom resource: the policy of an API or one of its operations (the original operator's fields).
import { z } from "zod";
import {
  commonStatusShape,
  deletionPolicySchema,
  objectMetaSchema,
} from "./meta.ts";

/** APIMInboundPolicy spec (`apiId`, `operationId`, `policyContent` as the original operator named them). */
export const apimInboundPolicySpecSchema = z.object({
  apimService: z.string().min(1),
  apiId: z.string().min(1),
  /** The operation's operationId; unset for the API-scope policy. */
  operationId: z.string().min(1).exactOptional(),
  /** The complete `<policies>` document. */
  policyContent: z.string().min(1),
  format: z.enum(["xml", "rawxml"]).default("xml"),
  /** Unset: Delete (the scope falls back to `<base />`). */
  deletionPolicy: deletionPolicySchema.exactOptional(),
});

/** APIMInboundPolicy status. */
export const apimInboundPolicyStatusSchema = z.object({
  ...commonStatusShape,
  /** The original operator's `Created` / `Error`. */
  phase: z.string().exactOptional(),
  message: z.string().exactOptional(),
  /** The operation's resource name in API Management (operation scope). */
  operationName: z.string().exactOptional(),
  /** Where the policy was last applied (subscription/resourceGroup/service/apiId), for deletion. */
  appliedTo: z.object({
    subscription: z.string(),
    resourceGroup: z.string(),
    service: z.string(),
    apiId: z.string(),
    operationName: z.string().exactOptional(),
  }).exactOptional(),
  appliedAt: z.string().exactOptional(),
});

/** A whole APIMInboundPolicy object. */
export const apimInboundPolicySchema = z.object({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: apimInboundPolicySpecSchema,
  status: apimInboundPolicyStatusSchema.exactOptional(),
});

/** A decoded APIMInboundPolicy. */
export type ApimInboundPolicy = z.infer<typeof apimInboundPolicySchema>;
/** APIMInboundPolicy spec with defaults applied. */
export type ApimInboundPolicySpec = z.infer<typeof apimInboundPolicySpecSchema>;
/** Where a policy was applied. */
export type AppliedPolicyTarget = NonNullable<
  z.infer<typeof apimInboundPolicyStatusSchema>["appliedTo"]
>;
