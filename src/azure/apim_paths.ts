// APIM resource addresses: id validation (reference A.1), ARM ids and request paths of every entity we touch.

import { InvalidArmRequestError } from "./arm_error.ts";
import { type ArmPath, armPath } from "./arm_path.ts";

/** An APIM instance in ARM. */
export interface ApimServiceRef {
  subscriptionId: string;
  resourceGroup: string;
  serviceName: string;
}

/** The kinds of ids in APIM paths, each with its own rule. */
export type ApimIdKind =
  | "subscriptionId"
  | "resourceGroup"
  | "serviceName"
  | "apiId"
  | "apiIdWithoutRevision"
  | "releaseId"
  | "productId"
  | "tagId"
  | "operationId"
  | "versionSetId";

interface IdRule {
  label: string;
  max: number;
  pattern?: RegExp;
  hint?: string;
}

const NO_SPECIAL = /^[^*#&+:<>?]+$/;
const NO_SPECIAL_HINT = "without * # & + : < > ?";

const ID_RULES: Readonly<Record<ApimIdKind, IdRule>> = {
  // Real ids are GUIDs, but anything without separators is addressable once percent-encoded
  // (the seed README's samples use placeholders such as "<your-azure-subscription-id>").
  subscriptionId: {
    label: "subscription id",
    max: 64,
    pattern: /^[^\s/\\?#]+$/,
    hint: "without spaces, / \\ ? #",
  },
  resourceGroup: {
    label: "resource group",
    max: 90,
    pattern: /^[-\w.()]*[-\w()]$/,
    hint: "letters, digits, - _ . ( ), not ending in .",
  },
  serviceName: {
    label: "APIM service name",
    max: 50,
    pattern: /^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    hint: "a letter first, then letters, digits and -, not ending in -",
  },
  apiId: {
    label: "API id",
    max: 256,
    pattern: NO_SPECIAL,
    hint: NO_SPECIAL_HINT,
  },
  apiIdWithoutRevision: { label: "API id", max: 80 },
  releaseId: {
    label: "release id",
    max: 80,
    pattern: NO_SPECIAL,
    hint: NO_SPECIAL_HINT,
  },
  productId: { label: "product id", max: 256 },
  tagId: {
    label: "tag id",
    max: 80,
    pattern: NO_SPECIAL,
    hint: NO_SPECIAL_HINT,
  },
  operationId: {
    label: "operation id",
    max: 80,
    pattern: NO_SPECIAL,
    hint: NO_SPECIAL_HINT,
  },
  versionSetId: {
    label: "version set id",
    max: 80,
    pattern: NO_SPECIAL,
    hint: NO_SPECIAL_HINT,
  },
};

/**
 * Checks an id against APIM's length and pattern for its kind and returns it.
 *
 * @throws {InvalidArmRequestError} naming the id and the rule it breaks
 */
export function validateApimId(kind: ApimIdKind, value: string): string {
  const rule = ID_RULES[kind];
  if (value.length < 1 || value.length > rule.max) {
    throw new InvalidArmRequestError(
      `Invalid ${rule.label} "${value}": must be 1 to ${rule.max} characters`,
    );
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    throw new InvalidArmRequestError(
      `Invalid ${rule.label} "${value}": must be ${rule.hint}`,
    );
  }
  return value;
}

/** An API (or one revision of it: `apiId;rev=n`) in an APIM instance. */
export interface ApiRef {
  service: ApimServiceRef;
  apiId: string;
}

/** A product in an APIM instance. */
export interface ProductRef {
  service: ApimServiceRef;
  productId: string;
}

/** A tag in an APIM instance. */
export interface TagRef {
  service: ApimServiceRef;
  tagId: string;
}

/** An API version set in an APIM instance. */
export interface VersionSetRef {
  service: ApimServiceRef;
  versionSetId: string;
}

/** Where a policy lives: an API (or revision), or one operation of it. */
export interface PolicyScope {
  api: ApiRef;
  /** The operation's resource name; absent for the API-scope policy. */
  operationId?: string | undefined;
}

/** The ARM id of the APIM instance (not encoded; also the key of the per-instance write limit). */
export function serviceResourceId(service: ApimServiceRef): string {
  return `/subscriptions/${service.subscriptionId}/resourceGroups/${service.resourceGroup}/providers/Microsoft.ApiManagement/service/${service.serviceName}`;
}

/** The ARM id of an API or revision, as APIM bodies carry it (`sourceApiId`, release `apiId`). */
export function apiResourceId(api: ApiRef): string {
  return `${serviceResourceId(api.service)}/apis/${api.apiId}`;
}

/** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{name}` */
export function servicePath(service: ApimServiceRef): ArmPath {
  return armPath`/subscriptions/${
    validateApimId("subscriptionId", service.subscriptionId)
  }/resourceGroups/${
    validateApimId("resourceGroup", service.resourceGroup)
  }/providers/Microsoft.ApiManagement/service/${
    validateApimId("serviceName", service.serviceName)
  }`;
}

/** `{service}/apis` */
export function apisPath(service: ApimServiceRef): ArmPath {
  return servicePath(service).append`/apis`;
}

/** `{service}/apis/{apiId}` (the id may carry `;rev=n`) */
export function apiPath(api: ApiRef): ArmPath {
  return apisPath(api.service).append`/${validateApimId("apiId", api.apiId)}`;
}

/** `{service}/apis/{apiId}/revisions` */
export function apiRevisionsPath(api: ApiRef): ArmPath {
  return apisPath(api.service).append`/${
    validateApimId("apiIdWithoutRevision", api.apiId)
  }/revisions`;
}

/** `{service}/apis/{apiId}/releases/{releaseId}` */
export function apiReleasePath(api: ApiRef, releaseId: string): ArmPath {
  return apisPath(api.service).append`/${
    validateApimId("apiIdWithoutRevision", api.apiId)
  }/releases/${validateApimId("releaseId", releaseId)}`;
}

/** The ARM id of a version set, as an API's `apiVersionSetId` names it. */
export function versionSetResourceId(set: VersionSetRef): string {
  return `${serviceResourceId(set.service)}/apiVersionSets/${set.versionSetId}`;
}

/** `{service}/apis/{apiId}/policies/policy` (the only policy id APIM has) */
export function apiPolicyPath(api: ApiRef): ArmPath {
  return apiPath(api).append`/policies/policy`;
}

/** `{service}/apis/{apiId}/operations` */
export function apiOperationsPath(api: ApiRef): ArmPath {
  return apiPath(api).append`/operations`;
}

/** `{service}/apis/{apiId}/operations/{operationId}` */
export function apiOperationPath(api: ApiRef, operationId: string): ArmPath {
  return apiOperationsPath(api).append`/${
    validateApimId("operationId", operationId)
  }`;
}

/** The policy of an API or of one of its operations (`.../policies/policy`). */
export function policyPath(scope: PolicyScope): ArmPath {
  return scope.operationId === undefined
    ? apiPolicyPath(scope.api)
    : apiOperationPath(scope.api, scope.operationId).append`/policies/policy`;
}

/** `{service}/apiVersionSets/{versionSetId}` */
export function versionSetPath(set: VersionSetRef): ArmPath {
  return servicePath(set.service).append`/apiVersionSets/${
    validateApimId("versionSetId", set.versionSetId)
  }`;
}

/** `{service}/apis/{apiId}/tags` */
export function apiTagsPath(api: ApiRef): ArmPath {
  return apiPath(api).append`/tags`;
}

/** `{service}/apis/{apiId}/products` */
export function apiProductsPath(api: ApiRef): ArmPath {
  return apiPath(api).append`/products`;
}

/** `{service}/apis/{apiId}/tags/{tagId}` */
export function apiTagPath(api: ApiRef, tagId: string): ArmPath {
  return apiTagsPath(api).append`/${validateApimId("tagId", tagId)}`;
}

/** `{service}/products/{productId}` */
export function productPath(product: ProductRef): ArmPath {
  return servicePath(product.service).append`/products/${
    validateApimId("productId", product.productId)
  }`;
}

/** `{service}/products/{productId}/apis` */
export function productApisPath(product: ProductRef): ArmPath {
  return productPath(product).append`/apis`;
}

/** `{service}/products/{productId}/apis/{apiId}` */
export function productApiPath(product: ProductRef, apiId: string): ArmPath {
  return productApisPath(product).append`/${validateApimId("apiId", apiId)}`;
}

/** `{service}/tags/{tagId}` */
export function tagPath(tag: TagRef): ArmPath {
  return servicePath(tag.service).append`/tags/${
    validateApimId("tagId", tag.tagId)
  }`;
}

/** `{service}/tags/{tagId}/apiLinks` (2022-08-01 and later) */
export function tagApiLinksPath(tag: TagRef): ArmPath {
  return tagPath(tag).append`/apiLinks`;
}
