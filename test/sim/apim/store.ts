// In-memory state of simulated APIM services: APIs with revisions, products, tags, links, policies, releases.

import type { JsonObject } from "./json.ts";

/** Case-insensitive key of an ARM/APIM name (ARM and APIM compare names ignoring case). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** One API operation created by an import. */
export interface OperationState {
  /** Resource name (`operations/{name}`). */
  name: string;
  /** Upper-case HTTP method. */
  method: string;
  /** URL template, including required query parameters (`/pets/{id}?q={q}`). */
  urlTemplate: string;
  displayName: string;
  description?: string;
  /** The document's `operationId` it came from, when there was one. */
  sourceOperationId?: string;
  /** Operation-level policy, if any (kept on matched re-import, copied on renames). */
  policy?: PolicyState;
}

/** A policy (API or operation scope). */
export interface PolicyState {
  /** Normalised XML as APIM returns it. */
  value: string;
  etag: string;
}

/** Stored properties of one API revision (what the ApiContract shows, minus computed fields). */
export interface ApiProperties {
  displayName: string;
  path: string;
  protocols: string[];
  subscriptionRequired: boolean;
  subscriptionKeyParameterNames: { header: string; query: string };
  isOnline: boolean;
  serviceUrl?: string;
  description?: string;
  type?: string;
  apiRevisionDescription?: string;
  apiVersion?: string;
  apiVersionDescription?: string;
  apiVersionSetId?: string;
  /** Other contract fields kept as given (authenticationSettings, contact, license, ...). */
  extra: JsonObject;
}

/** One revision of an API. */
export interface RevisionState {
  /** "1", "2", ... */
  revision: string;
  properties: ApiProperties;
  operations: OperationState[];
  policy: PolicyState | null;
  etag: string;
  createdAt: string;
  updatedAt: string;
}

/** A release: the record of making a revision current. */
export interface ReleaseState {
  name: string;
  /** ARM id of the released revision as given in the request. */
  apiId: string;
  notes?: string;
  etag: string;
  createdAt: string;
  updatedAt: string;
  /** The policies the revision had when this release made it current (for tests; not rendered). */
  wentLiveWith: LivePolicies;
}

/** Which policies a revision had: its own API-scope policy, and the operations with one. */
export interface LivePolicies {
  apiPolicy: boolean;
  operationPolicies: string[];
}

/** An API (all its revisions). */
export interface ApiState {
  /** API id as first created (without `;rev=`). */
  name: string;
  revisions: Map<string, RevisionState>;
  currentRevision: string;
  releases: Map<string, ReleaseState>;
  /** Clock time from which GET/list see the API (read-after-write lag of a create). */
  visibleAt: number;
}

/** A product. */
export interface ProductState {
  name: string;
  displayName: string;
  description?: string;
  terms?: string;
  subscriptionRequired: boolean;
  approvalRequired: boolean;
  subscriptionsLimit?: number;
  state: "published" | "notPublished";
  /** Groups linked to the product; creation adds `administrators` like the real service. */
  groups: string[];
  /** Number of subscriptions to the product (set by tests; DELETE honours `deleteSubscriptions`). */
  subscriptionCount: number;
  etag: string;
}

/** A tag. */
export interface TagState {
  name: string;
  displayName: string;
  etag: string;
}

/** How a version set tells versions apart (`VersioningScheme`). */
export type VersioningScheme = "Segment" | "Query" | "Header";

/** An API version set: the APIs (versions) that share a path and differ by `apiVersion`. */
export interface VersionSetState {
  name: string;
  displayName: string;
  description?: string;
  versioningScheme: VersioningScheme;
  versionQueryName?: string;
  versionHeaderName?: string;
  etag: string;
}

/** A product–API or tag–API association. */
export interface LinkState {
  /** API id (root name) as linked. */
  apiName: string;
  /** Link resource name (`apiLinks/{name}`); the API id for classic associations. */
  linkName: string;
  etag: string;
}

/** Associations between a parent (product or tag) and APIs. */
export class LinkTable {
  readonly #byParent = new Map<string, Map<string, LinkState>>();

