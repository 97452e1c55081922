// The control plane of the current test run (started by test/run_tests.ts, described by env vars) and fresh namespaces in it.

import { ControlPlane, KubeRequestError } from "./control_plane.ts";

/** Environment variables through which run_tests.ts describes the shared control plane to `deno test`. */
export const CONTROL_PLANE_ENV = {
  /** Admin kubeconfig path (`O=system:masters`). */
  kubeconfig: "APIM_TEST_KUBECONFIG",
  /** kube-apiserver URL. */
  server: "APIM_TEST_KUBE_SERVER",
  /** etcd client URL. */
  etcdUrl: "APIM_TEST_ETCD_URL",
  /** The control plane's working directory (PKI, kubeconfigs, logs). */
  dir: "APIM_TEST_CONTROL_PLANE_DIR",
  /** Directory with kubectl, helm and the server binaries. */
  binDir: "APIM_TEST_BIN_DIR",
} as const;

/** The env vars that let {@linkcode sharedControlPlane} find `plane` from another process. */
export function controlPlaneEnv(plane: ControlPlane): Record<string, string> {
  return {
    [CONTROL_PLANE_ENV.kubeconfig]: plane.kubeconfigPath,
    [CONTROL_PLANE_ENV.server]: plane.server,
    [CONTROL_PLANE_ENV.etcdUrl]: plane.etcdUrl,
    [CONTROL_PLANE_ENV.dir]: plane.dir,
    [CONTROL_PLANE_ENV.binDir]: plane.binDir,
  };
}

/** Reads a control-plane env var or fails with a message saying how tests are meant to run. */
export function requiredTestEnv(name: string): string {
  const value = Deno.env.get(name);
  if (!value) {
    throw new Error(
      `${name} is not set: run tests through "deno task test", which starts the shared control plane`,
    );
  }
  return value;
}

/**
 * The control plane of this test run (kube-apiserver + etcd + kube-controller-manager). Its
 * `stop()` does nothing: run_tests.ts owns the processes.
 */
export async function sharedControlPlane(): Promise<ControlPlane> {
  return await ControlPlane.attach({
    dir: requiredTestEnv(CONTROL_PLANE_ENV.dir),
    server: requiredTestEnv(CONTROL_PLANE_ENV.server),
    etcdUrl: requiredTestEnv(CONTROL_PLANE_ENV.etcdUrl),
    binDir: requiredTestEnv(CONTROL_PLANE_ENV.binDir),
  });
}

/** A namespace created for one test; `await using` deletes it at the end of the scope. */
export interface TestNamespace {
  name: string;
  /** Deletes the namespace (without waiting for it to disappear); a missing namespace is fine. */
  delete(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const NAME_SUFFIX_LENGTH = 8;

/** A DNS-1123 label `<prefix>-<random>`, at most 63 characters. */
export function uniqueNamespaceName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  ).slice(0, 63 - NAME_SUFFIX_LENGTH - 1).replace(/-+$/, "") || "test";
  const suffix = crypto.randomUUID().replaceAll("-", "").slice(
    0,
    NAME_SUFFIX_LENGTH,
  );
  return `${clean}-${suffix}`;
}

/** Creates a fresh, uniquely named namespace (as admin). */
export async function createTestNamespace(
  plane: ControlPlane,
  prefix = "test",
): Promise<TestNamespace> {
  const name = uniqueNamespaceName(prefix);
  const created = await plane.request("POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
  if (created.status !== 201) {
    throw new KubeRequestError("POST", "/api/v1/namespaces", created);
  }
  const remove = async () => {
    const path = `/api/v1/namespaces/${name}`;
    const deleted = await plane.request("DELETE", path);
    if (![200, 202, 404].includes(deleted.status)) {
      throw new KubeRequestError("DELETE", path, deleted);
    }
  };
  return { name, delete: remove, [Symbol.asyncDispose]: remove };
}
