// The operator's leader Lease as the runner tampers with it: read the holder, steal it for a while, or release it.
import { leases } from "../../src/kube/builtin_resources.ts";
import type { KubeClient } from "../../src/kube/kube_client.ts";
import {
  decodeGenericObject,
  type GenericObject,
} from "../../src/kube/kube_object.ts";
import { formatMicroTime } from "../../src/kube/micro_time.ts";
import { ResourceApi } from "../../src/kube/resource_api.ts";
import { sleepUnless } from "./sleep.ts";

/** The identity the runner writes into a stolen Lease. */
export const THIEF = "chaos-thief";

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

function specOf(lease: GenericObject): LeaseSpec {
  return (lease["spec"] ?? {}) as LeaseSpec;
}

/** One Lease in one namespace. */
export class LeaseControl {
  readonly #api: ResourceApi<GenericObject>;
  readonly #namespace: string;
  readonly #name: string;

  constructor(kube: KubeClient, namespace: string, name: string) {
    this.#api = new ResourceApi(kube, leases, decodeGenericObject);
    this.#namespace = namespace;
    this.#name = name;
  }

  /** The current holder, if the Lease exists and names one. */
  async holder(): Promise<string | undefined> {
    const lease = await this.#api.find(this.#name, {
      namespace: this.#namespace,
    });
    return lease ? specOf(lease).holderIdentity || undefined : undefined;
  }

  async #write(change: (spec: LeaseSpec) => LeaseSpec): Promise<boolean> {
    const lease = await this.#api.find(this.#name, {
      namespace: this.#namespace,
    });
    if (!lease) return false;
    try {
      await this.#api.replace({ ...lease, spec: change(specOf(lease)) }, {
        namespace: this.#namespace,
      });
      return true;
    } catch {
      // A replica renewed in between (409): the next attempt reads it again.
      return false;
    }
  }

  /**
   * Takes the Lease as another contender would and renews it every second for `holdMs` (or until
   * `healed` aborts), with a 4 s duration; then stops renewing, so it expires.
   */
  async steal(holdMs: number, healed: AbortSignal): Promise<void> {
    const until = Date.now() + holdMs;
    let first = true;
    while (!healed.aborted && Date.now() < until) {
      const now = formatMicroTime(Date.now());
      await this.#write((spec) => ({
        ...spec,
        holderIdentity: THIEF,
        leaseDurationSeconds: 4,
        renewTime: now,
        ...(first && spec.holderIdentity !== THIEF
          ? {
            acquireTime: now,
            leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
          }
          : {}),
      }));
      first = false;
      await sleepUnless(1000, healed);
    }
  }

  /** Clears the holder, as a leader stepping down does: any contender may take it at once. */
  async release(): Promise<boolean> {
    return await this.#write(({ holderIdentity: _holder, ...rest }) => ({
      ...rest,
      leaseDurationSeconds: 1,
      renewTime: formatMicroTime(Date.now()),
    }));
  }
}
