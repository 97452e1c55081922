// API request bodies (zod), merging them into stored revision properties, and the path-uniqueness rule.

import { z } from "zod";
import { type ArmError, invalidField } from "./arm_error.ts";
import { boundedString } from "./http.ts";
import type { JsonObject, JsonValue } from "./json.ts";
import { type ApiProperties, nameKey, type ServiceState } from "./store.ts";

function text(field: string, min: number, max: number) {
  return boundedString(field, min, max).nullish();
}

const protocolSchema = z.enum(["http", "https", "ws", "wss"]);

const apiTypeSchema = z.enum([
  "http",
  "soap",
  "websocket",
  "graphql",
  "odata",
  "grpc",
]);

/** Fields shared by PUT and PATCH (`ApiEntityBaseContract` + contract properties). */
const commonFields = {
  displayName: text("displayName", 1, 300),
  serviceUrl: text("serviceUrl", 0, 2000),
  path: text("path", 0, 400),
  protocols: z.array(protocolSchema).nullish(),
  description: z.string().nullish(),
  type: apiTypeSchema.nullish(),
  apiRevisionDescription: text("apiRevisionDescription", 0, 256),
  apiVersion: text("apiVersion", 0, 100),
  apiVersionDescription: text("apiVersionDescription", 0, 256),
  apiVersionSetId: z.string().nullish(),
  isCurrent: z.boolean().nullish(),
  subscriptionRequired: z.boolean().nullish(),
  subscriptionKeyParameterNames: z.object({
    header: z.string().nullish(),
    query: z.string().nullish(),
  }).nullish(),
  authenticationSettings: z.json().nullish(),
  termsOfServiceUrl: z.string().nullish(),
  contact: z.json().nullish(),
  license: z.json().nullish(),
};

/** Body of `PUT .../apis/{apiId}` (create, update, clone, new revision, import). */
export const apiPutBodySchema = z.object({
  properties: z.object({
    ...commonFields,
    apiRevision: text("apiRevision", 1, 100),
    sourceApiId: z.string().nullish(),
    format: z.string().nullish(),
    value: z.string().nullish(),
    apiType: apiTypeSchema.nullish(),
    translateRequiredQueryParameters: z.enum(["template", "query"]).nullish(),
    wsdlSelector: z.json().nullish(),
  }).loose(),
});

/** Body of `PATCH .../apis/{apiId}`. */
export const apiPatchBodySchema = z.object({
  properties: z.object({
    ...commonFields,
    displayName: text("displayName", 1, 300),
    serviceUrl: text("serviceUrl", 1, 2000),
  }).loose(),
});

/** The `properties` of an API PUT or PATCH. */
export type ApiInput =
  | z.infer<typeof apiPutBodySchema>["properties"]
  | z.infer<typeof apiPatchBodySchema>["properties"];

/** What an imported document contributes (see {@linkcode mergeApiProperties} for precedence). */
export interface DocumentDefaults {
  title?: string;
  description?: string;
  serverUrl?: string;
  /** Swagger `schemes`, or the schemes of OpenAPI 3 `servers` URLs. */
  protocols?: string[];
}

const PROTOCOL_ORDER = ["http", "https", "ws", "wss"];

function normaliseProtocols(protocols: readonly string[]): string[] {
  return PROTOCOL_ORDER.filter((p) => protocols.includes(p));
}

function validateServiceUrl(serviceUrl: string): void {
  if (serviceUrl === "") return;
  let ok = false;
  try {
    ok = ["http:", "https:", "ws:", "wss:"].includes(
      new URL(serviceUrl).protocol,
    );
  } catch {
    ok = false;
  }
  if (!ok) {
    throw invalidField(
      "serviceUrl",
      `The value '${serviceUrl}' of 'serviceUrl' is not a valid absolute URL.`,
    );
  }
}

/** `x ?? y` treating `null` like absent, so optional stored fields stay unset. */
function pick<T>(...values: (T | null | undefined)[]): T | undefined {
  for (const v of values) if (v !== null && v !== undefined) return v;
  return undefined;
}

const EXTRA_FIELDS = [
  "authenticationSettings",
  "termsOfServiceUrl",
  "contact",
  "license",
] as const;

function mergeExtra(base: JsonObject, input: ApiInput): JsonObject {
  const extra: JsonObject = { ...base };
  for (const field of EXTRA_FIELDS) {
    const value: JsonValue | undefined = input[field] ?? undefined;
    if (value !== undefined) extra[field] = value;
  }
  return extra;
}

/**
 * Stored properties after applying `input` on top of `base` (the existing or cloned revision,
 * or null for a create), with what an import `doc` sets. PUT and PATCH both merge: fields the
 * request leaves out keep their value. Throws 400 for a missing path or display name.
 *
 * An import takes the API's settings from the document where the request is silent:
 * - displayName: the request's, else `info.title` (the request wins since 2021:
 *   Azure/azure-api-management-devops-resource-kit#538, mirsaeedi/dotnet-apim#38,
 *   hashicorp/terraform-provider-azurerm#29503; before, APIM always took the title:
 *   Azure/azure-rest-api-specs#13445);
 * - description: always `info.description`; a `description` in an import request is ignored
 *   (Azure/azure-cli#20812, Azure/apiops#563, Azure/azure-cli#19277 "not possible to override";
 *   azure-powershell#9270: "Title and Description fields from Swagger spec file are used to update
 *   API state during import"). A document without one leaves the description as it was
 *   (unverified);
 * - protocols: the request's, else the document's schemes (Swagger `schemes`, OpenAPI 3 server URL
 *   schemes: stephaneey/azure-apim-extension#90; net-ApiRevisionTests#3 got `["http"]` from
 *   `"schemes": ["http"]`; a request's `protocols` wins: Azure/azure-cli#21208);
 * - serviceUrl: the request's, else the document's server (spec example
 *   ApiManagementCreateApiUsingImportOverrideServiceUrl.json; net-ApiRevisionTests#3 got
 *   host + basePath).
 */
