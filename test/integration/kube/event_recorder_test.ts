// EventRecorder against the real kube-apiserver: Events written, repeats aggregated into a series, limits, failures.

import assert from "node:assert/strict";
import { z } from "zod";
import { events } from "../../../src/kube/builtin_resources.ts";
import {
  EventRecorder,
  type InvolvedObject,
} from "../../../src/kube/event_recorder.ts";
import type { KubeClient } from "../../../src/kube/kube_client.ts";
import { ResourceApi } from "../../../src/kube/resource_api.ts";
import { Logger } from "../../../src/log.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../../controlplane/shared.ts";
import { clientFor, configMap, configMapApi } from "./kube_fixtures.ts";

const eventSchema = z.object({
  metadata: z.object({ name: z.string() }),
  type: z.string(),
  reason: z.string(),
  action: z.string(),
  note: z.string(),
  reportingController: z.string(),
  reportingInstance: z.string(),
  regarding: z.object({
    kind: z.string(),
    name: z.string(),
    uid: z.string().optional(),
  }),
  series: z.object({ count: z.number(), lastObservedTime: z.string() })
    .optional(),
});

async function listEvents(client: KubeClient, namespace: string) {
  const api = new ResourceApi(client, events, (v) => eventSchema.parse(v));
  const { items } = await api.listAll({ namespace });
  return items.sort((x, y) => x.note.localeCompare(y.note));
}

async function involved(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<InvolvedObject> {
  const cm = await configMapApi(client).create(configMap(namespace, name));
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    name,
    namespace,
    uid: cm.metadata.uid,
  };
}

Deno.test("EventRecorder writes an Event, folds repeats into its series, cuts a note to 1 kB of UTF-8", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-events");
  using client = await clientFor(plane.kubeconfigPath);
  const regarding = await involved(client, ns.name, "target");
  const recorder = new EventRecorder({
    client,
    reportingController: "kube-test.example.com/recorder",
    reportingInstance: "test-1",
  });
  for (let i = 0; i < 4; i++) {
    await recorder.record(regarding, {
      type: "Warning",
      reason: "SyncFailed",
      note: "upstream said no",
    });
  }
  await recorder.record(regarding, {
    type: "Normal",
    reason: "Synced",
    note: "all good",
    action: "Sync",
  });

  const written = await listEvents(client, ns.name);
  assert.equal(written.length, 2, "repeats do not create new Events");
  const [normal, warning] = written;
  assert.equal(warning?.type, "Warning");
  assert.equal(warning?.reason, "SyncFailed");
  assert.equal(
    warning?.action,
    "SyncFailed",
    "the action defaults to the reason",
  );
  assert.equal(warning?.reportingController, "kube-test.example.com/recorder");
  assert.equal(warning?.reportingInstance, "test-1");
  assert.deepEqual(warning?.regarding, {
    kind: "ConfigMap",
    name: "target",
    uid: regarding.uid,
  });
  assert.equal(warning?.series?.count, 4);
  assert.equal(normal?.action, "Sync");
  assert.equal(normal?.series, undefined);

  // The API server takes 1 kB of UTF-8 (Go's len); operation paths and ids in OpenAPI
  // pre-flight warnings are not always ASCII.
  const long = '"GET /订单/{编号}", "POST /заказы" '.repeat(100);
  await recorder.record(regarding, {
    type: "Warning",
    reason: "Long",
    note: long,
  });
  const kept = (await listEvents(client, ns.name))
    .find((e) => e.reason === "Long")?.note ?? "";
  assert.ok(new TextEncoder().encode(kept).byteLength <= 1024, kept);
  assert.ok(kept.length > 100 && long.startsWith(kept), kept);
});

Deno.test("EventRecorder rate-limits per object and logs failures instead of throwing", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-events-limit");
  using client = await clientFor(plane.kubeconfigPath);
  const regarding = await involved(client, ns.name, "noisy");
  const lines: string[] = [];
  const recorder = new EventRecorder({
    client,
    reportingController: "kube-test.example.com/recorder",
    reportingInstance: "test-1",
    burst: 2,
    refillMs: 3_600_000,
    logger: new Logger({ sink: (line) => lines.push(line) }),
  });
  for (const note of ["one", "three", "two"]) {
    await recorder.record(regarding, { type: "Normal", reason: "Step", note });
  }
  assert.deepEqual((await listEvents(client, ns.name)).map((e) => e.note), [
    "one",
    "three",
  ]);

  await recorder.record(
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "ghost",
      namespace: "no-such-namespace-kube-events",
    },
    { type: "Warning", reason: "Lost", note: "nowhere to write" },
  );
  assert.ok(
    lines.some((line) => /"level":"warn".*Could not record event/.test(line)),
    lines.join("\n"),
  );
});
