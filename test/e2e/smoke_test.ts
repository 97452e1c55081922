// Smoke test: the test run talks to a real kube-apiserver (CRDs, admission, watch), kubectl and helm work.

import assert from "node:assert/strict";
import { z } from "zod";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../controlplane/shared.ts";
import { helm, kubectl } from "../support/kubectl.ts";
import { waitFor } from "../support/wait.ts";

const GROUP = "smoke.apim-test.example.com";
const CRD_NAME = `widgets.${GROUP}`;
const CRD_YAML = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${CRD_NAME}
spec:
  group: ${GROUP}
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, listKind: WidgetList }
  versions:
    - name: v1
      served: true
      storage: true
      subresources: { status: {} }
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer, minimum: 1 }
                color: { type: string, default: blue }
`;

const crdStatus = z.object({
  status: z.object({
    conditions: z.array(z.object({ type: z.string(), status: z.string() }))
      .default([]),
  }).default({ conditions: [] }),
});

const widget = z.object({
  metadata: z.object({ name: z.string(), resourceVersion: z.string() }),
  spec: z.record(z.string(), z.unknown()),
});

const watchEvent = z.object({
  type: z.enum(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]),
  object: z.unknown(),
});
type WatchEvent = z.infer<typeof watchEvent>;

/** Reads newline-delimited watch events until `enough` says so or the server ends the stream. */
async function readWatch(
  body: ReadableStream<Uint8Array>,
  enough: (events: WatchEvent[]) => boolean,
): Promise<WatchEvent[]> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const events: WatchEvent[] = [];
  let buffer = "";
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        const line = buffer.slice(0, i).trim();
        buffer = buffer.slice(i + 1);
        if (line) events.push(watchEvent.parse(JSON.parse(line)));
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

function sizesByType(events: WatchEvent[]): Array<[string, unknown]> {
  return events.map((e) => [e.type, widget.parse(e.object).spec.size]);
}

Deno.test("the shared control plane is a real kube-apiserver v1.33", async () => {
  const plane = await sharedControlPlane();
  const version = await plane.request("GET", "/version");
  assert.equal(version.status, 200);
  assert.match(
    z.object({ gitVersion: z.string() }).parse(version.body).gitVersion,
    /^v1\.33\.\d+$/,
  );
  // Anonymous requests are authenticated as system:anonymous and RBAC forbids listing namespaces.
  using anonymous = plane.httpClient();
  const response = await fetch(`${plane.server}/api/v1/namespaces`, {
    client: anonymous,
  });
  await response.body?.cancel();
  assert.equal(response.status, 403);
});

Deno.test("a CRD installed with kubectl serves objects that admission validates and watch reports", async () => {
  const plane = await sharedControlPlane();
  const applied = await kubectl(["apply", "-f", "-"], {
    kubeconfig: plane.kubeconfigPath,
    stdin: CRD_YAML,
  });
  assert.equal(applied.code, 0, applied.stderr);
  await waitFor(async () => {
    const crd = await plane.request(
      "GET",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`,
    );
    const established = crdStatus.parse(crd.body).status.conditions.some((c) =>
      c.type === "Established" && c.status === "True"
    );
    return established ? true : undefined;
  }, { description: `CRD "${CRD_NAME}" to be Established` });

  await using namespace = await createTestNamespace(plane, "smoke");
  const collection =
    `${plane.server}/apis/${GROUP}/v1/namespaces/${namespace.name}/widgets`;
  using client = Deno.createHttpClient({
    caCerts: [plane.caPem],
    cert: plane.admin.certPem,
    key: plane.admin.keyPem,
  });
  const send = async (
    method: string,
    url: string,
    body?: unknown,
    contentType = "application/json",
  ) => {
    const response = await fetch(url, {
      method,
      client,
      headers: { "content-type": contentType },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() as unknown };
  };

  // Established is not the end: until the new resource's watch cache is initialised the
  // apiserver answers 429 "storage is (re)initializing" with Retry-After.
  const list = await waitFor(async () => {
    const listed = await send("GET", collection);
    return listed.status === 200 ? listed : undefined;
  }, { description: "the widgets collection to be served" });
  const listVersion =
    z.object({ metadata: z.object({ resourceVersion: z.string() }) })
      .parse(list.body).metadata.resourceVersion;
  const watch = await fetch(
    `${collection}?watch=1&resourceVersion=${listVersion}&timeoutSeconds=60`,
    { client },
  );
  assert.equal(watch.status, 200);
  assert.ok(watch.body);

  const invalid = await send("POST", collection, {
    apiVersion: `${GROUP}/v1`,
    kind: "Widget",
    metadata: { name: "too-small" },
    spec: { size: 0 },
  });
  assert.equal(invalid.status, 422);
  assert.equal(
    z.object({ reason: z.string() }).parse(invalid.body).reason,
    "Invalid",
  );

  const created = await send("POST", collection, {
    apiVersion: `${GROUP}/v1`,
    kind: "Widget",
    metadata: { name: "first" },
    spec: { size: 1, unknownField: "pruned by the structural schema" },
  });
  assert.equal(created.status, 201);
  assert.deepEqual(widget.parse(created.body).spec, { size: 1, color: "blue" });

  const patched = await send(
    "PATCH",
    `${collection}/first`,
    { spec: { size: 2 } },
    "application/merge-patch+json",
  );
  assert.equal(patched.status, 200);

  const events = await readWatch(
    watch.body,
    (seen) => seen.some((e) => e.type === "MODIFIED"),
  );
  assert.deepEqual(sizesByType(events), [["ADDED", 1], ["MODIFIED", 2]]);
  const [added, modified] = events.map((e) => widget.parse(e.object));
  assert.equal(added?.metadata.name, "first");
  assert.equal(
    modified?.metadata.resourceVersion,
    widget.parse(patched.body).metadata.resourceVersion,
  );

  const got = await kubectl(
    ["get", "widgets", "-n", namespace.name, "-o", "json"],
    { kubeconfig: plane.kubeconfigPath },
  );
  assert.equal(got.code, 0, got.stderr);
  const items =
    z.object({ items: z.array(widget) }).parse(JSON.parse(got.stdout))
      .items;
  assert.deepEqual(items.map((w) => [w.metadata.name, w.spec.size]), [[
    "first",
    2,
  ]]);
});

Deno.test("helm reaches the shared control plane", async () => {
  const plane = await sharedControlPlane();
  await using namespace = await createTestNamespace(plane, "smoke-helm");
  const listed = await helm(["list", "-n", namespace.name, "-o", "json"], {
    kubeconfig: plane.kubeconfigPath,
  });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), []);
});