  /** Links `apiName` under `parent`; `created` is false when it already was. */
  link(parent: string, apiName: string, linkName: string, etag: string): {
    link: LinkState;
    created: boolean;
  } {
    const links = this.#byParent.get(nameKey(parent)) ??
      new Map<string, LinkState>();
    this.#byParent.set(nameKey(parent), links);
    const existing = links.get(nameKey(apiName));
    if (existing) {
      existing.linkName = linkName;
      return { link: existing, created: false };
    }
    const link = { apiName, linkName, etag };
    links.set(nameKey(apiName), link);
    return { link, created: true };
  }

  /** Removes one association; false when there was none. */
  unlink(parent: string, apiName: string): boolean {
    return this.#byParent.get(nameKey(parent))?.delete(nameKey(apiName)) ??
      false;
  }

  /** The association, if any. */
  get(parent: string, apiName: string): LinkState | undefined {
    return this.#byParent.get(nameKey(parent))?.get(nameKey(apiName));
  }

  /** The association with link name `linkName`, if any. */
  byLinkName(parent: string, linkName: string): LinkState | undefined {
    for (const link of this.of(parent)) {
      if (nameKey(link.linkName) === nameKey(linkName)) return link;
    }
    return undefined;
  }

  /** Associations of `parent`, in insertion order. */
  of(parent: string): LinkState[] {
    return [...(this.#byParent.get(nameKey(parent))?.values() ?? [])];
  }

  /** Parents linked to `apiName`. */
  parentsOf(apiName: string): string[] {
    return [...this.#byParent.entries()]
      .filter(([, links]) => links.has(nameKey(apiName)))
      .map(([parent]) => parent);
  }

  /** Drops every association of `apiName` (API deleted). */
  removeApi(apiName: string): void {
    for (const links of this.#byParent.values()) links.delete(nameKey(apiName));
  }

  /** Drops every association of `parent` (product or tag deleted). */
  removeParent(parent: string): void {
    this.#byParent.delete(nameKey(parent));
  }
}

/** One APIM service instance and everything in it. */
export interface ServiceState {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  sku: { name: string; capacity: number };
  /** Custom gateway (Proxy) host name with the default SSL binding, if any. */
  gatewayHostname?: string;
  /** Custom developer portal host name, if any. */
  developerPortalHostname?: string;
  publisherEmail: string;
  publisherName: string;
  /** Object id of the service's system-assigned identity. */
  principalId: string;
  /** `Succeeded`, or e.g. `Updating` (writes then fail). */
  provisioningState: string;
  etag: string;
  createdAt: string;
  apis: Map<string, ApiState>;
  products: Map<string, ProductState>;
  tags: Map<string, TagState>;
  versionSets: Map<string, VersionSetState>;
  productLinks: LinkTable;
  tagLinks: LinkTable;
}

/** ARM id of a service. */
export function serviceResourceId(service: ServiceState): string {
  return `/subscriptions/${service.subscriptionId}/resourceGroups/${service.resourceGroup}/providers/Microsoft.ApiManagement/service/${service.name}`;
}

/** Every service, addressed by subscription, resource group and name. */
export class ApimStore {
  readonly #services = new Map<string, ServiceState>();

  static #key(subscriptionId: string, resourceGroup: string, name: string) {
    return nameKey(`${subscriptionId}/${resourceGroup}/${name}`);
  }

  /** Adds a service (replacing one with the same address). */
  add(service: ServiceState): void {
    this.#services.set(
      ApimStore.#key(
        service.subscriptionId,
        service.resourceGroup,
        service.name,
      ),
      service,
    );
  }

  /** Removes a service; false when there was none. */
  remove(subscriptionId: string, resourceGroup: string, name: string): boolean {
    return this.#services.delete(
      ApimStore.#key(subscriptionId, resourceGroup, name),
    );
  }

  /** The service, if it exists. */
  find(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
  ): ServiceState | undefined {
    return this.#services.get(
      ApimStore.#key(subscriptionId, resourceGroup, name),
    );
  }

  /** Whether any service lives in the subscription. */
  hasSubscription(subscriptionId: string): boolean {
    return [...this.#services.values()].some((s) =>
      nameKey(s.subscriptionId) === nameKey(subscriptionId)
    );
  }

  /** Whether any service lives in the resource group. */
  hasResourceGroup(subscriptionId: string, resourceGroup: string): boolean {
    return [...this.#services.values()].some((s) =>
      nameKey(s.subscriptionId) === nameKey(subscriptionId) &&
      nameKey(s.resourceGroup) === nameKey(resourceGroup)
    );
  }
}
