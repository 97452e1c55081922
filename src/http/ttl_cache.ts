// A bounded map whose entries expire: least recently used entries go first when it is full.

import type { Clock } from "../util/clock.ts";

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/** String-keyed cache with a per-entry time to live (on `clock`) and at most `maxEntries` entries. */
export class TtlCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #clock: Clock;
  readonly #maxEntries: number;

  constructor(clock: Clock, maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer`);
    }
    this.#clock = clock;
    this.#maxEntries = maxEntries;
  }

  /** Number of entries held, expired ones included until they are touched or evicted. */
  get size(): number {
    return this.#entries.size;
  }

  /** The live value for `key`, or undefined (an expired entry is dropped). */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#clock.now()) return undefined;
    this.#entries.set(key, entry); // most recently used last
    return entry.value;
  }

  /** Stores `value` for `ttlMs`; a non-positive TTL stores nothing. Evicts the least recently used. */
  set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (ttlMs <= 0) return;
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
  }
}
