// KeyedLock: at most one holder per key, taken without waiting (a busy key is looked at again later).

/** Mutual exclusion per key for work that must not overlap (two passes on one API). */
export class KeyedLock {
  readonly #held = new Set<string>();

  /** Runs `work` holding `key`, or returns `busy` without running it when another holder has it. */
  async tryRun<T, B>(
    key: string,
    busy: B,
    work: () => Promise<T>,
  ): Promise<T | B> {
    if (this.#held.has(key)) return busy;
    this.#held.add(key);
    try {
      return await work();
    } finally {
      this.#held.delete(key);
    }
  }
}
