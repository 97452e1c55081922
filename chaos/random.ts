// Seeded randomness for schedules (mulberry32): one seed gives the same schedule on every machine.

/** A deterministic pseudo-random source. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of `items` (which must not be empty). */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError("Nothing to pick from");
    return item;
  }

  /** One of the entries, with probability proportional to its weight (weights ≤ 0 never). */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const usable = entries.filter(([, w]) => w > 0);
    const total = usable.reduce((sum, [, w]) => sum + w, 0);
    let point = this.next() * total;
    for (const [item, weight] of usable) {
      point -= weight;
      if (point < 0) return item;
    }
    const last = usable.at(-1);
    if (!last) throw new RangeError("Nothing to pick from");
    return last[0];
  }

  /** A subset of `items`, each kept with probability `p`, in their order. */
  subset<T>(items: readonly T[], p = 0.5): T[] {
    return items.filter(() => this.chance(p));
  }

  /** `items` in a random order. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}
