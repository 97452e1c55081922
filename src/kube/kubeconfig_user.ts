// A kubeconfig user's credentials: client certificate, static token, token file or exec plugin (with cluster info).

import type { Clock } from "../util/clock.ts";
import {
  type ClientCertificate,
  type CredentialSource,
  staticCredential,
  TokenFileSource,
} from "./credentials.ts";
import {
  ExecCredentialSource,
  type ExecPluginConfig,
} from "./exec_credential.ts";
import type { HostIo } from "./host_io.ts";
import { KubeConfigError } from "./kube_errors.ts";
import {
  type ClusterEntry,
  type ExecEntry,
  type Located,
  resolvePath,
  type UserEntry,
} from "./kubeconfig_file.ts";
import { readPem } from "./kubeconfig_tls.ts";

/**
 * The client certificate and credential source of a user entry (`caPem` is the cluster's, for
 * exec plugins that ask for cluster info).
 *
 * @throws {KubeConfigError} naming the field that is wrong or not supported
 */
export async function resolveUser(
  located: Located<UserEntry>,
  cluster: Located<ClusterEntry>,
  caPem: string | undefined,
  options: { io: HostIo; clock?: Clock | undefined },
): Promise<{
  clientCertificate?: ClientCertificate;
  credentials?: CredentialSource;
}> {
  const user = located.value;
  const entry = { file: located.file, field: `${located.field}.user` };
  for (const unsupported of ["username", "password", "auth-provider", "as"]) {
    if (user[unsupported] !== undefined && user[unsupported] !== null) {
      throw new KubeConfigError(
        "not supported: use a token, a client certificate or an exec plugin",
        { file: entry.file, field: `${entry.field}.${unsupported}` },
      );
    }
  }
  const certPem = await readPem(entry, options.io, {
    data: user["client-certificate-data"],
    path: user["client-certificate"],
  }, {
    data: "client-certificate-data",
    path: "client-certificate",
  }, "certificate");
  const keyPem = await readPem(
    entry,
    options.io,
    {
      data: user["client-key-data"],
      path: user["client-key"],
    },
    { data: "client-key-data", path: "client-key" },
    "key",
  );
  if ((certPem === undefined) !== (keyPem === undefined)) {
    throw new KubeConfigError(
      certPem === undefined
        ? "client key without a client certificate"
        : "client certificate without a client key",
      entry,
    );
  }
  const result: {
    clientCertificate?: ClientCertificate;
    credentials?: CredentialSource;
  } = {};
  if (certPem !== undefined && keyPem !== undefined) {
    result.clientCertificate = { certPem, keyPem };
  }
  const hasToken = Boolean(user.token || user.tokenFile);
  if (hasToken && user.exec) {
    throw new KubeConfigError(
      "token and exec are mutually exclusive",
      entry,
    );
  }
  if (user.token) {
    result.credentials = staticCredential({ token: user.token });
  } else if (user.tokenFile) {
    result.credentials = new TokenFileSource(
      resolvePath(user.tokenFile, located.file),
      { io: options.io, ...(options.clock ? { clock: options.clock } : {}) },
    );
  } else if (user.exec) {
    result.credentials = new ExecCredentialSource(
      execConfig(user.exec, located.file, cluster.value, caPem),
      { io: options.io, ...(options.clock ? { clock: options.clock } : {}) },
    );
  }
  return result;
}

function execConfig(
  exec: ExecEntry,
  file: string,
  cluster: ClusterEntry,
  caPem: string | undefined,
): ExecPluginConfig {
  // Like client-go: a command with a path separator is relative to the kubeconfig; a bare
  // name is looked up in PATH.
  const command = exec.command.includes("/")
    ? resolvePath(exec.command, file)
    : exec.command;
  const config: ExecPluginConfig = {
    apiVersion: exec.apiVersion,
    command,
    args: exec.args ?? [],
    env: exec.env ?? [],
    installHint: exec.installHint ?? undefined,
    interactiveMode: exec.interactiveMode ?? undefined,
  };
  if (exec.provideClusterInfo) {
    config.cluster = {
      server: cluster.server,
      ...(caPem !== undefined
        ? { "certificate-authority-data": btoa(caPem) }
        : {}),
      ...(cluster["tls-server-name"]
        ? { "tls-server-name": cluster["tls-server-name"] }
        : {}),
      ...(cluster["insecure-skip-tls-verify"]
        ? { "insecure-skip-tls-verify": true }
        : {}),
    };
  }
  return config;
}
