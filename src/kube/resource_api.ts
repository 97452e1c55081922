// Typed API of one resource: get, list (paged), create, replace, patches, apply, delete, status, watch.

import { z } from "zod";
import { formatIssues } from "./format_issues.ts";
import { jsonLines } from "./json_lines.ts";
import type { KubeClient, KubeRequest, QueryParams } from "./kube_client.ts";
import { KubeApiError, KubeDecodeError } from "./kube_errors.ts";
import type { Decoder, KubeObject } from "./kube_object.ts";
import {
  apiVersionOf,
  type ResourceDescriptor,
  resourcePath,
} from "./resource.ts";
import { decodeWatchEvent, type WatchEvent } from "./watch_event.ts";

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

/** What to do with objects that fail the decoder in lists and watches. */
export interface InvalidObjectOptions {
  /** When set, invalid objects are reported here and skipped instead of failing the call. */
  onInvalid?: ((error: KubeDecodeError) => void) | undefined;
}

/** Server-side filters of lists and watches. */
export interface SelectorOptions {
  /** Omit for all namespaces. */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

/** Options of one list page. */
export interface ListOptions
  extends CallOptions, SelectorOptions, InvalidObjectOptions {
  limit?: number | undefined;
  continue?: string | undefined;
  resourceVersion?: string | undefined;
  resourceVersionMatch?: "NotOlderThan" | "Exact" | undefined;
}

/** One page of a list. */
export interface ListPage<T> {
  items: T[];
  /** The list's resourceVersion: watch from here to see every later change. */
  resourceVersion: string;
  /** Token for the next page; undefined on the last page. */
  continue: string | undefined;
}

/** A complete list. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** Options of a watch. */
export interface WatchOptions
  extends CallOptions, SelectorOptions, InvalidObjectOptions {
  /** Events after this version; omit for "now" (without initial state). */
  resourceVersion?: string | undefined;
  /** The server ends the stream after this many seconds. */
  timeoutSeconds?: number | undefined;
  /** Ask for BOOKMARK events (default true). */
  allowWatchBookmarks?: boolean | undefined;
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

const listSchema = z.object({
  metadata: z.object({
    resourceVersion: z.string().exactOptional(),
    continue: z.string().exactOptional(),
  }),
  items: z.array(z.unknown()).nullable(),
});

const DEFAULT_PAGE_SIZE = 500;

/** Typed access to one resource; objects are validated by the caller's decoder at the edge. */
export class ResourceApi<T extends KubeObject> {
  readonly resource: ResourceDescriptor;
  readonly #client: KubeClient;
  readonly #decode: Decoder<T>;

  constructor(
    client: KubeClient,
    resource: ResourceDescriptor,
    decode: Decoder<T>,
  ) {
    this.#client = client;
    this.resource = resource;
    this.#decode = decode;
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
  async list(options: ListOptions = {}): Promise<ListPage<T>> {
    const path = resourcePath(this.resource, { namespace: options.namespace });
    const raw = await this.#client.request({
      method: "GET",
      path,
      query: {
        ...selectorQuery(options),
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
        resourceVersionMatch: options.resourceVersionMatch,
      },
      signal: options.signal,
    });
    const parsed = listSchema.safeParse(raw);
    if (!parsed.success) {
      throw new KubeDecodeError(
        `the ${this.resource.plural} list`,
        formatIssues(parsed.error),
      );
    }
    const items: T[] = [];
    for (const item of parsed.data.items ?? []) {
      const decoded = this.#decodeListed(item, options.onInvalid);
      if (decoded !== undefined) items.push(decoded);
    }
    return {
      items,
      resourceVersion: parsed.data.metadata.resourceVersion ?? "",
      continue: parsed.data.metadata.continue || undefined,
    };
  }

  /**
   * All pages of a list, one at a time (default 500 objects each), so that only one page's
   * raw JSON is in memory. Every page carries the list's resourceVersion.
   */
  async *pages(options: ListOptions = {}): AsyncGenerator<ListPage<T>> {
    let token: string | undefined = options.continue;
    do {
      const page: ListPage<T> = await this.list({
        ...options,
        limit: options.limit ?? DEFAULT_PAGE_SIZE,
        continue: token,
      });
      yield page;
      token = page.continue;
    } while (token !== undefined);
  }

  /** The whole list, following `continue` tokens. */
  async listAll(options: ListOptions = {}): Promise<ListResult<T>> {
    const items: T[] = [];
    let resourceVersion = "";
    for await (const page of this.pages(options)) {
      items.push(...page.items);
      resourceVersion = page.resourceVersion;
    }
    return { items, resourceVersion };
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
  async *watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const path = resourcePath(this.resource, { namespace: options.namespace });
    const stream = await this.#client.stream({
      method: "GET",
      path,
      query: {
        ...selectorQuery(options),
        watch: true,
        resourceVersion: options.resourceVersion,
        timeoutSeconds: options.timeoutSeconds,
        allowWatchBookmarks: options.allowWatchBookmarks ?? true,
      },
      signal: options.signal,
    });
    const request = { method: "GET", path };
    for await (
      const line of jsonLines(stream, `the watch of "${path}"`, options.signal)
    ) {
      let event: WatchEvent<T>;
      try {
        event = decodeWatchEvent(line, (o) => this.#decodeObject(o), request);
      } catch (error) {
        if (error instanceof KubeDecodeError && options.onInvalid) {
          options.onInvalid(error);
          continue;
        }
        throw error;
      }
      yield event;
    }
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
    return this.#decodeObject(await this.#client.request(request));
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

  /** Decodes a list item; list items lack apiVersion/kind, which are filled in first. */
  #decodeListed(
    item: unknown,
    onInvalid: ((error: KubeDecodeError) => void) | undefined,
  ): T | undefined {
    const withType = typeof item === "object" && item !== null
      ? {
        apiVersion: apiVersionOf(this.resource),
        kind: this.resource.kind,
        ...item,
      }
      : item;
    try {
      return this.#decodeObject(withType);
    } catch (error) {
      if (error instanceof KubeDecodeError && onInvalid) {
        onInvalid(error);
        return undefined;
      }
      throw error;
    }
  }

  #decodeObject(value: unknown): T {
    try {
      return this.#decode(value);
    } catch (error) {
      throw new KubeDecodeError(
        `${this.resource.plural} "${describeObject(value)}"`,
        error instanceof z.ZodError
          ? formatIssues(error)
          : error instanceof Error
          ? error.message
          : String(error),
        error,
      );
    }
  }
}

function selectorQuery(options: SelectorOptions): QueryParams {
  return {
    labelSelector: options.labelSelector || undefined,
    fieldSelector: options.fieldSelector || undefined,
  };
}

/** `namespace/name` of a raw object for messages, as far as it can be read. */
function describeObject(value: unknown): string {
  const parsed = z.object({
    metadata: z.object({
      name: z.string().optional(),
      namespace: z.string().optional(),
    }),
  }).safeParse(value);
  if (!parsed.success) return "?";
  const { name, namespace } = parsed.data.metadata;
  return namespace ? `${namespace}/${name ?? "?"}` : name ?? "?";
}
