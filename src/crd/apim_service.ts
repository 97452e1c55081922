// The APIMService custom resource: an Azure API Management instance.
import { z } from "zod";
import { commonStatusShape, objectMetaSchema } from "./meta.ts";

/** APIMService spec: where the instance lives in Azure. */
export const apimServiceSpecSchema = z.object({
  name: z.string().min(1),
  resourceGroup: z.string().min(1),
  subscription: z.string().min(1),
});

/** A hostname configured on the instance. */
export const hostnameSchema = z.object({
  type: z.string().optional(),
  hostName: z.string().optional(),
  defaultSslBinding: z.boolean().optional(),
});

/** APIMService status: what the operator read from Azure. */
export const apimServiceStatusSchema = z.object({
  ...commonStatusShape,
  gatewayUrl: z.string().optional(),
  developerPortalUrl: z.string().optional(),
  proxyHostname: z.string().optional(),
  developerPortalHostname: z.string().optional(),
  hostnames: z.array(hostnameSchema).optional(),
  provisioningState: z.string().optional(),
  sku: z.string().optional(),
  location: z.string().optional(),
  host: z.string().optional(),
});

/** A whole APIMService object. */
export const apimServiceSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
  spec: apimServiceSpecSchema,
  status: apimServiceStatusSchema.optional(),
});

/** A decoded APIMService. */
export type ApimService = z.infer<typeof apimServiceSchema>;
/** APIMService status. */
export type ApimServiceStatus = z.infer<typeof apimServiceStatusSchema>;
