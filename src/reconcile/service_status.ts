// What an APIMService's status says, derived from the instance ARM returned.
import type { ApimService as ArmApimService } from "../azure/apim_schemas.ts";
import type { ApimServiceStatus } from "../crd/apim_service.ts";
import type { StatusVerdict } from "./conditions.ts";

type Hostname = NonNullable<
  ArmApimService["properties"]["hostnameConfigurations"]
>[number];

function hostOf(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/**
 * The gateway host APIs are reached at: the Proxy hostname bound by default (a custom domain),
 * else the first Proxy hostname, else the gateway URL's host.
 */
export function proxyHostname(service: ArmApimService): string | undefined {
  const proxies = (service.properties.hostnameConfigurations ?? []).filter((
    h: Hostname,
  ) => h.type === "Proxy");
  const preferred =
    proxies.find((h: Hostname) => h.defaultSslBinding === true) ?? proxies[0];
  return preferred?.hostName ?? hostOf(service.properties.gatewayUrl);
}

/** The developer portal host: the DeveloperPortal hostname, else the portal URL's host. */
export function developerPortalHostname(
  service: ArmApimService,
): string | undefined {
  const portal = (service.properties.hostnameConfigurations ?? []).find((
    h: Hostname,
  ) => h.type === "DeveloperPortal");
  return portal?.hostName ?? hostOf(service.properties.developerPortalUrl);
}

/** Status fields (conditions aside) for an instance read from ARM. */
export function serviceStatusFields(service: ArmApimService): Omit<
  ApimServiceStatus,
  "conditions" | "observedGeneration"
> {
  const proxy = proxyHostname(service);
  const portal = developerPortalHostname(service);
  const p = service.properties;
  return {
    ...(p.gatewayUrl ? { gatewayUrl: p.gatewayUrl } : {}),
    ...(p.developerPortalUrl
      ? { developerPortalUrl: p.developerPortalUrl }
      : {}),
    ...(proxy ? { proxyHostname: proxy, host: proxy } : {}),
    ...(portal ? { developerPortalHostname: portal } : {}),
    hostnames: (p.hostnameConfigurations ?? []).map((h: Hostname) => ({
      type: h.type,
      hostName: h.hostName,
      ...(typeof h.defaultSslBinding !== "boolean"
        ? {}
        : { defaultSslBinding: h.defaultSslBinding }),
    })),
    ...(p.provisioningState ? { provisioningState: p.provisioningState } : {}),
    sku: service.sku.name,
    location: service.location,
  };
}

/** Ready once the instance is provisioned and has a gateway host. */
export function serviceVerdict(service: ArmApimService): StatusVerdict {
  const state = service.properties.provisioningState ?? "Succeeded";
  if (state === "Failed") {
    return {
      state: "stalled",
      reason: "ServiceFailed",
      message: `API Management instance "${service.name}" is Failed`,
    };
  }
  if (state !== "Succeeded") {
    return {
      state: "progressing",
      reason: "ServiceProvisioning",
      message: `API Management instance "${service.name}" is ${state}`,
    };
  }
  if (!proxyHostname(service)) {
    return {
      state: "stalled",
      reason: "NoGatewayHost",
      message:
        `API Management instance "${service.name}" reports no gateway hostname`,
    };
  }
  return {
    state: "ready",
    reason: "ServiceReady",
    message: `API Management instance "${service.name}" is ready`,
  };
}