export function mergeApiProperties(
  base: ApiProperties | null,
  input: ApiInput,
  doc: DocumentDefaults | null,
  fallbackDisplayName: string | null,
): ApiProperties {
  const path = pick(input.path, base?.path);
  if (path === undefined) {
    throw invalidField("path", "The path field is required.");
  }
  const displayName = pick(
    input.displayName,
    doc?.title,
    base?.displayName,
    fallbackDisplayName,
  );
  if (displayName === undefined) {
    throw invalidField("displayName", "The displayName field is required.");
  }
  const serviceUrl = pick(input.serviceUrl, doc?.serverUrl, base?.serviceUrl);
  if (serviceUrl !== undefined) validateServiceUrl(serviceUrl);
  const keys = input.subscriptionKeyParameterNames;
  const baseKeys = base?.subscriptionKeyParameterNames ??
    { header: "Ocp-Apim-Subscription-Key", query: "subscription-key" };
  const merged: ApiProperties = {
    displayName: displayName.slice(0, 300),
    path: path.replace(/^\/+|\/+$/g, ""),
    protocols: normaliseProtocols(
      pick(input.protocols, doc?.protocols, base?.protocols) ?? ["https"],
    ),
    subscriptionRequired: pick(
      input.subscriptionRequired,
      base?.subscriptionRequired,
    ) ?? true,
    subscriptionKeyParameterNames: {
      header: pick(keys?.header, baseKeys.header) ?? baseKeys.header,
      query: pick(keys?.query, baseKeys.query) ?? baseKeys.query,
    },
    isOnline: base?.isOnline ?? true,
    extra: mergeExtra(base?.extra ?? {}, input),
  };
  const optional = {
    serviceUrl,
    description: doc
      ? pick(doc.description, base?.description)
      : pick(input.description, base?.description),
    type: pick(input.type, base?.type),
    apiRevisionDescription: pick(
      input.apiRevisionDescription,
      base?.apiRevisionDescription,
    ),
    apiVersion: pick(input.apiVersion, base?.apiVersion),
    apiVersionDescription: pick(
      input.apiVersionDescription,
      base?.apiVersionDescription,
    ),
    apiVersionSetId: pick(input.apiVersionSetId, base?.apiVersionSetId),
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) Object.assign(merged, { [k]: v });
  }
  return merged;
}

/**
 * The error for a path another API already uses; null when free. Revisions of the same API and
 * APIs of the same version set may share a path. APIM's answer (reported when an import is
 * polled: hashicorp/terraform-provider-azurerm#12720; also Azure/azure-powershell#11027, #8957):
 * 400 ValidationError "One or more fields contain incorrect values:" with the detail "Cannot
 * create API '{id}' with the same Path '{path}' as API '{other}'  unless it's a part of the same
 * version set" (two spaces before "unless", as recorded), target `path`; the same text whether or
 * not either API is in a version set (Azure/apiops#697 and #712 got it for versioned APIs, 2024).
 * Another wording, "API with specified URL path '{path}' already exists.", was reported once
 * (azure-api-management-devops-resource-kit#434, 2021, path ''); the simulator gives
 * terraform#12720's text in every case (DEVIATIONS.md, "Where the evidence disagrees").
 *
 * A running import holds no path: its clash is judged when it is applied, against what has been
 * applied by then, so of two writes with one path the first to be applied wins and the other is
 * refused (the reservation of a running import's path this replaces had no evidence).
 */
export function pathClash(
  service: ServiceState,
  apiRoot: string,
  properties: ApiProperties,
): ArmError | null {
  const wanted = properties.path.toLowerCase();
  const clash = [...service.apis.values()].find((api) =>
    nameKey(api.name) !== nameKey(apiRoot) &&
    [...api.revisions.values()].some((r) =>
      r.properties.path.toLowerCase() === wanted &&
      !(properties.apiVersionSetId && r.properties.apiVersionSetId &&
        nameKey(r.properties.apiVersionSetId) ===
          nameKey(properties.apiVersionSetId))
    )
  );
  return clash
    ? invalidField(
      "path",
      `Cannot create API '${apiRoot}' with the same Path '${properties.path}' as API '${clash.name}'  unless it's a part of the same version set`,
    )
    : null;
}

/** Throws {@linkcode pathClash}'s error when there is one. */
export function checkPathAvailable(
  service: ServiceState,
  apiRoot: string,
  properties: ApiProperties,
): void {
  const clash = pathClash(service, apiRoot, properties);
  if (clash) throw clash;
}
