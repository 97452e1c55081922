// Resource descriptors ({group, version, plural, kind, namespaced}) and REST path building.

/** Identifies a REST resource of the API server. `group` is "" for the core group. */
export interface ResourceDescriptor {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** Where in a resource a path points: a namespace, an object, a subresource. */
export interface ResourcePathOptions {
  /** Omit for cluster-scoped resources, or for "all namespaces" on collections. */
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

/** `v1` for the core group, `group/version` otherwise. */
export function apiVersionOf(resource: ResourceDescriptor): string {
  return resource.group === ""
    ? resource.version
    : `${resource.group}/${resource.version}`;
}

function segment(value: string, what: string): string {
  if (value === "" || value === "." || value === "..") {
    throw new TypeError(
      `Cannot build a resource path: invalid ${what} "${value}"`,
    );
  }
  return encodeURIComponent(value);
}

/**
 * The REST path of a collection, an object or a subresource:
 * `/api/v1/namespaces/{ns}/pods/{name}/status`, `/apis/{group}/{version}/{plural}`, ...
 * Names and namespaces are percent-encoded.
 */
export function resourcePath(
  resource: ResourceDescriptor,
  options: ResourcePathOptions = {},
): string {
  const { namespace, name, subresource } = options;
  let path = resource.group === ""
    ? `/api/${resource.version}`
    : `/apis/${resource.group}/${resource.version}`;
  if (namespace !== undefined) {
    if (!resource.namespaced) {
      throw new TypeError(
        `Cannot build a resource path: "${resource.plural}" is cluster-scoped but namespace "${namespace}" was given`,
      );
    }
    path += `/namespaces/${segment(namespace, "namespace")}`;
  } else if (resource.namespaced && name !== undefined) {
    throw new TypeError(
      `Cannot build a resource path: "${resource.plural}" is namespaced but no namespace was given for "${name}"`,
    );
  }
  path += `/${resource.plural}`;
  if (name !== undefined) path += `/${segment(name, "name")}`;
  if (subresource !== undefined) {
    if (name === undefined) {
      throw new TypeError(
        `Cannot build a resource path: subresource "${subresource}" needs an object name`,
      );
    }
    path += `/${segment(subresource, "subresource")}`;
  }
  return path;
}
