// The APIMTag custom resource (tagID, with tagId accepted as an alias).
import { z } from "zod";
import {
  apimInstanceSchema,
  commonStatusShape,
  deletionPolicySchema,
  objectMetaSchema,
} from "./meta.ts";

/** APIMTag spec as stored; use {@linkcode tagIdOf} for the effective id. */
export const apimTagSpecSchema = z.object({
  tagID: z.string().min(1).exactOptional(),
  tagId: z.string().min(1).exactOptional(),
  displayName: z.string().min(1),
  apimService: z.string().min(1),
  /** Unset: Delete, or Retain when the entity was adopted. */
  deletionPolicy: deletionPolicySchema.exactOptional(),
}).refine((s) => s.tagID !== undefined || s.tagId !== undefined, {
  message: "tagID (or its alias tagId) is required",
});

/** APIMTag status. */
export const apimTagStatusSchema = z.object({
  ...commonStatusShape,
  tagId: z.string().exactOptional(),
  etag: z.string().exactOptional(),
  appliedHash: z.string().exactOptional(),
  phase: z.string().exactOptional(),
  message: z.string().exactOptional(),
  /** The operator created the entity (recorded before the create is sent). */
  created: z.boolean().exactOptional(),
  /** The entity existed without an owner and was taken over. */
  adopted: z.boolean().exactOptional(),
  /** The instance the tag is written to (recorded before the write there; used to delete it). */
  instance: apimInstanceSchema.exactOptional(),
});

/** A whole APIMTag object. */
export const apimTagSchema = z.object({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: apimTagSpecSchema,
  status: apimTagStatusSchema.exactOptional(),
});

/** A decoded APIMTag. */
export type ApimTag = z.infer<typeof apimTagSchema>;
/** APIMTag spec. */
export type ApimTagSpec = z.infer<typeof apimTagSpecSchema>;
/** APIMTag status. */
export type ApimTagStatus = z.infer<typeof apimTagStatusSchema>;

/** The tag id in API Management: `tagID`, else its alias `tagId`. */
export function tagIdOf(spec: ApimTagSpec): string {
  return spec.tagID ?? spec.tagId ?? "";
}
