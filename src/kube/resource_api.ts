// Typed API of one resource: get, list (paged), create, replace, patches, apply, delete, status, watch.

import type { KubeClient, KubeRequest } from "./kube_client.ts";
import { KubeApiError } from "./kube_errors.ts";
import type { Decoder, KubeObject } from "./kube_object.ts";
import {
  apiVersionOf,
  type ResourceDescriptor,
  resourcePath,
} from "./resource.ts";
import { ResourceDecoder } from "./resource_decoder.ts";
import {
  collectPages,
  type ListOptions,
  type ListPage,
  listPage,
  listPages,
  type ListResult,
  type WatchOptions,
  watchResource,
} from "./resource_list_watch.ts";
import type { WatchEvent } from "./watch_event.ts";

/** Options every call accepts. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** Addressing of one object; `namespace` defaults to the client's namespace. */
export interface ObjectOptions extends CallOptions {
  namespace?: string | undefined;
  /** Target the status subresource instead of the main resource. */
  subresource?: "status" | undefined;
}

/** Options of writes. */
export interface WriteOptions extends ObjectOptions {
  fieldManager?: string | undefined;
}

/** Options of server-side apply. */
export interface ApplyOptions extends ObjectOptions {
  fieldManager: string;
  /** Take ownership of fields other managers own instead of failing with 409. */
  force?: boolean | undefined;
}

/** Options of a delete. */
export interface DeleteOptions extends CallOptions {
  namespace?: string | undefined;
  /** The delete fails with 409 unless the object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string } | undefined;
  propagationPolicy?: "Foreground" | "Background" | "Orphan" | undefined;
  gracePeriodSeconds?: number | undefined;
}

/** One RFC 6902 operation. */
export type JsonPatchOperation =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

/** Typed access to one resource; objects are validated by the caller's decoder at the edge. */
export class ResourceApi<T extends KubeObject> {
  readonly resource: ResourceDescriptor;
  readonly #client: KubeClient;
  readonly #decoder: ResourceDecoder<T>;

  constructor(
    client: KubeClient,
    resource: ResourceDescriptor,
    decode: Decoder<T>,
  ) {
    this.#client = client;
    this.resource = resource;
    this.#decoder = new ResourceDecoder(resource, decode);
  }

