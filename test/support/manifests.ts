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

/** An APIMAPI with the given spec (and optional metadata such as annotations). */
export function apimApiManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): object {
  return {
    apiVersion: API_VERSION,
    kind: "APIMAPI",
    metadata: { ...metadata, name, namespace },
    spec,
  };
}

/** An APIMProduct. */
export function apimProductManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): object {
  return {
    apiVersion: API_VERSION,
    kind: "APIMProduct",
    metadata: { name, namespace },
    spec,
  };
}

/** An APIMTag. */
export function apimTagManifest(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): object {
  return {
    apiVersion: API_VERSION,
    kind: "APIMTag",
    metadata: { name, namespace },
    spec,
  };
}
