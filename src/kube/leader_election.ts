// Leader election on a coordination.k8s.io/v1 Lease: acquire, renew, step down, release (client-go semantics).

import { z } from "zod";
import { errorFields, type Logger, silentLogger } from "../log.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { leases } from "./builtin_resources.ts";
import type { KubeClient } from "./kube_client.ts";
import { objectMetaSchema } from "./kube_object.ts";
import { formatMicroTime } from "./micro_time.ts";
import { ResourceApi } from "./resource_api.ts";

const leaseSchema = z.looseObject({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    holderIdentity: z.string().nullish(),
    leaseDurationSeconds: z.number().int().nullish(),
    acquireTime: z.string().nullish(),
    renewTime: z.string().nullish(),
    leaseTransitions: z.number().int().nullish(),
  }).exactOptional(),
});

/** A Lease as leader election reads it. */
export type LeaseObject = z.infer<typeof leaseSchema>;

/** Options of {@linkcode LeaderElector}. */
export interface LeaderElectionOptions {
  client: KubeClient;
  /** Namespace and name of the Lease. */
  namespace: string;
  name: string;
  /** Unique per replica, e.g. the pod name. */
  identity: string;
  /** How long a lease is valid without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** The leader steps down when it could not renew for this long (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between acquire/renew attempts (default 2 s). */
  retryPeriodMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

/** Work that runs only while leading; `signal` aborts when leadership ends. */
export type LeaderWork = (signal: AbortSignal) => Promise<void>;

type Attempt = "acquired" | "heldByOther" | "failed";
type LeadEnd = "lost" | "shutdown" | "workEnded";

/** client-go's jitter factor for the acquire loop. */
const JITTER = 1.2;

/**
 * Contends for a Lease and runs work while holding it. Followers watch the lease's renew
 * time with their own clock (no clock-skew assumptions) and take over when it has not changed
 * for a lease duration; a leader that cannot renew within the renew deadline stops its work;
 * on shutdown the leader clears the holder so a follower takes over at once.
 */
export class LeaderElector {
  readonly #api: ResourceApi<LeaseObject>;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger;
  #leading = false;
  #lease: LeaseObject | undefined;
  #observedRecord = "";
  #observedAt = 0;
  #heartbeatAt: number | undefined;
  /** When this replica last acquired or renewed the lease (by its own clock). */
  #renewedAt = 0;

