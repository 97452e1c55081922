// Virtual time for tests: a Clock whose timers fire only when the test advances it.

import type { Clock } from "../../src/util/clock.ts";

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets pending promise callbacks (and the callbacks they schedule) run. */
export async function settle(): Promise<void> {
  // A macrotask boundary drains every microtask queued so far; a few rounds cover chains
  // that schedule further work from their callbacks.
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * A {@linkcode Clock} in virtual time. `sleep()` registers a timer; `advance(ms)` moves time
 * forward and fires due timers in order, letting the woken code run between timers.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<Timer>();

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  /** The virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Resolves when virtual time reaches now + `ms`; rejects with the signal's reason on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers.delete(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.add(timer);
    });
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** The virtual time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.#earliest()?.at;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const timer = this.#earliest();
      if (timer === undefined || timer.at > target) break;
      this.#timers.delete(timer);
      this.#now = Math.max(this.#now, timer.at);
      timer.resolve();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Advances to the earliest pending timer and fires it (and any due at the same time). */
  async advanceToNextTimer(): Promise<void> {
    const at = this.nextTimerAt();
    if (at !== undefined) await this.advance(Math.max(0, at - this.#now));
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) {
      if (
        best === undefined || timer.at < best.at ||
        (timer.at === best.at && timer.seq < best.seq)
      ) best = timer;
    }
    return best;
  }
}
