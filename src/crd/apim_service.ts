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
  type: z.string().exactOptional(),
  hostName: z.string().exactOptional(),
  defaultSslBinding: z.boolean().exactOptional(),
});

/** APIMService status: what the operator read from Azure. */
export const apimServiceStatusSchema = z.object({
  ...commonStatusShape,
  gatewayUrl: z.string().exactOptional(),
  developerPortalUrl: z.string().exactOptional(),
  proxyHostname: z.string().exactOptional(),
  developerPortalHostname: z.string().exactOptional(),
  hostnames: z.array(hostnameSchema).exactOptional(),
  provisioningState: z.string().exactOptional(),
  sku: z.string().exactOptional(),
  location: z.string().exactOptional(),
  host: z.string().exactOptional(),
});

/** A whole APIMService object. */
export const apimServiceSchema = z.object({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: apimServiceSpecSchema,
  status: apimServiceStatusSchema.exactOptional(),
});

/** A decoded APIMService. */
export type ApimService = z.infer<typeof apimServiceSchema>;
/** APIMService status. */
export type ApimServiceStatus = z.infer<typeof apimServiceStatusSchema>;
