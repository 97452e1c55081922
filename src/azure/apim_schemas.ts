// Zod schemas of the APIM payloads we send and read (2024-05-01 and 2022-08-01), with their types.
//
// Responses are loose: unknown fields pass through, only what we read is typed. Requests are
// strict and carry APIM's length limits (reference A.2, A.5, A.6, A.7), so bad input fails
// before a request is sent.

import { z } from "zod";

/** Inline import formats the operator sends (sniffed from the document by `src/openapi`). */
export type ApimImportFormat = "openapi+json" | "openapi" | "swagger-json";

/** Gateway protocols of an API. */
export type ApiProtocol = "http" | "https" | "ws" | "wss";

const IMPORT_FORMATS = [
  "openapi+json",
  "openapi",
  "swagger-json",
] as const satisfies readonly ApimImportFormat[];

const protocolSchema = z.enum(
  ["http", "https", "ws", "wss"] as const satisfies readonly ApiProtocol[],
);

/** The ARM resource envelope every APIM entity comes in. */
function armResource<P extends z.ZodType>(properties: P) {
  return z.looseObject({
    id: z.string(),
    type: z.string(),
    name: z.string(),
    properties,
  });
}

const apiPropertiesSchema = z.looseObject({
  displayName: z.string().nullish(),
  description: z.string().nullish(),
  path: z.string(),
  serviceUrl: z.string().nullish(),
  protocols: z.array(z.string()).nullish(),
  subscriptionRequired: z.boolean().nullish(),
  apiRevision: z.string().nullish(),
  apiRevisionDescription: z.string().nullish(),
  isCurrent: z.boolean().nullish(),
  isOnline: z.boolean().nullish(),
  apiVersion: z.string().nullish(),
  apiVersionSetId: z.string().nullish(),
  sourceApiId: z.string().nullish(),
  type: z.string().nullish(),
  provisioningState: z.string().nullish(),
});

/** `ApiContract`: an API or one of its revisions. */
export const apiContractSchema = armResource(apiPropertiesSchema);
/** An API as APIM returns it. */
export type ApiContract = z.infer<typeof apiContractSchema>;

/** `ApiRevisionContract`: an item of `/apis/{id}/revisions` (not an ARM resource). */
export const apiRevisionSchema = z.looseObject({
  apiId: z.string(),
  apiRevision: z.string(),
  createdDateTime: z.string().nullish(),
  updatedDateTime: z.string().nullish(),
  description: z.string().nullish(),
  privateUrl: z.string().nullish(),
  isOnline: z.boolean().nullish(),
  isCurrent: z.boolean().nullish(),
});
/** A revision summary. */
export type ApiRevision = z.infer<typeof apiRevisionSchema>;

/** `ApiReleaseContract`: what made a revision current. */
export const apiReleaseContractSchema = armResource(z.looseObject({
  apiId: z.string().nullish(),
  createdDateTime: z.string().nullish(),
  updatedDateTime: z.string().nullish(),
  notes: z.string().nullish(),
}));
/** A release as APIM returns it. */
export type ApiReleaseContract = z.infer<typeof apiReleaseContractSchema>;

/** `ProductContract`. */
export const productContractSchema = armResource(z.looseObject({
  displayName: z.string(),
  description: z.string().nullish(),
  terms: z.string().nullish(),
  subscriptionRequired: z.boolean().nullish(),
  approvalRequired: z.boolean().nullish(),
  subscriptionsLimit: z.number().nullish(),
  state: z.string().nullish(),
}));
/** A product as APIM returns it. */
export type ProductContract = z.infer<typeof productContractSchema>;

/** `TagContract`. */
export const tagContractSchema = armResource(z.looseObject({
  displayName: z.string(),
}));
/** A tag as APIM returns it. */
export type TagContract = z.infer<typeof tagContractSchema>;

/** `TagApiLinkContract`: one API a tag is assigned to (`apiId` is the API's resource id). */
export const tagApiLinkContractSchema = armResource(z.looseObject({
  apiId: z.string(),
}));
/** A tag–API link as APIM returns it. */
export type TagApiLinkContract = z.infer<typeof tagApiLinkContractSchema>;

/** `PolicyContract`. */
export const policyContractSchema = armResource(z.looseObject({
  value: z.string(),
  format: z.string().nullish(),
}));
/** A policy as APIM returns it. */
export type PolicyContract = z.infer<typeof policyContractSchema>;

/** `OperationContract`: one operation of an API (only its name is read). */
export const operationContractSchema = armResource(z.looseObject({
  displayName: z.string().nullish(),
  method: z.string().nullish(),
  urlTemplate: z.string().nullish(),
}));
/** An operation as APIM returns it. */
export type OperationContract = z.infer<typeof operationContractSchema>;

/** How a version set tells versions apart. */
export type VersioningScheme = "Segment" | "Query" | "Header";

/** `ApiVersionSetContract`. */
export const versionSetContractSchema = armResource(z.looseObject({
  displayName: z.string(),
  description: z.string().nullish(),
  versioningScheme: z.string(),
  versionQueryName: z.string().nullish(),
  versionHeaderName: z.string().nullish(),
}));
/** A version set as APIM returns it. */
export type VersionSetContract = z.infer<typeof versionSetContractSchema>;

const hostnameConfigurationSchema = z.looseObject({
  type: z.string(),
  hostName: z.string(),
  defaultSslBinding: z.boolean().nullish(),
  certificateSource: z.string().nullish(),
});

