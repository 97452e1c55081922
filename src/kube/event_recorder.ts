// EventRecorder: writes events.k8s.io/v1 Events, aggregates repeats into a series, rate-limits, never throws.

import { errorFields, type Logger, silentLogger } from "../log.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { events } from "./builtin_resources.ts";
import type { KubeClient } from "./kube_client.ts";
import { KubeApiError } from "./kube_errors.ts";
import { decodeGenericObject, type GenericObject } from "./kube_object.ts";
import { formatMicroTime } from "./micro_time.ts";
import { ResourceApi } from "./resource_api.ts";

/** The object an Event is about. */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** Omit for cluster-scoped objects (their Events go to "default"). */
  namespace?: string | undefined;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
}

/** What happened. */
export interface EventInput {
  type: "Normal" | "Warning";
  /** Machine-readable, CamelCase, e.g. `ImportFailed` (at most 128 characters). */
  reason: string;
  /** Human-readable detail (cut to 1 kB of UTF-8). */
  note: string;
  /** What was done or attempted, e.g. `Import` (defaults to the reason). */
  action?: string | undefined;
}

/** Options of {@linkcode EventRecorder}. */
export interface EventRecorderOptions {
  client: KubeClient;
  /** e.g. `apim.operator.io/apimapi-controller`. */
  reportingController: string;
  /** e.g. the pod name. */
  reportingInstance: string;
  /** A repeat within this window updates the existing Event's series (default 10 min). */
  seriesWindowMs?: number;
  /** Writes allowed per involved object at once (default 25). */
  burst?: number;
  /** One more write per object is allowed after this long (default 10 s). */
  refillMs?: number;
  /** How many series and objects are remembered (default 4096). */
  maxTracked?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

interface Series {
  namespace: string;
  eventName: string | undefined;
  count: number;
  lastAt: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** The API server counts a note's UTF-8 bytes (`len(note)` in Go), not its characters. */
const MAX_NOTE_BYTES = 1024;
const MAX_REASON = 128;
const MAX_NAME = 253;

/**
 * Records Events for objects. The same object + type + reason + action + note within the
 * series window updates one Event (`series.count`, `lastObservedTime`) instead of creating
 * another. Writes per object are rate limited (excess repeats are only counted, and the count
 * goes out with the next write). API failures are logged, never thrown.
 */
export class EventRecorder {
  readonly #api: ResourceApi<GenericObject>;
  readonly #controller: string;
  readonly #instance: string;
  readonly #windowMs: number;
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #maxTracked: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #series = new Map<string, Series>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #chains = new Map<string, Promise<void>>();

  constructor(options: EventRecorderOptions) {
    this.#api = new ResourceApi(options.client, events, decodeGenericObject);
    this.#controller = options.reportingController;
    this.#instance = options.reportingInstance;
    this.#windowMs = options.seriesWindowMs ?? 600_000;
    this.#burst = options.burst ?? 25;
    this.#refillMs = options.refillMs ?? 10_000;
    this.#maxTracked = options.maxTracked ?? 4096;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Records an Event; resolves when it was written (or dropped). Never rejects. */
  record(regarding: InvolvedObject, event: EventInput): Promise<void> {
    const action = event.action ?? event.reason;
    const key = JSON.stringify([
      regarding.uid ?? "",
      regarding.kind,
      regarding.namespace ?? "",
      regarding.name,
      event.type,
      event.reason,
      action,
      event.note,
    ]);
    // Repeats of one Event are written in order, so a series is created exactly once.
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() =>
      this.#write(key, regarding, { ...event, action })
    ).catch((error) => {
      this.#logger.warn("Could not record event", {
        reason: event.reason,
        ...errorFields(error),
      });
    });
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
    return next;
  }

  async #write(
    key: string,
    regarding: InvolvedObject,
    event: EventInput & { action: string },
  ): Promise<void> {
    const now = this.#clock.now();
    let series = this.#series.get(key);
    if (series !== undefined && now - series.lastAt >= this.#windowMs) {
      series = undefined;
    }
    if (series !== undefined) {
      series.count++;
      series.lastAt = now;
      this.#remember(this.#series, key, series);
    }
    const objectKey = `${regarding.kind}/${
      regarding.namespace ?? ""
    }/${regarding.name}`;
    if (!this.#takeToken(objectKey, now)) {
      this.#logger.debug("Event rate limited", {
        reason: event.reason,
        object: objectKey,
      });
      return;
    }
    if (series?.eventName !== undefined) {
      try {
        await this.#api.mergePatch(series.eventName, {
          series: {
            count: series.count,
            lastObservedTime: formatMicroTime(now),
          },
        }, { namespace: series.namespace });
        return;
      } catch (error) {
        if (!(error instanceof KubeApiError && error.isNotFound())) throw error;
        // The Event expired (TTL); start a new one.
      }
    }
    const namespace = regarding.namespace || "default";
    const created = await this.#api.create({
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: this.#eventName(regarding.name, now), namespace },
      eventTime: formatMicroTime(now),
      type: event.type,
      reason: event.reason.slice(0, MAX_REASON),
      action: event.action.slice(0, MAX_REASON),
      note: utf8Prefix(event.note, MAX_NOTE_BYTES),
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.name,
        ...(regarding.namespace ? { namespace: regarding.namespace } : {}),
        ...(regarding.uid ? { uid: regarding.uid } : {}),
        ...(regarding.resourceVersion
          ? { resourceVersion: regarding.resourceVersion }
          : {}),
      },
      reportingController: this.#controller,
      reportingInstance: this.#instance,
    }, { namespace });
    this.#remember(this.#series, key, {
      namespace,
      eventName: created.metadata?.name,
      count: 1,
      lastAt: now,
    });
  }

  /** Token bucket per involved object. */
  #takeToken(objectKey: string, now: number): boolean {
    const bucket = this.#buckets.get(objectKey) ??
      { tokens: this.#burst, updatedAt: now };
    const refilled = Math.min(
      this.#burst,
      bucket.tokens + (now - bucket.updatedAt) / this.#refillMs,
    );
    const allowed = refilled >= 1;
    this.#remember(this.#buckets, objectKey, {
      tokens: allowed ? refilled - 1 : refilled,
      updatedAt: now,
    });
    return allowed;
  }

  /** Inserts as most recent and forgets the least recently used entries beyond the limit. */
  #remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.#maxTracked) {
      map.delete(map.keys().next().value!);
    }
  }

  #eventName(objectName: string, now: number): string {
    const suffix = `.${now.toString(16)}${
      Math.floor(this.#random() * 0x10000).toString(16).padStart(4, "0")
    }`;
    return objectName.slice(0, MAX_NAME - suffix.length) + suffix;
  }
}

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, never cutting a character. */
function utf8Prefix(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}
