// Builders for the manifests e2e tests apply (our kinds), with the simulator's subscription and resource group.
import { RESOURCE_GROUP, SUBSCRIPTION_ID } from "./e2e_environment.ts";

const API_VERSION = "apim.operator.io/v1";

/** An APIMService pointing at a simulated instance. */
export function apimServiceManifest(
  namespace: string,
  name: string,
  azureName: string,
): object {
  return {
    apiVersion: API_VERSION,
    kind: "APIMService",
    metadata: { name, namespace },
    spec: {
      name: azureName,
      resourceGroup: RESOURCE_GROUP,
      subscription: SUBSCRIPTION_ID,
    },
  };
}

/** An object of one of our kinds. */
function ourKind(
  kind: string,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): object {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { ...metadata, name, namespace },
    spec,
  };
}

/** An APIMAPI with the given spec (and optional metadata such as annotations). */
export function apimApiManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): object {
  return ourKind("APIMAPI", namespace, name, spec, metadata);
}

/** An APIMProduct. */
export function apimProductManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): object {
  return ourKind("APIMProduct", namespace, name, spec);
}

/** An APIMTag. */
export function apimTagManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): object {
  return ourKind("APIMTag", namespace, name, spec);
}

/** An APIMAPIVersionSet. */
export function apimVersionSetManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): object {
  return ourKind("APIMAPIVersionSet", namespace, name, spec);
}

/** An APIMInboundPolicy. */
export function apimInboundPolicyManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): object {
  return ourKind("APIMInboundPolicy", namespace, name, spec);
}
