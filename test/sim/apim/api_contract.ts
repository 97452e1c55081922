// Rendering an API revision as APIM returns it: the ApiContract of a GET, of a PUT's answer, of a list item, of a product link.
//
// The recordings (test/fixtures/azure-recordings) show four renderings of the same API:
// - entity (GET, HEAD, the final poll): `authenticationSettings` with `oAuth2`, `openid` and, from
//   2022-08-01 on, the arrays `oAuth2AuthenticationSettings` / `openidAuthenticationSettings`
//   (aso-…578500a#129); `subscriptionKeyParameterNames`; no `apiVersionSet`; no `isOnline`
//   (every recorded API body); `type` absent for `http` APIs (aso-…20240501#68 after a PUT with
//   `type: "http"`);
// - put (the answer of the API's own PUT): like the entity plus the `apiVersionSet` summary of an
//   API in a set (version_sets.ts), and at 2022-08-01 without the two arrays (aso-…578500a#119 vs
//   #129; at 2024-05-01 with them, #57);
// - list (`/apis`, `/products/{p}/apis`): `authenticationSettings` and
//   `subscriptionKeyParameterNames` null (net-ApiTests#2, net-ProductTests#3), no contact, terms,
//   version set or type;
// - link (answer of `PUT /products/{p}/apis/{a}`): the list rendering with `protocols` null too,
//   and at 2024-05-01 `specificationLastUpdated` (aso-…20240501#86).
// `isCurrent` appears only when true: a non-current revision has no `isCurrent` field at all
// (net-ApiRevisionTests#9, #10; cli-test_apim_api_revision#4, #5).

import type { ApiVersion } from "./context.ts";
import {
  compact,
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from "./json.ts";
import {
  type ApiProperties,
  serviceResourceId,
  type ServiceState,
} from "./store.ts";
import { embeddedVersionSet } from "./version_sets.ts";

/** Which of APIM's renderings of an API (see the module header). */
export type ApiView = "entity" | "put" | "list" | "link";

/** How a response renders an API: the view and the request's api-version. */
export interface RenderAs {
  view: ApiView;
  apiVersion: ApiVersion;
}

/** The pieces an ApiContract is rendered from. */
export interface ApiContractParts {
  service: ServiceState;
  /** `name` as addressed (`echo-api` or `echo-api;rev=3`). */
  name: string;
  revision: string;
  properties: ApiProperties;
  isCurrent: boolean;
  /** When the revision last changed (for `specificationLastUpdated`). */
  updatedAt?: string;
  provisioningState?: string;
  /** ARM id and type override, e.g. for product API listings. */
  id?: string;
  type?: string;
}

function authenticationSettings(
  stored: JsonValue | undefined,
  withArrays: boolean,
): JsonObject {
  const value = isJsonObject(stored) ? stored : {};
  const oAuth2 = value.oAuth2 ?? null;
  const openid = value.openid ?? null;
  const settings: JsonObject = { oAuth2, openid };
  if (withArrays) {
    settings.oAuth2AuthenticationSettings =
      value.oAuth2AuthenticationSettings ?? (oAuth2 === null ? [] : [oAuth2]);
    settings.openidAuthenticationSettings =
      value.openidAuthenticationSettings ?? (openid === null ? [] : [openid]);
  }
  return settings;
}

function fullProperties(parts: ApiContractParts, as: RenderAs) {
  const p = parts.properties;
  const { authenticationSettings: auth, ...extra } = p.extra;
  const withArrays = !(as.view === "put" && as.apiVersion === "2022-08-01");
  return {
    ...extra,
    authenticationSettings: authenticationSettings(auth, withArrays),
    subscriptionKeyParameterNames: p.subscriptionKeyParameterNames,
    type: p.type === "http" ? undefined : p.type,
    apiVersionSetId: p.apiVersionSetId,
    apiVersionSet: as.view === "put"
      ? embeddedVersionSet(parts.service, p.apiVersionSetId)
      : undefined,
    provisioningState: parts.provisioningState,
  };
}

function summaryProperties(parts: ApiContractParts, as: RenderAs) {
  const link = as.view === "link";
  return {
    specificationLastUpdated: link && as.apiVersion === "2024-05-01"
      ? parts.updatedAt
      : undefined,
    protocols: link ? null : parts.properties.protocols,
    authenticationSettings: null,
    subscriptionKeyParameterNames: null,
  };
}

/** `{id, type, name, properties}` as APIM returns an API in the given view. */
export function apiContract(parts: ApiContractParts, as: RenderAs): JsonObject {
  const p = parts.properties;
  const summary = as.view === "list" || as.view === "link";
  return {
    id: parts.id ?? `${serviceResourceId(parts.service)}/apis/${parts.name}`,
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
      ...(summary ? summaryProperties(parts, as) : fullProperties(parts, as)),
      isCurrent: parts.isCurrent ? true : undefined,
      apiRevisionDescription: p.apiRevisionDescription,
      apiVersion: p.apiVersion,
      apiVersionDescription: p.apiVersionDescription,
    }),
  };
}
