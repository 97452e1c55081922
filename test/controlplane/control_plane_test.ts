// Tests of the control-plane harness: dedicated start/stop, and users, tokens, etcd access, kcm on the shared one.

import assert from "node:assert/strict";
import { z } from "zod";
import { kubectl } from "../support/kubectl.ts";
import { waitFor } from "../support/wait.ts";
import {
  type ControlPlane,
  KubeRequestError,
  type RequestIdentity,
  startControlPlane,
} from "./control_plane.ts";
import { ProcessExitedError } from "./process.ts";
import {
  CONTROL_PLANE_ENV,
  createTestNamespace,
  requiredTestEnv,
  sharedControlPlane,
  uniqueNamespaceName,
} from "./shared.ts";

const userInfo = z.object({
  status: z.object({
    userInfo: z.object({
      username: z.string(),
      groups: z.array(z.string()).default([]),
    }),
  }),
});

const objectMeta = z.object({
  metadata: z.object({
    name: z.string(),
    uid: z.string(),
    resourceVersion: z.string(),
  }),
});

/** Who the apiserver thinks `identity` is (SelfSubjectReview). */
async function whoAmI(
  plane: ControlPlane,
  identity: RequestIdentity,
): Promise<{ username: string; groups: string[] }> {
  const review = await plane.request(
    "POST",
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    {
      identity,
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "SelfSubjectReview",
      },
    },
  );
  assert.equal(review.status, 201, JSON.stringify(review.body));
  return userInfo.parse(review.body).status.userInfo;
}

/** Creates an object as admin by POSTing `body` to `collection`; asserts 201 Created. */
async function createObject(
  plane: ControlPlane,
  collection: string,
  body: Record<string, unknown>,
): Promise<z.infer<typeof objectMeta>> {
  const created = await plane.request("POST", collection, { body });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return objectMeta.parse(created.body);
}

function createConfigMap(
  plane: ControlPlane,
  namespace: string,
  body: Record<string, unknown>,
): Promise<z.infer<typeof objectMeta>> {
  return createObject(plane, `/api/v1/namespaces/${namespace}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    ...body,
  });
}

/** Resolves once `GET path` answers 404. */
async function waitUntilGone(
  plane: ControlPlane,
  path: string,
  description: string,
): Promise<void> {
  await waitFor(async () => {
    const got = await plane.request("GET", path);
    return got.status === 404 ? true : undefined;
  }, { description, timeoutMs: 60_000 });
}

Deno.test("uniqueNamespaceName gives distinct DNS-1123 labels of at most 63 characters", () => {
  const names = [
    uniqueNamespaceName("Smoke Test/Ünïcode"),
    uniqueNamespaceName("x".repeat(100)),
    uniqueNamespaceName("---"),
    uniqueNamespaceName("a"),
    uniqueNamespaceName("a"),
  ];
  for (const name of names) {
    assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(name.length <= 63, name);
  }
  assert.equal(new Set(names).size, names.length);
  assert.match(names[0]!, /^smoke-test-n-code-/);
  assert.match(names[2]!, /^test-/);
});

Deno.test("mintUser: the apiserver authenticates the user and RBAC decides what it may do", async () => {
  const plane = await sharedControlPlane();
  await using namespace = await createTestNamespace(plane, "mint-user");
  const alice = await plane.mintUser("alice", ["devs", "testers"]);
  assert.deepEqual(await whoAmI(plane, alice), {
    username: "alice",
    groups: ["devs", "testers", "system:authenticated"],
  });

  const configMaps = `/api/v1/namespaces/${namespace.name}/configmaps`;
  const denied = await plane.request("GET", configMaps, { identity: alice });
  assert.equal(denied.status, 403);

  const rbac =
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace.name}`;
  await createObject(plane, `${rbac}/roles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "read-configmaps" },
    rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }],
  });
  await createObject(plane, `${rbac}/rolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "devs-read-configmaps" },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "read-configmaps",
    },
    subjects: [{
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Group",
      name: "devs",
    }],
  });
  await waitFor(async () => {
    const listed = await plane.request("GET", configMaps, { identity: alice });
    return listed.status === 200 ? true : undefined;
  }, { description: "the RoleBinding to let alice list configmaps" });

  const viaKubectl = await kubectl(
    ["get", "configmaps", "-n", namespace.name, "-o", "name"],
    { kubeconfig: alice.kubeconfigPath },
  );
  assert.equal(viaKubectl.code, 0, viaKubectl.stderr);
  const forbidden = await kubectl(["get", "secrets", "-n", namespace.name], {
    kubeconfig: alice.kubeconfigPath,
  });
  assert.notEqual(forbidden.code, 0);
  assert.match(forbidden.stderr, /forbidden/i);
});

