// A cache survives 410 Gone: etcd is compacted while its watch is down, the re-watch expires, the relist catches up.

import assert from "node:assert/strict";
import { z } from "zod";
import { Cache } from "../../../src/kube/cache.ts";
import { configMaps } from "../../../src/kube/builtin_resources.ts";
import type { KubeClient } from "../../../src/kube/kube_client.ts";
import { KubeApiError } from "../../../src/kube/kube_errors.ts";
import { ResourceApi } from "../../../src/kube/resource_api.ts";
import type { WatchOptions } from "../../../src/kube/resource_list_watch.ts";
import type { WatchEvent } from "../../../src/kube/watch_event.ts";
import { startControlPlane } from "../../controlplane/control_plane.ts";
import {
  CONTROL_PLANE_ENV,
  createTestNamespace,
  requiredTestEnv,
} from "../../controlplane/shared.ts";
import {
  clientFor,
  configMap,
  configMapApi,
  type ConfigMapObject,
  decodeConfigMap,
  until,
} from "./kube_fixtures.ts";

/**
 * The ConfigMap API with a switch in front of its watches: `disconnect()` cuts the open
 * stream and holds new ones back until `reconnect()`. Records the 410s the server sends.
 */
class SwitchedConfigMapApi extends ResourceApi<ConfigMapObject> {
  listCalls = 0;
  goneResponses = 0;
  heldBack = false;
  #cut = new AbortController();
  #gate: PromiseWithResolvers<void> | undefined;

  constructor(client: KubeClient) {
    super(client, configMaps, decodeConfigMap);
  }

  disconnect(): void {
    this.#gate = Promise.withResolvers<void>();
    this.#cut.abort();
  }

  reconnect(): void {
    this.#gate?.resolve();
    this.#gate = undefined;
  }

  override pages(...args: Parameters<ResourceApi<ConfigMapObject>["pages"]>) {
    this.listCalls++;
    return super.pages(...args);
  }

  override async *watch(
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<ConfigMapObject>> {
    if (this.#gate) {
      this.heldBack = true;
      await abortable(this.#gate.promise, options.signal);
      this.heldBack = false;
    }
    this.#cut = new AbortController();
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#cut.signal])
      : this.#cut.signal;
    try {
      for await (const event of super.watch({ ...options, signal })) {
        if (event.type === "ERROR" && event.error.isGone()) {
          this.goneResponses++;
        }
        yield event;
      }
    } catch (error) {
      if (error instanceof KubeApiError && error.isGone()) this.goneResponses++;
      throw error;
    }
  }
}

function abortable(
  promise: Promise<void>,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

const etcdHeader = z.object({ header: z.object({ revision: z.string() }) });

/** Compacts etcd up to its current revision through the JSON gateway; returns that revision. */
async function compactEtcd(etcdUrl: string): Promise<number> {
  const range = await fetch(`${etcdUrl}/v3/kv/range`, {
    method: "POST",
    body: JSON.stringify({ key: btoa("/") }),
  });
  const revision = etcdHeader.parse(await range.json()).header.revision;
  const compaction = await fetch(`${etcdUrl}/v3/kv/compaction`, {
    method: "POST",
    body: JSON.stringify({ revision, physical: true }),
  });
  assert.equal(compaction.status, 200, await compaction.text());
  return Number(revision);
}

Deno.test("a cache relists after 410 Gone and misses no update made while its watch was down", async () => {
  await using plane = await startControlPlane({
    binDir: requiredTestEnv(CONTROL_PLANE_ENV.binDir),
    extraApiServerArgs: ["--watch-cache=false"],
  });
  await using ns = await createTestNamespace(plane, "kube-gone");
  using client = await clientFor(plane.kubeconfigPath);
  const writer = configMapApi(client);
  await writer.create(configMap(ns.name, "updated", { v: "1" }));
  await writer.create(configMap(ns.name, "deleted", { v: "1" }));

  const api = new SwitchedConfigMapApi(client);
  const cache = new Cache({
    api,
    namespaces: [ns.name],
    backoff: { initialMs: 50, maxMs: 200, factor: 2, jitter: 0.5 },
  });
  const changes: string[] = [];
  cache.subscribe((c) =>
    changes.push(
      `${c.key} ${c.previous?.data?.["v"] ?? "-"}->${
        c.current?.data?.["v"] ?? "-"
      }`,
    )
  );
  const abort = new AbortController();
  const running = cache.run(abort.signal);
  try {
    await cache.waitUntilSynced(AbortSignal.timeout(30_000));
    await writer.create(configMap(ns.name, "seen-live", { v: "1" }));
    await until(() => cache.get(ns.name, "seen-live"), "a live event");

    api.disconnect();
    await until(() => api.heldBack, "the watch to be held back");
    await writer.mergePatch("updated", { data: { v: "2" } }, {
      namespace: ns.name,
    });
    await writer.delete("deleted", { namespace: ns.name });
    await writer.create(configMap(ns.name, "created", { v: "1" }));
    const staleVersion = Number(
      cache.get(ns.name, "seen-live")?.metadata.resourceVersion,
    );
    const compactedAt = await compactEtcd(plane.etcdUrl);
    assert.ok(
      compactedAt > staleVersion,
      "the watcher's resourceVersion is now compacted away",
    );
    api.reconnect();

    await until(() => cache.get(ns.name, "created"), "the relist");
    assert.ok(
      api.goneResponses >= 1,
      "the re-watch was answered with 410 Gone",
    );
    assert.equal(api.listCalls, 2, "exactly one relist");
    assert.equal(cache.get(ns.name, "updated")?.data?.["v"], "2");
    assert.equal(cache.get(ns.name, "deleted"), undefined);
    const key = (name: string) => `${ns.name}/${name}`;
    assert.ok(changes.includes(`${key("updated")} 1->2`), changes.join(", "));
    assert.ok(
      changes.includes(`${key("deleted")} 1->-`),
      "the deletion is synthesised",
    );
    assert.ok(changes.includes(`${key("created")} -->1`));

    await writer.mergePatch("updated", { data: { v: "3" } }, {
      namespace: ns.name,
    });
    await until(
      () => cache.get(ns.name, "updated")?.data?.["v"] === "3",
      "live events after the relist",
    );
  } finally {
    abort.abort();
    await running;
  }
});
