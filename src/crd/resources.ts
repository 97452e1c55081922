// Resource descriptors of the apim.operator.io/v1 kinds, for the Kubernetes layer's typed APIs.
import type { ResourceDescriptor } from "../kube/resource.ts";

function apimKind(kind: string, plural: string): ResourceDescriptor {
  return {
    group: "apim.operator.io",
    version: "v1",
    plural,
    kind,
    namespaced: true,
  };
}

/** APIMService. */
export const apimServices: ResourceDescriptor = apimKind(
  "APIMService",
  "apimservices",
);
/** APIMAPI. */
export const apimApis: ResourceDescriptor = apimKind("APIMAPI", "apimapis");
/** APIMAPIDeployment. */
export const apimApiDeployments: ResourceDescriptor = apimKind(
  "APIMAPIDeployment",
  "apimapideployments",
);
/** APIMProduct. */
export const apimProducts: ResourceDescriptor = apimKind(
  "APIMProduct",
  "apimproducts",
);
/** APIMTag. */
export const apimTags: ResourceDescriptor = apimKind("APIMTag", "apimtags");
/** APIMAPIVersionSet. */
export const apimApiVersionSets: ResourceDescriptor = apimKind(
  "APIMAPIVersionSet",
  "apimapiversionsets",
);
/** APIMInboundPolicy. */
export const apimInboundPolicies: ResourceDescriptor = apimKind(
  "APIMInboundPolicy",
  "apiminboundpolicies",
);
