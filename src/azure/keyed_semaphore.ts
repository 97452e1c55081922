// KeyedSemaphore: at most N holders per key (the ARM client limits concurrent writes per APIM instance).

interface Slot {
  active: number;
  waiters: Array<() => void>;
}

/** Limits how many holders a key may have at once; waiters are served first come, first served. */
export class KeyedSemaphore {
  readonly #limit: number;
  readonly #slots = new Map<string, Slot>();

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `Invalid semaphore limit "${limit}": must be a positive integer`,
      );
    }
    this.#limit = limit;
  }

  /** Holders of `key` right now. */
  active(key: string): number {
    return this.#slots.get(key)?.active ?? 0;
  }

  /**
   * Waits for a place under `key`; returns the function that gives it back (call it once).
   * Rejects with the signal's reason if `signal` aborts while waiting.
   */
  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    const slot = this.#slots.get(key) ?? { active: 0, waiters: [] };
    this.#slots.set(key, slot);
    if (slot.active < this.#limit) {
      slot.active++;
      return Promise.resolve(this.#releaser(key, slot));
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        slot.waiters.splice(slot.waiters.indexOf(grant), 1);
        reject(signal?.reason);
      };
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        slot.active++;
        resolve(this.#releaser(key, slot));
      };
      slot.waiters.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #releaser(key: string, slot: Slot): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slot.active--;
      const next = slot.waiters.shift();
      if (next) next();
      else if (slot.active === 0) this.#slots.delete(key);
    };
  }
}
