// Product and tag memberships as API Management lists them, read at most once per resync period and shared by every API's drift check.
import type { Clock } from "../util/clock.ts";

interface Snapshot {
  takenAt: number;
  /** Lower-cased ids (API Management compares them case-insensitively). */
  members: Set<string>;
}

/** A membership list as of `takenAt`; `fresh` when it was listed for this question. */
export interface Membership {
  has(id: string): boolean;
  fresh: boolean;
}

/**
 * Lists of members (e.g. the APIs in a product) keyed by what was listed. A list younger than
 * `maxAgeMs` is reused, so N APIs in one product cost one list call per period, not N; callers
 * in flight at once share one call.
 */
export class MembershipSnapshots {
  readonly #maxAgeMs: number;
  readonly #clock: Clock;
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #listing = new Map<string, Promise<Snapshot>>();

  constructor(maxAgeMs: number, clock: Clock) {
    this.#maxAgeMs = maxAgeMs;
    this.#clock = clock;
  }

  /**
   * The members under `key`, from a snapshot younger than the maximum age or from `list()`.
   * `listedSince` asks for a list taken at or after that time (e.g. now, to confirm a gap).
   */
  async members(
    key: string,
    list: () => Promise<readonly string[]>,
    options: { listedSince?: number } = {},
  ): Promise<Membership> {
    const now = this.#clock.now();
    this.#dropStale(now);
    const known = this.#snapshots.get(key);
    const since = options.listedSince ?? now - this.#maxAgeMs;
    const usable = known && known.takenAt >= since ? known : undefined;
    const snapshot = usable ?? await this.#list(key, list);
    return {
      has: (id) => snapshot.members.has(id.toLowerCase()),
      fresh: usable === undefined,
    };
  }

  /** Records a member added by the operator, so the snapshot stays true. */
  add(key: string, id: string): void {
    this.#snapshots.get(key)?.members.add(id.toLowerCase());
  }

  #list(
    key: string,
    list: () => Promise<readonly string[]>,
  ): Promise<Snapshot> {
    const running = this.#listing.get(key);
    if (running) return running;
    const takenAt = this.#clock.now();
    const listing = list().then((ids) => {
      const snapshot = {
        takenAt,
        members: new Set(ids.map((id) => id.toLowerCase())),
      };
      this.#snapshots.set(key, snapshot);
      return snapshot;
    }).finally(() => this.#listing.delete(key));
    this.#listing.set(key, listing);
    return listing;
  }

  #dropStale(now: number): void {
    for (const [key, snapshot] of this.#snapshots) {
      if (now - snapshot.takenAt > 2 * this.#maxAgeMs) {
        this.#snapshots.delete(key);
      }
    }
  }
}
