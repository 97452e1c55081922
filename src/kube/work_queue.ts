// WorkQueue: deduplicated, delayed keys with per-key backoff; a key is never handed to two workers at once.

import { backoffDelay, type BackoffPolicy } from "../util/backoff.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { MinHeap } from "./min_heap.ts";

interface Entry<K> {
  key: K;
  due: number;
  seq: number;
  /** When the key's current piece of work arrived (a counter): older work goes first. */
  arrival: number;
}

/** Per-key retry backoff of the queue by default: 1 s doubling to 5 min, 20 % jitter. */
export const QUEUE_BACKOFF: BackoffPolicy = {
  initialMs: 1000,
  maxMs: 300_000,
  factor: 2,
  jitter: 0.2,
};

/** Options of {@linkcode WorkQueue}. */
export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: BackoffPolicy;
  random?: () => number;
}

/**
 * The queue between watch events and reconciles (client-go's rate-limited delaying queue,
 * kube-rs's scheduler + runner):
 *
 * - a key is queued at most once; adding it again keeps the earliest due time;
 * - `get()` hands out a due key and marks it processing until `done(key)`; a key added
 *   while processing is queued again (once, at its earliest due time) when it is done;
 * - among due keys, the one whose work arrived first goes first: a key keeps its arrival
 *   while it is requeued (polls, retries) and loses it when it is done without a re-add, so in
 *   a burst each piece of work is carried to its end in arrival order instead of all advancing
 *   in lockstep;
 * - `addRateLimited` delays by the key's own exponential backoff, `forget` resets it;
 * - `shutdown()` stops handing out keys and resolves when the keys in flight are done.
 */
export class WorkQueue<K extends string> {
  readonly #clock: Clock;
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  readonly #queued = new Map<K, Entry<K>>();
  /** Queued keys not due yet, by due time. */
  readonly #delayed = new MinHeap<Entry<K>>((a, b) =>
    a.due < b.due || (a.due === b.due && a.seq < b.seq)
  );
  /** Due keys, by arrival. */
  readonly #ready = new MinHeap<Entry<K>>((a, b) =>
    a.arrival < b.arrival || (a.arrival === b.arrival && a.seq < b.seq)
  );
  readonly #arrivals = new Map<K, number>();
  #arrivalSeq = 0;
  readonly #processing = new Set<K>();
  readonly #dirty = new Map<K, number>();
  readonly #failures = new Map<K, number>();
  readonly #waiters = new Set<() => void>();
  readonly #idleWaiters = new Set<() => void>();
  #seq = 0;
  #shuttingDown = false;
  #adds = 0;
  #retries = 0;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#policy = options.backoff ?? QUEUE_BACKOFF;
    this.#random = options.random ?? Math.random;
  }

  /** Keys waiting (due now or later), not counting keys in flight. */
  get depth(): number {
    return this.#queued.size;
  }

  /** Keys being processed. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Total keys added (duplicates of a queued key are not counted). */
  get adds(): number {
    return this.#adds;
  }

  /** Total rate-limited re-adds. */
  get retries(): number {
    return this.#retries;
  }

  /** Whether `shutdown()` was called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Failures counted for `key` since its last `forget`. */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Queues `key` now. */
  add(key: K): void {
    this.addAfter(key, 0);
  }

  /** Queues `key` after `delayMs` (or earlier, if it is already queued for earlier). */
  addAfter(key: K, delayMs: number): void {
    if (this.#shuttingDown) return;
    const due = this.#clock.now() + Math.max(0, delayMs);
    if (this.#processing.has(key)) {
      const pending = this.#dirty.get(key);
      if (pending === undefined) this.#adds++;
      if (pending === undefined || due < pending) this.#dirty.set(key, due);
      return;
    }
    const existing = this.#queued.get(key);
    if (existing === undefined) this.#adds++;
    else if (existing.due <= due) return;
    this.#enqueue(key, due);
  }

  /**
   * Queues `key` after its next backoff delay (at least `minDelayMs`) and counts a failure.
   * Returns the delay used.
   */
  addRateLimited(key: K, minDelayMs = 0): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    this.#retries++;
    const delayMs = Math.max(
      minDelayMs,
      backoffDelay(this.#policy, failures, this.#random),
    );
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** Resets the backoff of `key` (after a successful reconcile). */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /**
   * Waits for the next due key that is not in flight and marks it processing. Resolves
   * undefined once the queue is shut down.
   */
  async get(): Promise<K | undefined> {
    for (;;) {
      if (this.#shuttingDown) return undefined;
      const now = this.#clock.now();
      this.#promote(now);
      const next = this.#peek(this.#ready);
      if (next !== undefined) {
        this.#ready.pop();
        this.#queued.delete(next.key);
        this.#processing.add(next.key);
        return next.key;
      }
      const later = this.#peek(this.#delayed);
      await this.#wait(later === undefined ? undefined : later.due - now);
    }
  }

  /** Marks `key` finished; a re-add that arrived meanwhile is queued now. */
  done(key: K): void {
    if (!this.#processing.delete(key)) return;
    const due = this.#dirty.get(key);
    if (due !== undefined) {
      this.#dirty.delete(key);
      if (!this.#shuttingDown) this.#enqueue(key, due);
    }
    // Its work is over: a later add is new work and queues behind what arrived before it.
    if (!this.#queued.has(key)) this.#arrivals.delete(key);
    if (this.#processing.size === 0) {
      for (const resolve of [...this.#idleWaiters]) resolve();
    }
  }

  /**
   * Stops handing out keys (waiting `get()` calls resolve undefined) and drops queued keys.
   * Resolves when every key in flight is `done`.
   */
  shutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#queued.clear();
    this.#dirty.clear();
    this.#arrivals.clear();
    while (this.#delayed.pop() !== undefined) { /* drop */ }
    while (this.#ready.pop() !== undefined) { /* drop */ }
    this.#wakeAll();
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const onIdle = () => {
        this.#idleWaiters.delete(onIdle);
        resolve();
      };
      this.#idleWaiters.add(onIdle);
    });
  }

  #enqueue(key: K, due: number): void {
    let arrival = this.#arrivals.get(key);
    if (arrival === undefined) {
      arrival = this.#arrivalSeq++;
      this.#arrivals.set(key, arrival);
    }
    const entry = { key, due, seq: this.#seq++, arrival };
    this.#queued.set(key, entry);
    this.#delayed.push(entry);
    this.#wakeAll();
  }

  /** Moves the entries due by `now` from the delayed heap to the ready one. */
  #promote(now: number): void {
    for (;;) {
      const top = this.#peek(this.#delayed);
      if (top === undefined || top.due > now) return;
      this.#delayed.pop();
      this.#ready.push(top);
    }
  }

  /** A heap's smallest live entry; stale entries (superseded by an earlier due) are dropped. */
  #peek(heap: MinHeap<Entry<K>>): Entry<K> | undefined {
    for (;;) {
      const top = heap.peek();
      if (top === undefined || this.#queued.get(top.key) === top) return top;
      heap.pop();
    }
  }

  #wait(delayMs: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = new AbortController();
      const wake = () => {
        this.#waiters.delete(wake);
        timer.abort();
        resolve();
      };
      this.#waiters.add(wake);
      if (delayMs !== undefined) {
        this.#clock.sleep(delayMs, timer.signal).then(wake, () => {});
      }
    });
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
