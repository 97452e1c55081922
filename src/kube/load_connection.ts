// Chooses the connection like controller-runtime: --kubeconfig, then KUBECONFIG, then in-cluster, then ~/.kube/config.

import type { Logger } from "../log.ts";
import type { Clock } from "../util/clock.ts";
import { KubeConnection } from "./connection.ts";
import { denoHostIo, type HostIo } from "./host_io.ts";
import { isInCluster, loadInClusterConfig } from "./in_cluster.ts";
import { defaultKubeconfigPaths, loadKubeconfig } from "./kubeconfig.ts";

/** Options of {@linkcode loadConnection}. */
export interface LoadConnectionOptions {
  /** An explicit kubeconfig file (the `--kubeconfig` flag); it must exist. */
  kubeconfig?: string | undefined;
  /** Context to use instead of the kubeconfig's `current-context`. */
  context?: string | undefined;
  io?: HostIo;
  clock?: Clock;
  logger?: Logger;
}

/** Resolves and opens the connection to the API server. Close it when done. */
export async function loadConnection(
  options: LoadConnectionOptions = {},
): Promise<KubeConnection> {
  const io = options.io ?? denoHostIo;
  const common = {
    io,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  const connectionOptions = options.logger ? { logger: options.logger } : {};
  if (options.kubeconfig !== undefined) {
    const spec = await loadKubeconfig({
      ...common,
      paths: [options.kubeconfig],
      requireAll: true,
      context: options.context,
    });
    return new KubeConnection(spec, connectionOptions);
  }
  if (!io.env("KUBECONFIG") && isInCluster(io)) {
    return new KubeConnection(
      await loadInClusterConfig(common),
      connectionOptions,
    );
  }
  const spec = await loadKubeconfig({
    ...common,
    paths: defaultKubeconfigPaths(io),
    context: options.context,
  });
  return new KubeConnection(spec, connectionOptions);
}
