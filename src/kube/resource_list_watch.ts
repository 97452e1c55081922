// Reading a resource as a collection: list pages (one at a time), the whole list, the watch stream.

import { z } from "zod";
import { formatIssues } from "./format_issues.ts";
import { jsonLines } from "./json_lines.ts";
import type { KubeClient, QueryParams } from "./kube_client.ts";
import { KubeDecodeError } from "./kube_errors.ts";
import type { KubeObject } from "./kube_object.ts";
import { resourcePath } from "./resource.ts";
import type { CallOptions } from "./resource_api.ts";
import type { ResourceDecoder } from "./resource_decoder.ts";
import { decodeWatchEvent, type WatchEvent } from "./watch_event.ts";

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

const listSchema = z.object({
  metadata: z.object({
    resourceVersion: z.string().exactOptional(),
    continue: z.string().exactOptional(),
  }),
  items: z.array(z.unknown()).nullable(),
});

const DEFAULT_PAGE_SIZE = 500;

/** One page of the list of `decoder.resource`. */
export async function listPage<T extends KubeObject>(
  client: KubeClient,
  decoder: ResourceDecoder<T>,
  options: ListOptions,
): Promise<ListPage<T>> {
  const resource = decoder.resource;
  const path = resourcePath(resource, { namespace: options.namespace });
  const raw = await client.request({
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
      `the ${resource.plural} list`,
      formatIssues(parsed.error),
    );
  }
  const items: T[] = [];
  for (const item of parsed.data.items ?? []) {
    const decoded = decoder.listed(item, options.onInvalid);
    if (decoded !== undefined) items.push(decoded);
  }
  return {
    items,
    resourceVersion: parsed.data.metadata.resourceVersion ?? "",
    continue: parsed.data.metadata.continue || undefined,
  };
}

/** Every page `list` returns, following `continue` tokens (default 500 objects a page). */
export async function* listPages<T>(
  list: (options: ListOptions) => Promise<ListPage<T>>,
  options: ListOptions,
): AsyncGenerator<ListPage<T>> {
  let token: string | undefined = options.continue;
  do {
    const page: ListPage<T> = await list({
      ...options,
      limit: options.limit ?? DEFAULT_PAGE_SIZE,
      continue: token,
    });
    yield page;
    token = page.continue;
  } while (token !== undefined);
}

/** The items of all `pages` and the resourceVersion of the last. */
export async function collectPages<T>(
  pages: AsyncIterable<ListPage<T>>,
): Promise<ListResult<T>> {
  const items: T[] = [];
  let resourceVersion = "";
  for await (const page of pages) {
    items.push(...page.items);
    resourceVersion = page.resourceVersion;
  }
  return { items, resourceVersion };
}

/** The decoded watch events of `decoder.resource` (see `ResourceApi.watch`). */
export async function* watchResource<T extends KubeObject>(
  client: KubeClient,
  decoder: ResourceDecoder<T>,
  options: WatchOptions,
): AsyncGenerator<WatchEvent<T>> {
  const path = resourcePath(decoder.resource, {
    namespace: options.namespace,
  });
  const stream = await client.stream({
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
      event = decodeWatchEvent(line, (o) => decoder.object(o), request);
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

function selectorQuery(options: SelectorOptions): QueryParams {
  return {
    labelSelector: options.labelSelector || undefined,
    fieldSelector: options.fieldSelector || undefined,
  };
}
