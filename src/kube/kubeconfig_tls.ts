// TLS material in a kubeconfig: PEM certificates and keys from `*-data` fields or files, the cluster's server and CA.

import type { Logger } from "../log.ts";
import type { ConnectionSpec } from "./connection.ts";
import type { HostIo } from "./host_io.ts";
import { KubeConfigError } from "./kube_errors.ts";
import {
  type ClusterEntry,
  type Located,
  resolvePath,
} from "./kubeconfig_file.ts";
import { decodeBase64Text, isPemCertificate, isPemPrivateKey } from "./pem.ts";

/** Reads PEM text from a `*-data` field (base64) or a file field, checking what it holds. */
export async function readPem(
  entry: { file: string; field: string },
  io: HostIo,
  sources: { data: string | null | undefined; path: string | null | undefined },
  names: { data: string; path: string },
  kind: "certificate" | "key",
): Promise<string | undefined> {
  const check = kind === "key" ? isPemPrivateKey : isPemCertificate;
  const problem = kind === "key" ? "not a PEM key" : "not a PEM certificate";
  if (sources.data) {
    const field = `${entry.field}.${names.data}`;
    const text = decodeBase64Text(sources.data);
    if (text === undefined) {
      throw new KubeConfigError("not valid base64", {
        file: entry.file,
        field,
      });
    }
    if (!check(text)) {
      throw new KubeConfigError(problem, { file: entry.file, field });
    }
    return text;
  }
  if (sources.path) {
    const field = `${entry.field}.${names.path}`;
    const path = resolvePath(sources.path, entry.file);
    let text: string;
    try {
      text = await io.readTextFile(path);
    } catch (error) {
      throw new KubeConfigError(
        `could not read "${path}": ${
          error instanceof Error ? error.message : String(error)
        }`,
        { file: entry.file, field, cause: error },
      );
    }
    if (!check(text)) {
      throw new KubeConfigError(`"${path}" is ${problem}`, {
        file: entry.file,
        field,
      });
    }
    return text;
  }
  return undefined;
}

/**
 * The server and CA of a cluster entry; warns about TLS settings Deno cannot honour.
 *
 * @throws {KubeConfigError} naming the field that is wrong
 */
export async function resolveCluster(
  located: Located<ClusterEntry>,
  io: HostIo,
  logger: Logger,
): Promise<
  { spec: Omit<ConnectionSpec, "namespace">; caPem: string | undefined }
> {
  const cluster = located.value;
  const entry = { file: located.file, field: `${located.field}.cluster` };
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new KubeConfigError(`"${cluster.server}" is not an http(s) URL`, {
      file: entry.file,
      field: `${entry.field}.server`,
    });
  }
  const caPem = await readPem(entry, io, {
    data: cluster["certificate-authority-data"],
    path: cluster["certificate-authority"],
  }, {
    data: "certificate-authority-data",
    path: "certificate-authority",
  }, "certificate");
  if (cluster["insecure-skip-tls-verify"]) {
    logger.warn(
      "Cluster sets insecure-skip-tls-verify; Deno cannot skip verification per connection, so the server certificate is still verified (run Deno with --unsafely-ignore-certificate-errors=<host> to skip it)",
      { server: cluster.server },
    );
  }
  if (cluster["tls-server-name"]) {
    logger.warn(
      "Cluster sets tls-server-name, which Deno's HTTP client cannot use; the server certificate is verified against the host of the server URL",
      { server: cluster.server, tlsServerName: cluster["tls-server-name"] },
    );
  }
  const spec: Omit<ConnectionSpec, "namespace"> = { server: cluster.server };
  if (caPem !== undefined) spec.caPem = caPem;
  return { spec, caPem };
}
