// Watches the APIMAPIs of a namespace and timestamps every state the harness waits for (Ready, registered rollout).
import type { GenericObject } from "../../src/kube/kube_object.ts";
import type { ResourceApi } from "../../src/kube/resource_api.ts";
import { KubeApiError } from "../../src/kube/kube_errors.ts";
import { nowMs, sleep } from "./pool.ts";

/** What the harness reads of an APIMAPI. */
export interface ApiState {
  ready: boolean;
  reason: string;
  message: string;
  /** status.registeredReplicaSet.name / uid. */
  registeredName: string | undefined;
  registeredUid: string | undefined;
  documentDigest: string | undefined;
  /** Harness time (ms) this state arrived. */
  at: number;
}

interface Waiter {
  name: string;
  predicate: (state: ApiState) => boolean;
  resolve: (at: number) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

function stateOf(object: GenericObject, at: number): ApiState {
  const status = (object["status"] ?? {}) as {
    conditions?: Array<Record<string, string>>;
    registeredReplicaSet?: { name?: string; uid?: string };
    documentDigest?: string;
  };
  const ready = status.conditions?.find((c) => c["type"] === "Ready");
  return {
    ready: ready?.["status"] === "True",
    reason: ready?.["reason"] ?? "",
    message: ready?.["message"] ?? "",
    registeredName: status.registeredReplicaSet?.name,
    registeredUid: status.registeredReplicaSet?.uid,
    documentDigest: status.documentDigest,
    at,
  };
}

/** A list+watch of one namespace's APIMAPIs with timestamped states. */
export class ApiWatch {
  /** Latest state per APIMAPI name. */
  readonly states = new Map<string, ApiState>();
  /** When each APIMAPI was first seen Ready. */
  readonly firstReadyAt = new Map<string, number>();
  readonly #waiters = new Set<Waiter>();
  readonly #abort = new AbortController();
  #running: Promise<void> = Promise.resolve();

  private constructor(
    readonly api: ResourceApi<GenericObject>,
    readonly namespace: string,
  ) {}

  /** Lists the namespace and keeps watching until `stop()`. */
  static async start(
    api: ResourceApi<GenericObject>,
    namespace: string,
  ): Promise<ApiWatch> {
    const watch = new ApiWatch(api, namespace);
    const version = await watch.#list();
    watch.#running = watch.#loop(version);
    return watch;
  }

  async #list(): Promise<string> {
    const list = await this.api.listAll({
      namespace: this.namespace,
      signal: this.#abort.signal,
    });
    const at = nowMs();
    for (const object of list.items) this.#update(object, at);
    return list.resourceVersion;
  }

  async #loop(fromVersion: string): Promise<void> {
    let version = fromVersion;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        for await (
          const event of this.api.watch({
            namespace: this.namespace,
            resourceVersion: version,
            timeoutSeconds: 300,
            signal,
          })
        ) {
          const at = nowMs();
          if (event.type === "BOOKMARK") {
            version = event.resourceVersion;
          } else if (event.type === "ERROR") {
            throw event.error;
          } else {
            version = event.object.metadata?.resourceVersion ?? version;
            if (event.type === "DELETED") {
              this.states.delete(event.object.metadata?.name ?? "");
            } else this.#update(event.object, at);
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof KubeApiError && error.status === 410) {
          version = await this.#list().catch(() => version);
        } else {
          await sleep(200);
        }
      }
    }
  }

  #update(object: GenericObject, at: number): void {
    const name = object.metadata?.name ?? "";
    const state = stateOf(object, at);
    this.states.set(name, state);
    if (state.ready && !this.firstReadyAt.has(name)) {
      this.firstReadyAt.set(name, at);
    }
    for (const waiter of [...this.#waiters]) {
      if (waiter.name === name && waiter.predicate(state)) {
        this.#waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(at);
      }
    }
  }

  /**
   * Resolves with the harness time at which APIMAPI `name` was first seen in a state satisfying
   * `predicate` (at once if its current state does).
   */
  waitFor(
    name: string,
    predicate: (state: ApiState) => boolean,
    timeoutMs: number,
    description = `APIMAPI "${name}"`,
  ): Promise<number> {
    const current = this.states.get(name);
    if (current && predicate(current)) return Promise.resolve(current.at);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        name,
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          const state = this.states.get(name);
          reject(
            new Error(
              `Timed out after ${timeoutMs} ms waiting for ${description}; last state: ${
                JSON.stringify(state)
              }`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Number of APIMAPIs currently Ready. */
  readyCount(): number {
    let count = 0;
    for (const state of this.states.values()) if (state.ready) count++;
    return count;
  }

  /** Stops watching. */
  async stop(): Promise<void> {
    this.#abort.abort();
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error("The watch stopped"));
    }
    this.#waiters.clear();
    await this.#running.catch(() => {});
  }
}
