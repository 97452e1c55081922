// The list+watch state machine: relist on 410, resume on clean end, idle timeout, backoff with jitter.
//
//              ┌──────────────── 410 Gone (HTTP status or ERROR event) ─────────────────┐
//              v                                                                         │
//   ┌───────┐ list  ┌─────────┐ last page ┌────────┐ open watch ┌──────────┐ event      │
//   │ empty │──────>│ listing │──────────>│ listed │───────────>│ watching │───────────>┤ (apply /
//   └───────┘ init  └─────────┘ initDone  └────────┘            └──────────┘  delete,   │  delete;
//       ^       initPage │                   ^  ^    clean end      │  │     bookmark) │  RV moves)
//       │                │ error             │  └───────────────────┘  │ error, idle    │
//       │                v                   │                         v timeout        │
//       │         ┌─────────────┐            │                 ┌─────────────┐          │
//       └─────────│   backoff   │            └─────────────────│   backoff   │<─────────┘
//                 └─────────────┘                              └─────────────┘
//
// A (re)list is always a consistent read (no resourceVersion), paged, so that nothing older
// than what was already seen comes back and only one page of raw JSON is held at a time. The
// watch resumes from the last resourceVersion seen (objects and bookmarks). Backoff is
// client-go's reflector's (watch_backoff.ts). A watch that ends cleanly within a second without any event
// counts as a failure, so a misbehaving server cannot cause a hot loop.

import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import type { BackoffPolicy } from "../util/backoff.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { KubeApiError } from "./kube_errors.ts";
import type { KubeObject } from "./kube_object.ts";
import type { ListPage } from "./resource_list_watch.ts";
import { WATCH_BACKOFF, WatchBackoff } from "./watch_backoff.ts";
import type { WatchEvent } from "./watch_event.ts";
import type { WatchSource } from "./watch_source.ts";

/** What the watcher reports: a (re)list as init, initPage (repeated), initDone, then single changes. */
export type WatcherEvent<T> =
  | { type: "init" }
  | { type: "initPage"; objects: T[] }
  | { type: "initDone"; resourceVersion: string }
  | { type: "apply"; object: T }
  | { type: "delete"; object: T };

/** Where the watcher is (see the diagram at the top of this file). */
export type WatcherState =
  | { phase: "empty" }
  | { phase: "listing" }
  | { phase: "listed"; resourceVersion: string }
  | { phase: "watching"; resourceVersion: string }
  | {
    phase: "backoff";
    delayMs: number;
    error: unknown;
    then: { phase: "empty" } | { phase: "listed"; resourceVersion: string };
  };

/** Options of {@linkcode Watcher}. */
export interface WatcherOptions {
  /** Stops the watcher; pending I/O is aborted. */
  signal: AbortSignal;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  backoff?: BackoffPolicy;
  /** A failure this long after the previous one starts the backoff over (default 2 min). */
  resetBackoffAfterMs?: number;
  /** Server-side watch timeout is drawn from [min, max) seconds (default 5–10 min). */
  minTimeoutSeconds?: number;
  maxTimeoutSeconds?: number;
  /** No event for the server timeout plus this margin means a dead connection (default 30 s). */
  idleMarginMs?: number;
  /** A watch that ends sooner than this without events counts as a failure (default 1 s). */
  minWatchMs?: number;
}

const IDLE = Symbol("idle");

/** The watch stream went quiet for longer than the server timeout allows. */
export class WatchIdleError extends Error {
  override readonly name = "WatchIdleError";
}

/** A watch stream closed immediately without delivering anything. */
export class WatchClosedEarlyError extends Error {
  override readonly name = "WatchClosedEarlyError";
}

/**
 * The list+watch state machine. Each `step()` performs at most one I/O wait and returns the
 * events it produced; `state` shows where it is. Use {@linkcode watcher} to run it.
 */