Deno.test("serviceAccountToken and serviceAccountKubeconfig authenticate as the ServiceAccount", async () => {
  const plane = await sharedControlPlane();
  await using namespace = await createTestNamespace(plane, "sa-token");
  await createObject(
    plane,
    `/api/v1/namespaces/${namespace.name}/serviceaccounts`,
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "operator" },
    },
  );

  const token = await plane.serviceAccountToken(
    namespace.name,
    "operator",
    600,
  );
  const identity = await whoAmI(plane, { token });
  assert.equal(
    identity.username,
    `system:serviceaccount:${namespace.name}:operator`,
  );
  assert.ok(
    identity.groups.includes(`system:serviceaccounts:${namespace.name}`),
  );

  const kubeconfig = await plane.serviceAccountKubeconfig(
    namespace.name,
    "operator",
  );
  const whoami = await kubectl(["auth", "whoami", "-o", "json"], {
    kubeconfig,
  });
  assert.equal(whoami.code, 0, whoami.stderr);
  assert.equal(
    userInfo.parse(JSON.parse(whoami.stdout)).status.userInfo.username,
    `system:serviceaccount:${namespace.name}:operator`,
  );

  await assert.rejects(
    plane.serviceAccountToken(namespace.name, "missing"),
    (error: unknown) =>
      error instanceof KubeRequestError && error.status === 404,
  );
});

Deno.test("etcdUrl serves etcd's JSON gateway: compaction makes old revisions unreadable", async () => {
  const plane = await sharedControlPlane();
  await using namespace = await createTestNamespace(plane, "etcd");
  const first = await createConfigMap(plane, namespace.name, {
    metadata: { name: "compacted" },
    data: { n: "1" },
  });
  const updated = await plane.request(
    "PATCH",
    `/api/v1/namespaces/${namespace.name}/configmaps/compacted`,
    {
      body: { data: { n: "2" } },
      contentType: "application/merge-patch+json",
    },
  );
  assert.equal(updated.status, 200);
  const latest = objectMeta.parse(updated.body).metadata.resourceVersion;

  const etcd = async (path: string, body: unknown) => {
    const response = await fetch(`${plane.etcdUrl}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as unknown };
  };
  const key = btoa(`/registry/configmaps/${namespace.name}/compacted`);
  const before = await etcd("/v3/kv/range", {
    key,
    revision: first.metadata.resourceVersion,
  });
  assert.equal(before.status, 200);

  const compacted = await etcd("/v3/kv/compaction", {
    revision: latest,
    physical: true,
  });
  assert.equal(compacted.status, 200, JSON.stringify(compacted.body));
  const after = await etcd("/v3/kv/range", {
    key,
    revision: first.metadata.resourceVersion,
  });
  assert.match(
    JSON.stringify(after.body),
    /required revision has been compacted/,
  );
});

Deno.test("kube-controller-manager runs: garbage collection and namespace deletion complete", async () => {
  const plane = await sharedControlPlane();
  const namespace = await createTestNamespace(plane, "kcm");
  const owner = await createConfigMap(plane, namespace.name, {
    metadata: { name: "owner" },
  });
  await createConfigMap(plane, namespace.name, {
    metadata: {
      name: "dependent",
      ownerReferences: [{
        apiVersion: "v1",
        kind: "ConfigMap",
        name: "owner",
        uid: owner.metadata.uid,
      }],
    },
  });
  const deleted = await plane.request(
    "DELETE",
    `/api/v1/namespaces/${namespace.name}/configmaps/owner`,
  );
  assert.equal(deleted.status, 200);
  await waitUntilGone(
    plane,
    `/api/v1/namespaces/${namespace.name}/configmaps/dependent`,
    "the garbage collector to delete the dependent ConfigMap",
  );

  await namespace.delete();
  await waitUntilGone(
    plane,
    `/api/v1/namespaces/${namespace.name}`,
    `namespace "${namespace.name}" to be deleted`,
  );
});

Deno.test("startControlPlane starts a dedicated control plane with extra flags and stop() removes it", async () => {
  const plane = await startControlPlane({
    binDir: requiredTestEnv(CONTROL_PLANE_ENV.binDir),
    extraApiServerArgs: ["--watch-cache=false"],
  });
  try {
    const version = await plane.request("GET", "/version");
    assert.equal(version.status, 200);
    const log = await Deno.readTextFile(`${plane.dir}/kube-apiserver.log`);
    assert.ok(log.length > 0, "the apiserver log is written while it runs");
  } finally {
    await plane.stop();
  }
  await assert.rejects(Deno.stat(plane.dir), Deno.errors.NotFound);
  await assert.rejects(plane.request("GET", "/version"));
});

Deno.test("startControlPlane fails with the apiserver's log when the apiserver cannot start", async () => {
  const error = await startControlPlane({
    binDir: requiredTestEnv(CONTROL_PLANE_ENV.binDir),
    extraApiServerArgs: ["--no-such-flag=1"],
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ProcessExitedError, String(error));
  assert.equal(error.component, "kube-apiserver");
  assert.match(error.logTail, /unknown flag: --no-such-flag/);
});
