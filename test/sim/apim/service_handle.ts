// A test's view of one simulated service: snapshots of what it holds, and "portal" changes made out of band.

import { bumpRevisionEtag, removeApi } from "./api_state.ts";
import type { ApimRuntime } from "./context.ts";
import { parseApiAddress } from "./ids.ts";
import { parsePolicy, serializePolicy } from "./policy_xml.ts";
import {
  type ApiProperties,
  type ApiState,
  type LivePolicies,
  nameKey,
  type OperationState,
  type ProductState,
  type RevisionState,
  serviceResourceId,
  type ServiceState,
  type VersionSetState,
} from "./store.ts";

/** One revision as a test sees it. */
export interface RevisionSnapshot {
  revision: string;
  isCurrent: boolean;
  etag: string;
  properties: ApiProperties;
  operations: OperationState[];
  /** Normalised API policy XML, if any. */
  policy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A release as a test sees it. */
export interface ReleaseSnapshot {
  name: string;
  apiId: string;
  notes?: string;
  /** The policies the released revision had when it went live. */
  wentLiveWith: LivePolicies;
}

/** An API with all its revisions and associations. */
export interface ApiSnapshot {
  name: string;
  currentRevision: string;
  revisions: RevisionSnapshot[];
  releases: ReleaseSnapshot[];
  productIds: string[];
  tagIds: string[];
  /** False during the read-after-write lag after a create. */
  visible: boolean;
}

/** A product as a test sees it (groups include `administrators` after creation). */
export type ProductSnapshot = ProductState;

/** A tag as a test sees it. */
export interface TagSnapshot {
  name: string;
  displayName: string;
  etag: string;
}

function revisionSnapshot(api: ApiState, r: RevisionState): RevisionSnapshot {
  return structuredClone({
    revision: r.revision,
    isCurrent: api.currentRevision === r.revision,
    etag: r.etag,
    properties: r.properties,
    operations: r.operations,
    policy: r.policy?.value ?? null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  });
}

/** Read access and out-of-band mutators for one service. */
export class ServiceHandle {
  readonly #service: ServiceState;
  readonly #runtime: ApimRuntime;

  constructor(service: ServiceState, runtime: ApimRuntime) {
    this.#service = service;
    this.#runtime = runtime;
  }

  get subscriptionId(): string {
    return this.#service.subscriptionId;
  }

  get resourceGroup(): string {
    return this.#service.resourceGroup;
  }

  get name(): string {
    return this.#service.name;
  }

  /** ARM id of the service (`/subscriptions/.../service/{name}`). */
  get resourceId(): string {
    return serviceResourceId(this.#service);
  }

  /** Service `provisioningState`; anything but `Succeeded` makes writes fail (422). */
  get provisioningState(): string {
    return this.#service.provisioningState;
  }

  set provisioningState(state: string) {
    this.#service.provisioningState = state;
  }

  #api(id: string): ApiState | undefined {
    return this.#service.apis.get(nameKey(parseApiAddress(id).root));
  }

  #snapshot(api: ApiState): ApiSnapshot {
    const s = this.#service;
    return {
      name: api.name,
      currentRevision: api.currentRevision,
      revisions: [...api.revisions.values()].map((r) =>
        revisionSnapshot(api, r)
      ),
      releases: [...api.releases.values()].map((r) => ({
        name: r.name,
        apiId: r.apiId,
        ...(r.notes === undefined ? {} : { notes: r.notes }),
        wentLiveWith: structuredClone(r.wentLiveWith),
      })),
      productIds: [...s.products.values()].filter((p) =>
        s.productLinks.get(p.name, api.name)
      )
        .map((p) => p.name),
      tagIds: [...s.tags.values()].filter((t) =>
        s.tagLinks.get(t.name, api.name)
      ).map((t) => t.name),
      visible: api.visibleAt <= this.#runtime.clock.now(),
    };
  }

  /** The API (by id, `;rev=` ignored) with its revisions, or undefined. */
  api(id: string): ApiSnapshot | undefined {
    const api = this.#api(id);
    return api && this.#snapshot(api);
  }

  /** The current revision of an API, or undefined. */
  currentRevision(id: string): RevisionSnapshot | undefined {
    const api = this.#api(id);
    const current = api?.revisions.get(api.currentRevision);
    return api && current && revisionSnapshot(api, current);
  }