/** `ApiManagementServiceResource`: the APIM instance. */
export const apimServiceSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  location: z.string(),
  etag: z.string().nullish(),
  sku: z.looseObject({ name: z.string(), capacity: z.number().nullish() }),
  properties: z.looseObject({
    provisioningState: z.string().nullish(),
    targetProvisioningState: z.string().nullish(),
    gatewayUrl: z.string().nullish(),
    gatewayRegionalUrl: z.string().nullish(),
    portalUrl: z.string().nullish(),
    developerPortalUrl: z.string().nullish(),
    managementApiUrl: z.string().nullish(),
    hostnameConfigurations: z.array(hostnameConfigurationSchema).nullish(),
    publisherEmail: z.string().nullish(),
    publisherName: z.string().nullish(),
  }),
});
/** An APIM instance as ARM returns it. */
export type ApimService = z.infer<typeof apimServiceSchema>;

// ---- Requests --------------------------------------------------------------------------------

const displayName = z.string().min(1).max(300);
const apiPath = z.string().max(400);
const serviceUrl = z.string().max(2000);

/** Properties of `PUT .../apis/{apiId}` (an import when `format` and `value` are set). */
export const apiCreateOrUpdatePropertiesSchema = z.strictObject({
  format: z.enum(IMPORT_FORMATS).optional(),
  value: z.string().optional(),
  path: apiPath,
  serviceUrl: serviceUrl.optional(),
  subscriptionRequired: z.boolean().optional(),
  displayName: displayName.optional(),
  description: z.string().optional(),
  protocols: z.array(protocolSchema).optional(),
  apiRevision: z.string().min(1).max(100).optional(),
  apiRevisionDescription: z.string().max(256).optional(),
  sourceApiId: z.string().optional(),
  isCurrent: z.boolean().optional(),
  apiVersion: z.string().max(100).optional(),
  apiVersionSetId: z.string().optional(),
}).refine((p) => (p.format === undefined) === (p.value === undefined), {
  message: "format and value go together",
  path: ["format"],
});
/** What to send when creating, importing or updating an API. */
export type ApiCreateOrUpdateProperties = z.input<
  typeof apiCreateOrUpdatePropertiesSchema
>;

/** Properties of `PATCH .../apis/{apiId}`. */
export const apiUpdatePropertiesSchema = z.strictObject({
  displayName: displayName.optional(),
  description: z.string().optional(),
  path: apiPath.optional(),
  serviceUrl: z.string().min(1).max(2000).optional(),
  protocols: z.array(protocolSchema).optional(),
  subscriptionRequired: z.boolean().optional(),
  apiRevisionDescription: z.string().max(256).optional(),
  isCurrent: z.boolean().optional(),
  apiVersion: z.string().max(100).optional(),
});
/** The fields of an API patch. */
export type ApiUpdateProperties = z.input<typeof apiUpdatePropertiesSchema>;

/** Properties of `PUT .../apis/{apiId}/releases/{releaseId}`. */
export const apiReleasePropertiesSchema = z.strictObject({
  /** ARM id of the revision to make current. */
  apiId: z.string().min(1),
  notes: z.string().optional(),
});
/** What to send to release a revision. */
export type ApiReleaseProperties = z.input<typeof apiReleasePropertiesSchema>;

const productFields = {
  displayName,
  description: z.string().max(1000).optional(),
  terms: z.string().optional(),
  subscriptionRequired: z.boolean().optional(),
  approvalRequired: z.boolean().optional(),
  subscriptionsLimit: z.number().int().optional(),
  state: z.enum(["notPublished", "published"]).optional(),
};

/** Properties of `PUT .../products/{productId}`. */
export const productPropertiesSchema = z.strictObject(productFields);
/** What to send to create or replace a product. */
export type ProductProperties = z.input<typeof productPropertiesSchema>;

/** Properties of `PATCH .../products/{productId}`. */
export const productUpdatePropertiesSchema = z.strictObject(productFields)
  .partial();
/** The fields of a product patch. */
export type ProductUpdateProperties = z.input<
  typeof productUpdatePropertiesSchema
>;

/** Properties of `PUT`/`PATCH .../tags/{tagId}`. */
export const tagPropertiesSchema = z.strictObject({
  displayName: z.string().min(1).max(160),
});
/** What to send to create or update a tag. */
export type TagProperties = z.input<typeof tagPropertiesSchema>;

/** Properties of `PUT .../apis/{apiId}[/operations/{operationId}]/policies/policy`. */
export const policyPropertiesSchema = z.strictObject({
  value: z.string(),
  format: z.enum(["xml", "xml-link", "rawxml", "rawxml-link"]).optional(),
});
/** What to send to set an API or operation policy. */
export type PolicyProperties = z.input<typeof policyPropertiesSchema>;

/** Properties of `PUT .../apiVersionSets/{versionSetId}` (reference: apimapiversionsets.json). */
export const versionSetPropertiesSchema = z.strictObject({
  displayName: z.string().min(1).max(100),
  description: z.string().optional(),
  versioningScheme: z.enum(
    [
      "Segment",
      "Query",
      "Header",
    ] as const satisfies readonly VersioningScheme[],
  ),
  versionQueryName: z.string().min(1).max(100).optional(),
  versionHeaderName: z.string().min(1).max(100).optional(),
});
/** What to send to create or replace a version set. */
export type VersionSetProperties = z.input<typeof versionSetPropertiesSchema>;
