// Cache: keeps a Store of one resource in sync through watchers (all namespaces or one per namespace).

import type { LabelSelector } from "kubernetes-types/meta/v1.d.ts";
import { errorFields, type Logger, silentLogger } from "../log.ts";
import type { BackoffPolicy } from "../util/backoff.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { KubeObject } from "./kube_object.ts";
import type { ResourceApi } from "./resource_api.ts";
import { Store, type StoreListener } from "./store.ts";
import { watchSourceFor } from "./watch_source.ts";
import { watcher } from "./watcher.ts";

/** Options of {@linkcode Cache}. */
export interface CacheOptions<T extends KubeObject, U extends KubeObject> {
  api: ResourceApi<T>;
  /** Watch only these namespaces (one watch each); all namespaces when omitted. */
  namespaces?: readonly string[] | undefined;
  /** Server-side filters: only matching objects are listed, watched and stored. */
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /**
   * Trims each object before it is stored (keep only what the controller reads). Must keep
   * `metadata.name`, `metadata.namespace` and `metadata.resourceVersion`.
   */
  transform?: ((object: T) => U) | undefined;
  /** Objects per list page (default 500). */
  pageSize?: number | undefined;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Overrides the watcher's reconnect backoff (tests). */
  backoff?: BackoffPolicy;
}

/**
 * An informer-like cache of one resource. `run()` lists and watches until the signal aborts;
 * readers use `get`/`list`, `synced`/`waitUntilSynced`, and `subscribe` to enqueue keys.
 */
export class Cache<T extends KubeObject, U extends KubeObject = T> {
  readonly #options: CacheOptions<T, U>;
  readonly #store = new Store<U>();
  readonly #logger: Logger;
  readonly #transform: (object: T) => U;
  readonly #unsynced: Set<string | undefined>;
  readonly #synced: Promise<void>;
  #markSynced: () => void = () => {};

  constructor(options: CacheOptions<T, U>) {
    this.#options = options;
    this.#logger = (options.logger ?? silentLogger).child({
      resource: options.api.resource.plural,
    });
    this.#transform = options.transform ??
      ((object: T) => object as unknown as U);
    this.#unsynced = new Set(options.namespaces ?? [undefined]);
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
  }

  /** Whether every watched namespace has completed its first list. */
  get synced(): boolean {
    return this.#unsynced.size === 0;
  }

  /** Resolves once synced; rejects when `signal` aborts first. */
  waitUntilSynced(signal?: AbortSignal): Promise<void> {
    if (signal === undefined) return this.#synced;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#synced.then(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  /** The cached object, if any. */
  get(namespace: string | undefined, name: string): U | undefined {
    return this.#store.get(namespace, name);
  }

  /** Cached objects of a namespace (all when undefined), optionally filtered by labels. */
  list(namespace?: string, selector?: LabelSelector): U[] {
    return this.#store.list(namespace, selector);
  }

  /** Number of cached objects. */
  get size(): number {
    return this.#store.size;
  }

  /**
   * Calls `listener` after every change (old and new object); a listener that throws is
   * logged. Returns the function that unsubscribes.
   */
  subscribe(listener: StoreListener<U>): () => void {
    return this.#store.subscribe((change) => {
      try {
        listener(change);
      } catch (error) {
        this.#logger.error("Cache listener failed", {
          key: change.key,
          ...errorFields(error),
        });
      }
    });
  }

  /** Lists and watches until `signal` aborts; resolves when every watch has stopped. */
  async run(signal: AbortSignal): Promise<void> {
    const namespaces = this.#options.namespaces ?? [undefined];
    await Promise.all(namespaces.map((ns) => this.#follow(ns, signal)));
  }

  async #follow(
    namespace: string | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const options = this.#options;
    const logger = namespace === undefined
      ? this.#logger
      : this.#logger.child({ namespace });
    const source = watchSourceFor(options.api, {
      namespace,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      pageSize: options.pageSize,
      onInvalid: (error) =>
        logger.warn("Skipped an object that failed validation", {
          error: error.message,
        }),
    });
    let buffer: U[] = [];
    const events = watcher(source, {
      signal,
      clock: options.clock ?? systemClock,
      logger,
      ...(options.random ? { random: options.random } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    for await (const event of events) {
      switch (event.type) {
        case "init":
          buffer = [];
          break;
        case "initPage":
          for (const object of event.objects) {
            buffer.push(this.#transform(object));
          }
          break;
        case "initDone":
          this.#store.replace(buffer, namespace);
          buffer = [];
          this.#markNamespaceSynced(namespace, logger);
          break;
        case "apply":
          this.#store.apply(this.#transform(event.object));
          break;
        case "delete":
          this.#store.delete(this.#transform(event.object));
          break;
      }
    }
  }

  #markNamespaceSynced(namespace: string | undefined, logger: Logger): void {
    if (!this.#unsynced.delete(namespace)) return;
    logger.info("Cache synced", { objects: this.#store.size });
    if (this.#unsynced.size === 0) this.#markSynced();
  }
}
