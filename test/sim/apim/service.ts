// The APIM service resource: creating its state and `GET .../service/{name}` in the shape of ApiManagementServiceGetService.json.

import { randomUUID } from "node:crypto";
import type { ApiVersion, RequestContext, Route } from "./context.ts";
import { entityResponse } from "./http.ts";
import { compact, type JsonObject } from "./json.ts";
import { LinkTable, serviceResourceId, type ServiceState } from "./store.ts";

/** What a test says about a service it adds. */
export interface ServiceSpec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Azure region display name (default "West Europe"). */
  location?: string;
  /** Default Developer, capacity 1. */
  sku?: { name: string; capacity: number };
  /** Custom Proxy host name (default SSL binding); the built-in `{name}.azure-api.net` stays too. */
  gatewayHostname?: string;
  /** Custom developer portal host name. */
  developerPortalHostname?: string;
  /** Default `Succeeded`. */
  provisioningState?: string;
  publisherEmail?: string;
  publisherName?: string;
  /** Start with what a new instance holds (the Echo API in the Starter product) instead of nothing. */
  defaultContent?: boolean;
}

/** A new, empty service. */
export function newServiceState(
  spec: ServiceSpec,
  etag: string,
  nowMs: number,
): ServiceState {
  const service: ServiceState = {
    subscriptionId: spec.subscriptionId,
    resourceGroup: spec.resourceGroup,
    name: spec.name,
    location: spec.location ?? "West Europe",
    sku: spec.sku ?? { name: "Developer", capacity: 1 },
    publisherEmail: spec.publisherEmail ?? "apim@example.com",
    publisherName: spec.publisherName ?? "APIM simulator",
    principalId: randomUUID(),
    provisioningState: spec.provisioningState ?? "Succeeded",
    etag,
    createdAt: new Date(nowMs).toISOString(),
    apis: new Map(),
    products: new Map(),
    tags: new Map(),
    versionSets: new Map(),
    productLinks: new LinkTable(),
    tagLinks: new LinkTable(),
  };
  if (spec.gatewayHostname) service.gatewayHostname = spec.gatewayHostname;
  if (spec.developerPortalHostname) {
    service.developerPortalHostname = spec.developerPortalHostname;
  }
  return service;
}

const PUBLIC_IP = "203.0.113.10";

/** The gateway security settings every service reports (all off by default). */
const DEFAULT_SECURITY_SETTINGS = [
  "Ciphers.TripleDes168",
  "Protocols.Tls11",
  "Protocols.Tls10",
  "Protocols.Ssl30",
  "Backend.Protocols.Tls11",
  "Backend.Protocols.Tls10",
  "Backend.Protocols.Ssl30",
].map((s) => `Microsoft.WindowsAzure.ApiManagement.Gateway.Security.${s}`)
  .concat(
    "Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2",
  );

function hostname(
  type: string,
  hostName: string,
  custom: boolean,
  defaultSslBinding: boolean,
): JsonObject {
  return {
    type,
    hostName,
    negotiateClientCertificate: false,
    defaultSslBinding,
    certificateSource: custom ? "Custom" : "BuiltIn",
  };
}

/** The ApiManagementServiceResource body at `apiVersion`. */
function renderService(
  service: ServiceState,
  apiVersion: ApiVersion,
): JsonObject {
  const host = service.name.toLowerCase();
  const region = service.location.toLowerCase().replace(/\s+/g, "");
  const gateway = `${host}.azure-api.net`;
  const portal = `${host}.developer.azure-api.net`;
  const configs = [
    hostname("Proxy", gateway, false, service.gatewayHostname === undefined),
    ...(service.gatewayHostname
      ? [hostname("Proxy", service.gatewayHostname, true, true)]
      : []),
    ...(service.developerPortalHostname
      ? [
        hostname(
          "DeveloperPortal",
          service.developerPortalHostname,
          true,
          false,
        ),
      ]
      : []),
  ];
  const modified = {
    createdBy: "apim-simulator",
    createdByType: "Application",
    createdAt: service.createdAt,
    lastModifiedBy: "apim-simulator",
    lastModifiedByType: "Application",
    lastModifiedAt: service.createdAt,
  };
  return {
    id: serviceResourceId(service),
    name: service.name,
    type: "Microsoft.ApiManagement/service",
    tags: {},
    location: service.location,
    etag: service.etag,
    properties: compact({
      publisherEmail: service.publisherEmail,
      publisherName: service.publisherName,
      notificationSenderEmail: "apimgmt-noreply@mail.windowsazure.com",
      provisioningState: service.provisioningState,
      targetProvisioningState: service.provisioningState === "Succeeded"
        ? ""
        : "Succeeded",
      createdAtUtc: service.createdAt,
      gatewayUrl: `https://${gateway}`,
      gatewayRegionalUrl: `https://${host}-${region}-01.regional.azure-api.net`,
      portalUrl: `https://${host}.portal.azure-api.net`,
      developerPortalUrl: `https://${portal}`,
      managementApiUrl: `https://${host}.management.azure-api.net`,
      scmUrl: `https://${host}.scm.azure-api.net`,
      hostnameConfigurations: configs,
      publicIPAddresses: [PUBLIC_IP],
      outboundPublicIPAddresses: [PUBLIC_IP],
      natGatewayState: "Disabled",
      additionalLocations: [],
      customProperties: Object.fromEntries(
        DEFAULT_SECURITY_SETTINGS.map((k) => [k, "false"]),
      ),
      virtualNetworkType: "None",
      certificates: [],
      disableGateway: false,
      apiVersionConstraint: { minApiVersion: "2019-12-01" },
      publicNetworkAccess: "Enabled",
      privateEndpointConnections: [],
      platformVersion: "stv2",
      ...(apiVersion === "2024-05-01"
        ? { developerPortalStatus: "Enabled", legacyPortalStatus: "Disabled" }
        : {}),
    }),
    sku: { ...service.sku },
    identity: {
      type: "SystemAssigned",
      principalId: service.principalId,
      tenantId: "00000000-0000-0000-0000-000000000000",
    },
    systemData: modified,
  };
}

function getService(ctx: RequestContext): Response {
  return entityResponse(
    ctx,
    200,
    renderService(ctx.service, ctx.apiVersion),
    ctx.service.etag,
  );
}

/** `GET/HEAD .../service/{serviceName}`. */
export const serviceRoutes: Route[] = [
  { pattern: [], handlers: { GET: getService, HEAD: getService } },
];
