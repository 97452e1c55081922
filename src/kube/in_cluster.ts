// In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the mounted service-account token, CA and namespace.

import type { Clock } from "../util/clock.ts";
import type { ConnectionSpec } from "./connection.ts";
import { TokenFileSource } from "./credentials.ts";
import type { HostIo } from "./host_io.ts";
import { KubeConfigError } from "./kube_errors.ts";

/** Where Kubernetes mounts the service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR =
  "/var/run/secrets/kubernetes.io/serviceaccount";

/** Options of {@linkcode loadInClusterConfig}. */
export interface InClusterOptions {
  io: HostIo;
  clock?: Clock;
  /** Overrides {@linkcode SERVICE_ACCOUNT_DIR} (tests). */
  serviceAccountDir?: string;
}

/** Whether the process runs in a pod (the service environment variables are set). */
export function isInCluster(io: HostIo): boolean {
  return Boolean(
    io.env("KUBERNETES_SERVICE_HOST") && io.env("KUBERNETES_SERVICE_PORT"),
  );
}

/** Builds the connection of a pod: the token file is re-read as it rotates. */
export async function loadInClusterConfig(
  options: InClusterOptions,
): Promise<ConnectionSpec> {
  const { io } = options;
  const host = io.env("KUBERNETES_SERVICE_HOST");
  const port = io.env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw new KubeConfigError(
      "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set",
    );
  }
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  let caPem: string;
  try {
    caPem = await io.readTextFile(`${dir}/ca.crt`);
  } catch (error) {
    throw new KubeConfigError(
      `could not read the service-account CA "${dir}/ca.crt": ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  let namespace = "default";
  try {
    namespace = (await io.readTextFile(`${dir}/namespace`)).trim() ||
      "default";
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return {
    server: `https://${hostPart}:${port}`,
    namespace,
    caPem,
    credentials: new TokenFileSource(`${dir}/token`, {
      io,
      ...(options.clock ? { clock: options.clock } : {}),
    }),
  };
}