  /** Reads one object (or its status subresource). */
  get(name: string, options: ObjectOptions = {}): Promise<T> {
    return this.#call({
      method: "GET",
      path: this.#objectPath(name, options),
      signal: options.signal,
    });
  }

  /** Like {@linkcode get}, but undefined when the object does not exist. */
  async find(
    name: string,
    options: ObjectOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.get(name, options);
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound()) return undefined;
      throw error;
    }
  }

  /** One page of a list; pass `continue` from the previous page for the next. */
  list(options: ListOptions = {}): Promise<ListPage<T>> {
    return listPage(this.#client, this.#decoder, options);
  }

  /**
   * All pages of a list, one at a time (default 500 objects each), so that only one page's
   * raw JSON is in memory. Every page carries the list's resourceVersion.
   */
  pages(options: ListOptions = {}): AsyncGenerator<ListPage<T>> {
    return listPages((o) => this.list(o), options);
  }

  /** The whole list, following `continue` tokens. */
  listAll(options: ListOptions = {}): Promise<ListResult<T>> {
    return collectPages(this.pages(options));
  }

  /** Creates an object; the namespace comes from the object, then the options, then the client. */
  create(object: T, options: WriteOptions = {}): Promise<T> {
    const namespace = this.#namespace(
      object.metadata?.namespace ?? options.namespace,
    );
    return this.#call({
      method: "POST",
      path: resourcePath(this.resource, { namespace }),
      query: { fieldManager: options.fieldManager },
      body: this.#withTypeMeta(object),
      signal: options.signal,
    });
  }

  /**
   * Replaces an object (PUT). With `metadata.resourceVersion` set, a concurrent change makes
   * it fail with 409 Conflict (see `retryOnConflict`).
   */
  replace(object: T, options: WriteOptions = {}): Promise<T> {
    return this.#call({
      method: "PUT",
      path: this.#pathOf(object, "replace", options),
      query: { fieldManager: options.fieldManager },
      body: this.#withTypeMeta(object),
      signal: options.signal,
    });
  }

  /** JSON merge patch (RFC 7386): objects merge, `null` deletes, arrays are replaced. */
  mergePatch(
    name: string,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.#patch(name, patch, "application/merge-patch+json", options);
  }

  /** JSON patch (RFC 6902); start with a `test` op to guard against concurrent edits. */
  jsonPatch(
    name: string,
    operations: JsonPatchOperation[],
    options: WriteOptions = {},
  ): Promise<T> {
    return this.#patch(
      name,
      operations,
      "application/json-patch+json",
      options,
    );
  }

  /** Server-side apply of the fields in `object`, owned by `fieldManager`. */
  apply(object: T, options: ApplyOptions): Promise<T> {
    return this.#call({
      method: "PATCH",
      path: this.#pathOf(object, "apply", options),
      query: { fieldManager: options.fieldManager, force: options.force },
      // JSON is valid YAML; apply-patch+yaml is the content type the server expects.
      body: this.#withTypeMeta(object),
      contentType: "application/apply-patch+yaml",
      signal: options.signal,
    });
  }

  /** Deletes an object. An object with finalizers stays until they are removed. */
  async delete(name: string, options: DeleteOptions = {}): Promise<void> {
    const path = this.#objectPath(name, options);
    const body: Record<string, unknown> = {
      apiVersion: "v1",
      kind: "DeleteOptions",
    };
    if (options.preconditions) body["preconditions"] = options.preconditions;
    if (options.propagationPolicy) {
      body["propagationPolicy"] = options.propagationPolicy;
    }
    if (options.gracePeriodSeconds !== undefined) {
      body["gracePeriodSeconds"] = options.gracePeriodSeconds;
    }
    await this.#client.request({
      method: "DELETE",
      path,
      body,
      signal: options.signal,
    });
  }

  /**
   * Watches for changes after `resourceVersion`. Yields decoded events until the server ends
   * the stream (after `timeoutSeconds`) or the signal aborts. A failed request throws
   * {@linkcode KubeApiError} (410 Gone when the version is too old); a failure in the stream
   * arrives as an ERROR event.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    return watchResource(this.#client, this.#decoder, options);
  }

  #patch(
    name: string,
    body: unknown,
    contentType: string,
    options: WriteOptions,
  ): Promise<T> {
    return this.#call({
      method: "PATCH",
      path: this.#objectPath(name, options),
      query: { fieldManager: options.fieldManager },
      body,
      contentType,
      signal: options.signal,
    });
  }

  /** Sends a request whose answer is one object, and decodes it. */
  async #call(request: KubeRequest): Promise<T> {
    return this.#decoder.object(await this.#client.request(request));
  }

  /** The path of `object` itself (its name and namespace). */
  #pathOf(object: T, verb: string, options: ObjectOptions): string {
    const name = object.metadata?.name;
    if (name === undefined) {
      throw new TypeError(
        `Cannot ${verb} ${this.resource.plural}: metadata.name is missing`,
      );
    }
    return this.#objectPath(name, {
      ...options,
      namespace: object.metadata?.namespace ?? options.namespace,
    });
  }

  #namespace(namespace: string | undefined): string | undefined {
    if (!this.resource.namespaced) return undefined;
    return namespace ?? this.#client.defaultNamespace;
  }

  #objectPath(
    name: string,
    options: {
      namespace?: string | undefined;
      subresource?: string | undefined;
    },
  ): string {
    return resourcePath(this.resource, {
      namespace: this.#namespace(options.namespace),
      name,
      subresource: options.subresource,
    });
  }

  #withTypeMeta(object: T): T {
    return {
      ...object,
      apiVersion: object.apiVersion ?? apiVersionOf(this.resource),
      kind: object.kind ?? this.resource.kind,
    };
  }
}
