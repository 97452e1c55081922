// What an API Management entity kind managed by a CR (product, tag, version set) gives the shared lifecycle.

import type { ApimServiceRef } from "../azure/apim_paths.ts";
import type { Versioned } from "../azure/arm_resources.ts";
import type { ApimInstance, Condition, DeletionPolicy } from "../crd/meta.ts";
import type { Cache } from "../kube/cache.ts";
import type { KubeObject } from "../kube/kube_object.ts";
import type { ResourceDescriptor } from "../kube/resource.ts";
import type { ResourceApi } from "../kube/resource_api.ts";
import type { Enqueue } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";
import type { StatusPatch } from "./status_patch.ts";

/** The CR shape the lifecycle needs. */
export interface EntityObject extends KubeObject {
  metadata: KubeObject["metadata"] & { name: string };
  spec: { apimService: string; deletionPolicy?: DeletionPolicy | undefined };
  status?: {
    conditions?: Condition[] | undefined;
    /** Written by older versions after a successful PUT: the entity was theirs to manage. */
    etag?: string | undefined;
    created?: boolean | undefined;
    adopted?: boolean | undefined;
    /** The instance the entity is written to (recorded before the write). */
    instance?: ApimInstance | undefined;
  } | undefined;
}

/** What differs between products and tags. */
export interface EntityKind<
  T extends EntityObject,
  P extends Record<string, unknown>,
> {
  /** Controller name, e.g. `apimproduct`. */
  name: string;
  /** "Product" or "Tag", for messages. */
  noun: string;
  resource: ResourceDescriptor;
  api(ctx: OperatorContext): ResourceApi<T>;
  cache(ctx: OperatorContext): Cache<T>;
  /** The entity id in API Management. */
  idOf(object: T): string;
  desired(object: T): P;
  get(ctx: OperatorContext, service: ApimServiceRef, id: string): Promise<
    Versioned<{ id: string; properties: Record<string, unknown> }> | undefined
  >;
  put(
    ctx: OperatorContext,
    service: ApimServiceRef,
    id: string,
    properties: P,
    ifMatch: string | undefined,
  ): Promise<Versioned<{ id: string; properties: Record<string, unknown> }>>;
  remove(
    ctx: OperatorContext,
    service: ApimServiceRef,
    id: string,
  ): Promise<void>;
  /** Status fields besides the conditions (the seed's phase/message included). */
  statusFields(
    object: T,
    id: string,
    entity: Versioned<{ id: string; properties: Record<string, unknown> }>,
  ): StatusPatch;
  /** Why the entity may not be deleted from API Management yet (it is still in use), if it may not. */
  removalBlocker?(ctx: OperatorContext, object: T): string | undefined;
  /** Subscriptions to other caches whose changes concern objects of this kind. */
  watchRelated?(ctx: OperatorContext, enqueue: Enqueue): Array<() => void>;
}
