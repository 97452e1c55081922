// Store: the in-memory objects of one resource by namespace/name, with atomic replace and change listeners.

import type { LabelSelector } from "kubernetes-types/meta/v1.d.ts";
import { labelSelectorMatches } from "./label_selector.ts";
import { type KubeObject, objectKey } from "./kube_object.ts";

/** One change: `previous` undefined means added, `current` undefined means deleted. */
export interface StoreChange<T> {
  key: string;
  previous: T | undefined;
  current: T | undefined;
}

/** Called synchronously after every change. */
export type StoreListener<T> = (change: StoreChange<T>) => void;

/** Key of the bucket that holds cluster-scoped objects. */
const CLUSTER = "";

/**
 * Objects by namespace and name. Writers apply single changes or atomically replace a whole
 * namespace (or everything) after a relist, which reports the differences — including
 * deletions that happened while no watch was open — to the listeners.
 */
export class Store<T extends KubeObject> {
  readonly #byNamespace = new Map<string, Map<string, T>>();
  readonly #listeners = new Set<StoreListener<T>>();
  #size = 0;

  /** Number of objects. */
  get size(): number {
    return this.#size;
  }

  /** The object `namespace/name` (namespace undefined or "" for cluster-scoped objects). */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.#byNamespace.get(namespace ?? CLUSTER)?.get(name);
  }

  /** Objects of one namespace (or all when undefined) whose labels match `selector`. */
  list(namespace?: string, selector?: LabelSelector): T[] {
    const buckets = namespace === undefined
      ? [...this.#byNamespace.values()]
      : [this.#byNamespace.get(namespace) ?? new Map<string, T>()];
    const out: T[] = [];
    for (const bucket of buckets) {
      for (const object of bucket.values()) {
        if (
          selector === undefined ||
          labelSelectorMatches(selector, object.metadata?.labels)
        ) out.push(object);
      }
    }
    return out;
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: StoreListener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds or updates one object. */
  apply(object: T): void {
    const previous = this.#put(object);
    this.#notify(object, previous, object);
  }

  /** Removes one object (the last state the server reported is passed on to listeners). */
  delete(object: T): void {
    const namespace = object.metadata?.namespace || CLUSTER;
    const name = object.metadata?.name ?? "";
    const bucket = this.#byNamespace.get(namespace);
    const previous = bucket?.get(name);
    if (bucket === undefined || previous === undefined) return;
    bucket.delete(name);
    this.#size--;
    if (bucket.size === 0) this.#byNamespace.delete(namespace);
    this.#notify(object, previous, undefined);
  }

  /**
   * Replaces every object in `namespace` (all objects when undefined) with `objects`, then
   * reports additions, changes (a different resourceVersion) and deletions.
   */
  replace(objects: Iterable<T>, namespace?: string): void {
    const old = namespace === undefined ? new Map(this.#byNamespace) : new Map(
      this.#byNamespace.has(namespace)
        ? [[namespace, this.#byNamespace.get(namespace)!]]
        : [],
    );
    for (const key of old.keys()) this.#byNamespace.delete(key);
    for (const bucket of old.values()) this.#size -= bucket.size;

    const changes: StoreChange<T>[] = [];
    for (const object of objects) {
      const ns = object.metadata?.namespace || CLUSTER;
      const name = object.metadata?.name ?? "";
      const previous = old.get(ns)?.get(name);
      old.get(ns)?.delete(name);
      this.#put(object);
      if (previous === undefined || changed(previous, object)) {
        changes.push({ key: objectKey(object), previous, current: object });
      }
    }
    for (const bucket of old.values()) {
      for (const previous of bucket.values()) {
        changes.push({
          key: objectKey(previous),
          previous,
          current: undefined,
        });
      }
    }
    for (const change of changes) this.#emit(change);
  }

  #put(object: T): T | undefined {
    const namespace = object.metadata?.namespace || CLUSTER;
    const name = object.metadata?.name ?? "";
    let bucket = this.#byNamespace.get(namespace);
    if (bucket === undefined) {
      bucket = new Map();
      this.#byNamespace.set(namespace, bucket);
    }
    const previous = bucket.get(name);
    if (previous === undefined) this.#size++;
    bucket.set(name, object);
    return previous;
  }

  #notify(object: T, previous: T | undefined, current: T | undefined): void {
    this.#emit({ key: objectKey(object), previous, current });
  }

  #emit(change: StoreChange<T>): void {
    for (const listener of this.#listeners) listener(change);
  }
}

function changed(previous: KubeObject, current: KubeObject): boolean {
  const before = previous.metadata?.resourceVersion;
  const after = current.metadata?.resourceVersion;
  return before === undefined || after === undefined || before !== after;
}
