// The APIMAPIVersionSet custom resource: a version set in API Management that APIMAPIs join with spec.versionSet.
import { z } from "zod";
import {
  apimInstanceSchema,
  commonStatusShape,
  deletionPolicySchema,
  objectMetaSchema,
} from "./meta.ts";

/** APIMAPIVersionSet spec; use {@linkcode versionSetIdOf} for the effective id. */
export const apimApiVersionSetSpecSchema = z.object({
  /** Id in API Management; defaults to the resource's name. */
  versionSetId: z.string().min(1).exactOptional(),
  displayName: z.string().min(1),
  description: z.string().exactOptional(),
  /** Where callers put the version: a path segment, a header or a query parameter. */
  versioningScheme: z.enum(["Segment", "Header", "Query"]).default("Segment"),
  versionHeaderName: z.string().min(1).exactOptional(),
  versionQueryName: z.string().min(1).exactOptional(),
  apimService: z.string().min(1),
  /** Unset: Delete, or Retain when the set was adopted. */
  deletionPolicy: deletionPolicySchema.exactOptional(),
});

/** APIMAPIVersionSet status. */
export const apimApiVersionSetStatusSchema = z.object({
  ...commonStatusShape,
  versionSetId: z.string().exactOptional(),
  /** ARM id of the set, as APIs name it in `apiVersionSetId`. */
  resourceId: z.string().exactOptional(),
  etag: z.string().exactOptional(),
  /** The operator created the set (recorded before the create is sent). */
  created: z.boolean().exactOptional(),
  /** The set existed without an owner and was taken over. */
  adopted: z.boolean().exactOptional(),
  /** The instance the set is written to (recorded before the write there; used to delete it). */
  instance: apimInstanceSchema.exactOptional(),
});

/** A whole APIMAPIVersionSet object. */
export const apimApiVersionSetSchema = z.object({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: apimApiVersionSetSpecSchema,
  status: apimApiVersionSetStatusSchema.exactOptional(),
});

/** A decoded APIMAPIVersionSet. */
export type ApimApiVersionSet = z.infer<typeof apimApiVersionSetSchema>;
/** APIMAPIVersionSet spec with defaults applied. */
export type ApimApiVersionSetSpec = z.infer<typeof apimApiVersionSetSpecSchema>;

/** The version set's id in API Management: `spec.versionSetId`, else the resource's name. */
export function versionSetIdOf(set: ApimApiVersionSet): string {
  return set.spec.versionSetId ?? set.metadata.name;
}
