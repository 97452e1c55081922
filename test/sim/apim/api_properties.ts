// API request bodies (zod), merging them into stored revision properties, and rendering the ApiContract.

import { z } from "zod";
import { invalidField } from "./arm_error.ts";
import { boundedString } from "./http.ts";
import { embeddedVersionSet } from "./version_sets.ts";
import { compact, type JsonObject, type JsonValue } from "./json.ts";
import {
  type ApiProperties,
  nameKey,
  serviceResourceId,
  type ServiceState,
} from "./store.ts";

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

/** What an imported document contributes when the request does not say. */
export interface DocumentDefaults {
  title?: string;
  description?: string;
  serverUrl?: string;
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
 * or null for a create), with import `doc` defaults. PUT and PATCH both merge: fields the request
 * leaves out keep their value. Throws 400 for a missing path or display name.
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
      pick(input.protocols, base?.protocols) ?? ["https"],
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
    description: pick(input.description, doc?.description, base?.description),
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
 * Rejects a path another API already uses; revisions of the same API and APIs of the same version
 * set may share it. Without version sets the answer is "API with specified URL path '...' already
 * exists." (azure-api-management-devops-resource-kit#147, #434); when either API is in a version
 * set it names both APIs (Azure/apiops#697, 2024).
 */
export function checkPathAvailable(
  service: ServiceState,
  apiRoot: string,
  properties: ApiProperties,
  pendingPaths: readonly { apiRoot: string; properties: ApiProperties }[],
): void {
  const wanted = properties.path.toLowerCase();
  const others = [...service.apis.values()].flatMap((api) =>
    [...api.revisions.values()].map((r) => ({
      apiRoot: api.name,
      properties: r.properties,
    }))
  ).concat(pendingPaths);
  const clash = others.find((o) =>
    nameKey(o.apiRoot) !== nameKey(apiRoot) &&
    o.properties.path.toLowerCase() === wanted &&
    !(properties.apiVersionSetId && o.properties.apiVersionSetId &&
      nameKey(o.properties.apiVersionSetId) ===
        nameKey(properties.apiVersionSetId))
  );
  if (!clash) return;
  if (properties.apiVersionSetId || clash.properties.apiVersionSetId) {
    throw invalidField(
      "path",
      `Cannot create API '${apiRoot}' with the same Path '${properties.path}' as API '${clash.apiRoot}' unless it's a part of the same version set`,
    );
  }
  throw invalidField(
    "path",
    `API with specified URL path '${properties.path}' already exists.`,
  );
}

function authenticationSettings(value: JsonValue | undefined) {
  if (
    value === undefined || value === null || typeof value !== "object" ||
    Array.isArray(value)
  ) return value;
  const out: JsonObject = { ...value };
  if (value.oAuth2 && !value.oAuth2AuthenticationSettings) {
    out.oAuth2AuthenticationSettings = [value.oAuth2];
  }
  if (value.openid && !value.openidAuthenticationSettings) {
    out.openidAuthenticationSettings = [value.openid];
  }
  return out;
}

/** The pieces an ApiContract is rendered from. */
export interface ApiContractParts {
  service: ServiceState;
  /** `name` as addressed (`echo-api` or `echo-api;rev=3`). */
  name: string;
  revision: string;
  properties: ApiProperties;
  isCurrent: boolean;
  provisioningState?: string;
  /** ARM id and type override, e.g. for product API listings. */
  id?: string;
  type?: string;
}

/** `{id, type, name, properties}` as APIM returns an API. */
export function apiContract(parts: ApiContractParts): JsonObject {
  const p = parts.properties;
  const versionSet = embeddedVersionSet(parts.service, p.apiVersionSetId);
  return {
    id: parts.id ??
      `${serviceResourceId(parts.service)}/apis/${parts.name}`,
    type: parts.type ?? "Microsoft.ApiManagement/service/apis",
    name: parts.name,
    properties: compact({
      displayName: p.displayName,
      apiRevision: parts.revision,
      description: p.description,
      subscriptionRequired: p.subscriptionRequired,
      serviceUrl: p.serviceUrl,
      path: p.path,
      protocols: p.protocols,
      ...p.extra,
      authenticationSettings: authenticationSettings(
        p.extra.authenticationSettings,
      ),
      subscriptionKeyParameterNames: p.subscriptionKeyParameterNames,
      type: p.type,
      isCurrent: parts.isCurrent,
      isOnline: p.isOnline,
      apiRevisionDescription: p.apiRevisionDescription,
      apiVersion: p.apiVersion,
      apiVersionDescription: p.apiVersionDescription,
      apiVersionSetId: p.apiVersionSetId,
      apiVersionSet: versionSet,
      provisioningState: parts.provisioningState,
    }),
  };
}
