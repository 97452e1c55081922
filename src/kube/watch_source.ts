// The I/O a watcher runs on: a consistent paged list and a watch from a resourceVersion, of one resource.

import type { KubeDecodeError } from "./kube_errors.ts";
import type { KubeObject } from "./kube_object.ts";
import type { ResourceApi } from "./resource_api.ts";
import type { ListPage, SelectorOptions } from "./resource_list_watch.ts";
import type { WatchEvent } from "./watch_event.ts";

/** The I/O of a watcher: a consistent paged list and a watch from a resourceVersion. */
export interface WatchSource<T> {
  list(signal: AbortSignal): AsyncIterable<ListPage<T>>;
  watch(
    resourceVersion: string,
    timeoutSeconds: number,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent<T>>;
}

/** Options of {@linkcode watchSourceFor}. */
export interface WatchSourceOptions extends SelectorOptions {
  /** Objects per list page (default 500). */
  pageSize?: number | undefined;
  /** Invalid objects are reported here and skipped (otherwise the list/watch fails). */
  onInvalid?: ((error: KubeDecodeError) => void) | undefined;
}

/** The {@linkcode WatchSource} of a resource (optionally one namespace, with selectors). */
export function watchSourceFor<T extends KubeObject>(
  api: ResourceApi<T>,
  options: WatchSourceOptions = {},
): WatchSource<T> {
  const selectors = {
    namespace: options.namespace,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    onInvalid: options.onInvalid,
  };
  return {
    list: (signal) =>
      api.pages({ ...selectors, limit: options.pageSize, signal }),
    watch: (resourceVersion, timeoutSeconds, signal) =>
      api.watch({
        ...selectors,
        resourceVersion,
        timeoutSeconds,
        allowWatchBookmarks: true,
        signal,
      }),
  };
}