  constructor(options: LeaderElectionOptions) {
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.#leaseDurationMs <= this.#renewDeadlineMs) {
      throw new RangeError(
        "Invalid leader election timing: the lease duration must be longer than the renew deadline",
      );
    }
    if (this.#renewDeadlineMs <= JITTER * this.#retryPeriodMs) {
      throw new RangeError(
        "Invalid leader election timing: the renew deadline must be longer than 1.2 retry periods",
      );
    }
    this.#api = new ResourceApi(
      options.client,
      leases,
      (v) => leaseSchema.parse(v),
    );
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#identity = options.identity;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = (options.logger ?? silentLogger).child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
  }

  /** Whether this replica currently holds the lease. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Whether this replica leads and renewed within the renew deadline, checked at call time: a
   * replica that was frozen (SIGSTOP, a stalled node) learns on waking, before anything else runs,
   * that another may have taken over, even if its renew loop has not noticed yet.
   */
  holdsLease(): boolean {
    return this.#leading &&
      this.#clock.now() - this.#renewedAt < this.#renewDeadlineMs;
  }

  /** When the election loop last finished an acquire or renew attempt (a liveness probe reads it). */
  get heartbeatAt(): number | undefined {
    return this.#heartbeatAt;
  }

  /**
   * Contends until `signal` aborts. Each time the lease is acquired `work` starts; its signal
   * aborts when leadership is lost or on shutdown, and the lease is released after it returns.
   */
  async run(work: LeaderWork, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!await this.#acquire(signal)) break;
      this.#renewedAt = this.#clock.now();
      this.#leading = true;
      this.#logger.info("Became leader");
      const end = await this.#lead(work, signal);
      this.#leading = false;
      if (end === "lost") {
        this.#logger.warn("Lost leadership");
      } else {
        await this.#release();
        this.#logger.info("Released leadership", { reason: end });
      }
      if (end === "workEnded") {
        // Work that ends on its own must not turn into a tight acquire/release loop.
        await this.#clock.sleep(this.#retryPeriodMs, signal).catch(() => {});
      }
    }
  }

  async #acquire(signal: AbortSignal): Promise<boolean> {
    this.#logger.info("Waiting to acquire the leader lease");
    for (;;) {
      if (signal.aborted) return false;
      // A bounded attempt: a hung request must not stop the loop (the liveness probe watches it).
      const attempt = await this.#tryAcquireOrRenew(
        AbortSignal.any([signal, AbortSignal.timeout(this.#renewDeadlineMs)]),
      );
      if (attempt === "acquired") return true;
      const wait = this.#retryPeriodMs * (1 + JITTER * this.#random());
      try {
        await this.#clock.sleep(wait, signal);
      } catch {
        return false;
      }
    }
  }

  async #lead(work: LeaderWork, signal: AbortSignal): Promise<LeadEnd> {
    const stopWork = new AbortController();
    const workEnded = new AbortController();
    const running = (async () => {
      try {
        await work(AbortSignal.any([signal, stopWork.signal]));
      } catch (error) {
        if (!stopWork.signal.aborted && !signal.aborted) {
          this.#logger.error("Leader work failed", errorFields(error));
        }
      } finally {
        workEnded.abort();
      }
    })();
    const end = await this.#renewUntilLost(
      signal,
      AbortSignal.any([signal, workEnded.signal]),
    );
    stopWork.abort();
    await running;
    return end;
  }

  async #renewUntilLost(
    shutdown: AbortSignal,
    stop: AbortSignal,
  ): Promise<LeadEnd> {
    this.#renewedAt = this.#clock.now();
    for (;;) {
      try {
        await this.#clock.sleep(this.#retryPeriodMs, stop);
      } catch {
        return shutdown.aborted ? "shutdown" : "workEnded";
      }
      const remaining = Math.max(
        1,
        this.#renewDeadlineMs - (this.#clock.now() - this.#renewedAt),
      );
      const attempt = await this.#tryAcquireOrRenew(
        AbortSignal.any([stop, AbortSignal.timeout(remaining)]),
      );
      if (stop.aborted) return shutdown.aborted ? "shutdown" : "workEnded";
      if (attempt === "acquired") {
        this.#renewedAt = this.#clock.now();
      } else if (attempt === "heldByOther") {
        return "lost";
      } else if (this.#clock.now() - this.#renewedAt >= this.#renewDeadlineMs) {
        return "lost";
      }
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    try {
      return await this.#attempt(signal);
    } finally {
      this.#heartbeatAt = this.#clock.now();
    }
  }

  async #attempt(signal: AbortSignal): Promise<Attempt> {
    const now = this.#clock.now();
    const options = { namespace: this.#namespace, signal };
    const ownSpec = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1000),
      renewTime: formatMicroTime(now),
    };
    try {
      const lease = await this.#api.find(this.#name, options);
      if (lease === undefined) {
        const created = await this.#api.create({
          metadata: { name: this.#name, namespace: this.#namespace },
          spec: {
            ...ownSpec,
            acquireTime: ownSpec.renewTime,
            leaseTransitions: 0,
          },
        }, options);
        this.#observe(created);
        return "acquired";
      }
      this.#observe(lease);
      const spec = lease.spec ?? {};
      const holder = spec.holderIdentity ?? "";
      const mine = holder === this.#identity;
      if (holder !== "" && !mine && !this.#expired(lease, now)) {
        return "heldByOther";
      }
      const transitions = spec.leaseTransitions ?? 0;
      const updated = await this.#api.replace({
        ...lease,
        spec: {
          ...spec,
          ...ownSpec,
          acquireTime: mine
            ? spec.acquireTime ?? ownSpec.renewTime
            : ownSpec.renewTime,
          leaseTransitions: mine ? transitions : transitions + 1,
        },
      }, options);
      this.#observe(updated);
      return "acquired";
    } catch (error) {
      if (!signal.aborted) {
        this.#logger.debug("Leader lease attempt failed", errorFields(error));
      }
      return "failed";
    }
  }

  /** Remembers when (by our clock) the lease record last changed. */
  #observe(lease: LeaseObject): void {
    this.#lease = lease;
    const spec = lease.spec ?? {};
    const record = JSON.stringify([
      spec.holderIdentity,
      spec.renewTime,
      spec.acquireTime,
      spec.leaseTransitions,
      spec.leaseDurationSeconds,
    ]);
    if (record !== this.#observedRecord) {
      this.#observedRecord = record;
      this.#observedAt = this.#clock.now();
    }
  }

  #expired(lease: LeaseObject, now: number): boolean {
    const seconds = lease.spec?.leaseDurationSeconds ??
      Math.ceil(this.#leaseDurationMs / 1000);
    return this.#observedAt + seconds * 1000 <= now;
  }

  /** Clears the holder (1 s duration) so that a follower can take over immediately. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (lease === undefined || lease.spec?.holderIdentity !== this.#identity) {
      return;
    }
    const now = formatMicroTime(this.#clock.now());
    const { holderIdentity: _holder, ...rest } = lease.spec;
    try {
      const released = await this.#api.replace({
        ...lease,
        spec: {
          ...rest,
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
        },
      }, {
        namespace: this.#namespace,
        signal: AbortSignal.timeout(this.#renewDeadlineMs),
      });
      this.#observe(released);
    } catch (error) {
      this.#logger.warn(
        "Could not release the leader lease",
        errorFields(error),
      );
    }
  }
}
