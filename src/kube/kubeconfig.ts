// Kubeconfig loading: which files to read, the chosen context resolved to a ConnectionSpec.

import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import type { Clock } from "../util/clock.ts";
import type { ConnectionSpec } from "./connection.ts";
import type { HostIo } from "./host_io.ts";
import { KubeConfigError } from "./kube_errors.ts";
import {
  type Located,
  readMergedKubeconfig,
  type UserEntry,
} from "./kubeconfig_file.ts";
import { resolveCluster } from "./kubeconfig_tls.ts";
import { resolveUser } from "./kubeconfig_user.ts";

/** Options of {@linkcode loadKubeconfig}. */
export interface LoadKubeconfigOptions {
  /** Files in precedence order (the first definition of a name wins). */
  paths: string[];
  /** Whether a missing file is an error (an explicit `--kubeconfig`) or skipped (KUBECONFIG list). */
  requireAll?: boolean;
  /** Context to use instead of `current-context`. */
  context?: string | undefined;
  io: HostIo;
  clock?: Clock;
  logger?: Logger;
}

/** The kubeconfig files to read: `KUBECONFIG` (a `:`-separated list) or `~/.kube/config`. */
export function defaultKubeconfigPaths(io: HostIo): string[] {
  const list = io.env("KUBECONFIG");
  if (list !== undefined && list.trim() !== "") {
    return list.split(":").filter((p) => p !== "");
  }
  const home = io.env("HOME") ?? io.env("USERPROFILE");
  if (home === undefined) {
    throw new KubeConfigError(
      "no kubeconfig: neither KUBECONFIG nor HOME is set",
    );
  }
  return [`${home}/.kube/config`];
}

/** Reads, merges and resolves kubeconfig files into a {@linkcode ConnectionSpec}. */
export async function loadKubeconfig(
  options: LoadKubeconfigOptions,
): Promise<ConnectionSpec> {
  const merged = await readMergedKubeconfig(options);
  const contextName = options.context ?? merged.currentContext;
  if (contextName === undefined || contextName === "") {
    throw new KubeConfigError(
      `no current-context in ${
        options.paths.map((p) => `"${p}"`).join(", ")
      } and no context was chosen`,
    );
  }
  const context = merged.contexts.get(contextName);
  if (context === undefined) {
    throw new KubeConfigError(`context "${contextName}" not found`);
  }
  const cluster = merged.clusters.get(context.value.cluster);
  if (cluster === undefined) {
    throw new KubeConfigError(
      `cluster "${context.value.cluster}" not found`,
      { file: context.file, field: `${context.field}.context.cluster` },
    );
  }
  const userName = context.value.user;
  let user: Located<UserEntry> | undefined;
  if (userName) {
    user = merged.users.get(userName);
    if (user === undefined) {
      throw new KubeConfigError(`user "${userName}" not found`, {
        file: context.file,
        field: `${context.field}.context.user`,
      });
    }
  }
  const logger = options.logger ?? silentLogger;
  const { spec: clusterSpec, caPem } = await resolveCluster(
    cluster,
    options.io,
    logger,
  );
  const spec: ConnectionSpec = {
    ...clusterSpec,
    namespace: context.value.namespace || "default",
  };
  if (user !== undefined) {
    const auth = await resolveUser(user, cluster, caPem, options);
    if (auth.clientCertificate) spec.clientCertificate = auth.clientCertificate;
    if (auth.credentials) spec.credentials = auth.credentials;
  }
  return spec;
}