export class Watcher<T extends KubeObject> {
  readonly #source: WatchSource<T>;
  readonly #signal: AbortSignal;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #backoff: WatchBackoff;
  readonly #minTimeoutSeconds: number;
  readonly #maxTimeoutSeconds: number;
  readonly #idleMarginMs: number;
  readonly #minWatchMs: number;
  #state: WatcherState = { phase: "empty" };
  #stream: AbortController | undefined;
  #pages: AsyncIterator<ListPage<T>> | undefined;
  #events: AsyncIterator<WatchEvent<T>> | undefined;
  #listResourceVersion = "";
  #watchOpenedAt = 0;
  #watchTimeoutMs = 0;
  #watchEventCount = 0;
  /** Watches in a row that expired at once, before any event (a 410 window, or a compacting store). */
  #quickExpiries = 0;

  constructor(source: WatchSource<T>, options: WatcherOptions) {
    this.#source = source;
    this.#signal = options.signal;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
    this.#backoff = new WatchBackoff(
      options.backoff ?? WATCH_BACKOFF,
      this.#random,
      options.resetBackoffAfterMs ?? 120_000,
    );
    this.#minTimeoutSeconds = options.minTimeoutSeconds ?? 300;
    this.#maxTimeoutSeconds = options.maxTimeoutSeconds ?? 600;
    this.#idleMarginMs = options.idleMarginMs ?? 30_000;
    this.#minWatchMs = options.minWatchMs ?? 1000;
  }

  /** The current state. */
  get state(): WatcherState {
    return this.#state;
  }

  /** Advances the machine by one transition. Rejects only when the signal aborts. */
  async step(): Promise<WatcherEvent<T>[]> {
    this.#signal.throwIfAborted();
    const state = this.#state;
    switch (state.phase) {
      case "empty":
        return this.#startList();
      case "listing":
        return await this.#readPage();
      case "listed":
        return this.#startWatch(state.resourceVersion);
      case "watching":
        return await this.#readEvent(state.resourceVersion);
      case "backoff":
        await this.#clock.sleep(state.delayMs, this.#signal);
        this.#state = state.then;
        return [];
    }
  }

  /** Aborts and releases the open list or watch stream. */
  async close(): Promise<void> {
    await this.#release();
  }

  #startList(): WatcherEvent<T>[] {
    const signal = this.#openStream();
    this.#pages = this.#source.list(signal)[Symbol.asyncIterator]();
    this.#listResourceVersion = "";
    this.#state = { phase: "listing" };
    return [{ type: "init" }];
  }

  async #readPage(): Promise<WatcherEvent<T>[]> {
    let result: IteratorResult<ListPage<T>>;
    try {
      result = await this.#pages!.next();
    } catch (error) {
      return await this.#fail(error, { phase: "empty" });
    }
    if (!result.done) {
      this.#listResourceVersion = result.value.resourceVersion;
      return [{ type: "initPage", objects: result.value.items }];
    }
    this.#pages = undefined;
    this.#stream = undefined;
    const resourceVersion = this.#listResourceVersion;
    if (resourceVersion === "") {
      return await this.#fail(
        new Error("The list response had no resourceVersion"),
        { phase: "empty" },
      );
    }
    this.#state = { phase: "listed", resourceVersion };
    return [{ type: "initDone", resourceVersion }];
  }

  #startWatch(resourceVersion: string): WatcherEvent<T>[] {
    const span = this.#maxTimeoutSeconds - this.#minTimeoutSeconds;
    const timeoutSeconds = this.#minTimeoutSeconds +
      Math.floor(this.#random() * span);
    const signal = this.#openStream();
    this.#events = this.#source.watch(resourceVersion, timeoutSeconds, signal)
      [Symbol.asyncIterator]();
    this.#watchOpenedAt = this.#clock.now();
    this.#watchTimeoutMs = timeoutSeconds * 1000 + this.#idleMarginMs;
    this.#watchEventCount = 0;
    this.#state = { phase: "watching", resourceVersion };
    return [];
  }

  async #readEvent(resourceVersion: string): Promise<WatcherEvent<T>[]> {
    const resume = { phase: "listed", resourceVersion } as const;
    let result: IteratorResult<WatchEvent<T>> | typeof IDLE;
    try {
      result = await this.#withIdleTimeout(this.#events!.next());
    } catch (error) {
      if (error instanceof KubeApiError && error.isGone()) {
        return await this.#relist(error);
      }
      return await this.#fail(error, resume);
    }
    if (result === IDLE) {
      return await this.#fail(
        new WatchIdleError(
          `No watch event for ${this.#watchTimeoutMs} ms; reconnecting`,
        ),
        resume,
      );
    }
    if (result.done) {
      await this.#release();
      const quick = this.#clock.now() - this.#watchOpenedAt < this.#minWatchMs;
      if (this.#watchEventCount === 0 && quick) {
        return await this.#fail(
          new WatchClosedEarlyError(
            "The watch closed immediately without events",
          ),
          resume,
        );
      }
      this.#state = resume;
      return [];
    }
    this.#watchEventCount++;
    const event = result.value;
    switch (event.type) {
      case "BOOKMARK":
        this.#state = {
          phase: "watching",
          resourceVersion: event.resourceVersion,
        };
        return [];
      case "ERROR":
        if (event.error.isGone()) return await this.#relist(event.error);
        return await this.#fail(event.error, resume);
      default: {
        const next = event.object.metadata?.resourceVersion;
        this.#state = {
          phase: "watching",
          resourceVersion: next || resourceVersion,
        };
        return [{
          type: event.type === "DELETED" ? "delete" : "apply",
          object: event.object,
        }];
      }
    }
  }

  async #relist(error: KubeApiError): Promise<WatcherEvent<T>[]> {
    const quick = this.#watchEventCount === 0 &&
      this.#clock.now() - this.#watchOpenedAt < this.#minWatchMs;
    this.#quickExpiries = quick ? this.#quickExpiries + 1 : 0;
    // Once relisting did not help, the next list waits its backoff, as client-go's reflector does.
    if (this.#quickExpiries > 1) {
      return await this.#fail(error, { phase: "empty" });
    }
    await this.#release();
    this.#logger.info("Watch expired, relisting", {
      reason: error.reason,
      message: error.serverMessage,
    });
    this.#state = { phase: "empty" };
    return [];
  }

  async #fail(
    error: unknown,
    then: { phase: "empty" } | { phase: "listed"; resourceVersion: string },
  ): Promise<WatcherEvent<T>[]> {
    await this.#release();
    this.#signal.throwIfAborted();
    const delayMs = this.#backoff.next(error, this.#clock.now());
    this.#logger.warn(
      then.phase === "empty"
        ? "List failed, retrying"
        : "Watch failed, retrying",
      {
        error: error instanceof Error ? error.message : String(error),
        errorType: error instanceof Error ? error.name : typeof error,
        delayMs,
      },
    );
    this.#state = { phase: "backoff", delayMs, error, then };
    return [];
  }

  #openStream(): AbortSignal {
    const controller = new AbortController();
    this.#stream = controller;
    return AbortSignal.any([this.#signal, controller.signal]);
  }

  async #release(): Promise<void> {
    const stream = this.#stream;
    const iterators = [this.#pages, this.#events];
    this.#stream = undefined;
    this.#pages = undefined;
    this.#events = undefined;
    stream?.abort(new DOMException("Watch stream released", "AbortError"));
    for (const iterator of iterators) {
      await iterator?.return?.().catch(() => {});
    }
  }

  async #withIdleTimeout<R>(next: Promise<R>): Promise<R | typeof IDLE> {
    const idle = new AbortController();
    const timer = this.#clock.sleep(
      this.#watchTimeoutMs,
      AbortSignal.any([this.#signal, idle.signal]),
    ).then((): typeof IDLE => IDLE);
    try {
      return await Promise.race([next, timer]);
    } finally {
      idle.abort();
      timer.catch(() => {});
      next.catch(() => {});
    }
  }
}

/** Runs a {@linkcode Watcher} as an async stream of events until the signal aborts. */
export async function* watcher<T extends KubeObject>(
  source: WatchSource<T>,
  options: WatcherOptions,
): AsyncGenerator<WatcherEvent<T>> {
  const machine = new Watcher(source, options);
  try {
    while (!options.signal.aborted) {
      let events: WatcherEvent<T>[];
      try {
        events = await machine.step();
      } catch (error) {
        if (options.signal.aborted) return;
        throw error;
      }
      yield* events;
    }
  } finally {
    await machine.close();
  }
}