  /** Every API. */
  apis(): ApiSnapshot[] {
    return [...this.#service.apis.values()].map((a) => this.#snapshot(a));
  }

  /** A product, or undefined. */
  product(id: string): ProductSnapshot | undefined {
    const p = this.#service.products.get(nameKey(id));
    return p && structuredClone(p);
  }

  /** Every product. */
  products(): ProductSnapshot[] {
    return [...this.#service.products.values()].map((p) => structuredClone(p));
  }

  /** Ids of the APIs linked to a product. */
  productApis(productId: string): string[] {
    return this.#service.productLinks.of(productId).map((l) => l.apiName);
  }

  /** A tag, or undefined. */
  tag(id: string): TagSnapshot | undefined {
    const t = this.#service.tags.get(nameKey(id));
    return t && { ...t };
  }

  /** Every tag. */
  tags(): TagSnapshot[] {
    return [...this.#service.tags.values()].map((t) => ({ ...t }));
  }

  /** Ids of the APIs a tag is assigned to. */
  tagApis(tagId: string): string[] {
    return this.#service.tagLinks.of(tagId).map((l) => l.apiName);
  }

  /** Whether an async operation on the API is running or settling (writes to it answer 409). */
  isApiLocked(id: string): boolean {
    this.#runtime.operations.settleDue();
    return this.#runtime.operations.lockHolder(
      this.#service,
      parseApiAddress(id).root,
      this.#runtime.knobs.lockSettleMs,
    ) !== undefined;
  }

  /** Deletes an API with its revisions and links, as if done in the portal. */
  deleteApi(id: string): boolean {
    return removeApi(this.#service, parseApiAddress(id).root);
  }

  /** Deletes one revision that is not the current one, as if done in the portal; false when there is none. */
  deleteRevision(id: string, revision: string): boolean {
    const api = this.#api(id);
    if (!api || api.currentRevision === revision) return false;
    return api.revisions.delete(revision);
  }

  /** Changes properties of the addressed revision (new ETag), as if edited in the portal. */
  updateApi(id: string, change: Partial<Omit<ApiProperties, "extra">>): void {
    const address = parseApiAddress(id);
    const api = this.#api(id);
    const revision = api?.revisions.get(
      address.revision ?? api.currentRevision,
    );
    if (!api || !revision) throw new Error(`No API "${id}"`);
    Object.assign(revision.properties, change);
    bumpRevisionEtag(this.#runtime, { api, revision });
  }

  /** Points the API at another backend, as if edited in the portal. */
  setServiceUrl(id: string, serviceUrl: string): void {
    this.updateApi(id, { serviceUrl });
  }

  /** Gives the addressed revision a new ETag without other changes. */
  bumpApiEtag(id: string): void {
    this.updateApi(id, {});
  }

  /** Sets an operation-level policy (to observe policy copying on re-import). */
  setOperationPolicy(
    apiId: string,
    operationName: string,
    policy: string,
  ): void {
    const api = this.#api(apiId);
    const op = api?.revisions.get(api.currentRevision)?.operations
      .find((o) => nameKey(o.name) === nameKey(operationName));
    if (!op) {
      throw new Error(`No operation "${operationName}" on API "${apiId}"`);
    }
    op.policy = { value: policy, etag: this.#runtime.etags.next() };
  }

  /** Replaces the API-scope policy of the current revision (null: none), as if edited in the portal. */
  setApiPolicy(apiId: string, policy: string | null): void {
    const api = this.#api(apiId);
    const revision = api?.revisions.get(api.currentRevision);
    if (!revision) throw new Error(`No API "${apiId}"`);
    revision.policy = policy === null ? null : {
      value: serializePolicy(parsePolicy(policy, false), false),
      etag: this.#runtime.etags.next(),
    };
  }

  /** The policy XML of an operation of the current revision, or null. */
  operationPolicy(apiId: string, operationName: string): string | null {
    const api = this.#api(apiId);
    const op = api?.revisions.get(api.currentRevision)?.operations
      .find((o) => nameKey(o.name) === nameKey(operationName));
    return op?.policy?.value ?? null;
  }

  /** A version set, or undefined. */
  versionSet(id: string): VersionSetState | undefined {
    const set = this.#service.versionSets.get(nameKey(id));
    return set && structuredClone(set);
  }

  /** Deletes a version set out of band (its APIs keep their apiVersionSetId). */
  deleteVersionSet(id: string): boolean {
    return this.#service.versionSets.delete(nameKey(id));
  }

  /** Removes a product–API link out of band. */
  unlinkProduct(productId: string, apiId: string): boolean {
    return this.#service.productLinks.unlink(productId, apiId);
  }

  /** Removes a tag–API link out of band. */
  unlinkTag(tagId: string, apiId: string): boolean {
    return this.#service.tagLinks.unlink(tagId, apiId);
  }

  /** Creates a product out of band (as the platform team would in the portal). */
  createProduct(id: string, displayName = id, published = true): void {
    this.#service.products.set(nameKey(id), {
      name: id,
      displayName,
      subscriptionRequired: true,
      approvalRequired: false,
      state: published ? "published" : "notPublished",
      groups: ["administrators"],
      subscriptionCount: 0,
      etag: this.#runtime.etags.next(),
    });
  }

  /** Creates a tag out of band. */
  createTag(id: string, displayName = id): void {
    this.#service.tags.set(nameKey(id), {
      name: id,
      displayName,
      etag: this.#runtime.etags.next(),
    });
  }

  /** Deletes a product and its links out of band. */
  deleteProduct(id: string): boolean {
    this.#service.productLinks.removeParent(id);
    return this.#service.products.delete(nameKey(id));
  }

  /** Deletes a tag and its links out of band. */
  deleteTag(id: string): boolean {
    this.#service.tagLinks.removeParent(id);
    return this.#service.tags.delete(nameKey(id));
  }

  /** Sets how many subscriptions a product has (product DELETE then needs deleteSubscriptions). */
  setProductSubscriptionCount(productId: string, count: number): void {
    const product = this.#service.products.get(nameKey(productId));
    if (!product) throw new Error(`No product "${productId}"`);
    product.subscriptionCount = count;
  }
}
