// Kubeconfig loading: parse (yaml + zod), merge a KUBECONFIG list, pick a context, resolve to a ConnectionSpec.

import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import type { Clock } from "../util/clock.ts";
import type { ConnectionSpec } from "./connection.ts";
import {
  type ClientCertificate,
  type CredentialSource,
  staticCredential,
  TokenFileSource,
} from "./credentials.ts";
import {
  EXEC_API_VERSIONS,
  ExecCredentialSource,
  type ExecPluginConfig,
} from "./exec_credential.ts";
import { formatIssues } from "./format_issues.ts";
import type { HostIo } from "./host_io.ts";
import { KubeConfigError } from "./kube_errors.ts";
import { decodeBase64Text, isPemCertificate, isPemPrivateKey } from "./pem.ts";

const optionalString = z.string().nullish();

const clusterSchema = z.looseObject({
  server: z.string().min(1),
  "certificate-authority": optionalString,
  "certificate-authority-data": optionalString,
  "insecure-skip-tls-verify": z.boolean().nullish(),
  "tls-server-name": optionalString,
});

const execSchema = z.looseObject({
  apiVersion: z.enum(EXEC_API_VERSIONS, {
    error: `must be one of ${EXEC_API_VERSIONS.join(", ")}`,
  }),
  command: z.string().min(1),
  args: z.array(z.string()).nullish(),
  env: z.array(z.object({ name: z.string(), value: z.string() })).nullish(),
  installHint: optionalString,
  provideClusterInfo: z.boolean().nullish(),
  interactiveMode: z.enum(["Never", "IfAvailable", "Always"]).nullish(),
});

const userSchema = z.looseObject({
  "client-certificate": optionalString,
  "client-certificate-data": optionalString,
  "client-key": optionalString,
  "client-key-data": optionalString,
  token: optionalString,
  tokenFile: optionalString,
  exec: execSchema.nullish(),
});

const contextSchema = z.looseObject({
  cluster: z.string().min(1),
  user: optionalString,
  namespace: optionalString,
});

const fileSchema = z.looseObject({
  "current-context": optionalString,
  clusters: z.array(z.object({ name: z.string(), cluster: clusterSchema }))
    .nullish(),
  users: z.array(z.object({ name: z.string(), user: userSchema })).nullish(),
  contexts: z.array(z.object({ name: z.string(), context: contextSchema }))
    .nullish(),
});

type ClusterEntry = z.infer<typeof clusterSchema>;
type UserEntry = z.infer<typeof userSchema>;
type ContextEntry = z.infer<typeof contextSchema>;

/** A named entry and where it came from (for relative paths and error messages). */
interface Located<T> {
  value: T;
  file: string;
  /** e.g. `users[2]`. */
  field: string;
}

interface MergedConfig {
  currentContext: string | undefined;
  clusters: Map<string, Located<ClusterEntry>>;
  users: Map<string, Located<UserEntry>>;
  contexts: Map<string, Located<ContextEntry>>;
}

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
  const merged = await readMerged(options);
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

async function readMerged(
  options: LoadKubeconfigOptions,
): Promise<MergedConfig> {
  const merged: MergedConfig = {
    currentContext: undefined,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  let found = 0;
  for (const file of options.paths) {
    let text: string;
    try {
      text = await options.io.readTextFile(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound && !options.requireAll) {
        continue;
      }
      throw new KubeConfigError(
        `could not read the file: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { file, cause: error },
      );
    }
    found++;
    const parsed = parseFile(text, file);
    if (!merged.currentContext && parsed["current-context"]) {
      merged.currentContext = parsed["current-context"];
    }
    addEntries(
      merged.clusters,
      parsed.clusters,
      "clusters",
      file,
      (e) => e.cluster,
    );
    addEntries(merged.users, parsed.users, "users", file, (e) => e.user);
    addEntries(
      merged.contexts,
      parsed.contexts,
      "contexts",
      file,
      (e) => e.context,
    );
  }
  if (found === 0) {
    throw new KubeConfigError(
      `no kubeconfig file found (looked for ${
        options.paths.map((p) => `"${p}"`).join(", ")
      })`,
    );
  }
  return merged;
}

function parseFile(text: string, file: string): z.infer<typeof fileSchema> {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new KubeConfigError(
      `not valid YAML: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { file, cause: error },
    );
  }
  const parsed = fileSchema.safeParse(document ?? {});
  if (!parsed.success) {
    throw new KubeConfigError(formatIssues(parsed.error), { file });
  }
  return parsed.data;
}

function addEntries<E extends { name: string }, T>(
  target: Map<string, Located<T>>,
  entries: E[] | null | undefined,
  section: string,
  file: string,
  valueOf: (entry: E) => T,
): void {
  entries?.forEach((entry, index) => {
    if (!target.has(entry.name)) {
      target.set(entry.name, {
        value: valueOf(entry),
        file,
        field: `${section}[${index}]`,
      });
    }
  });
}

function directoryOf(file: string): string {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : file.slice(0, slash);
}

/** Resolves a path from a kubeconfig relative to that kubeconfig's directory. */
function resolvePath(path: string, file: string): string {
  if (path.startsWith("/")) return path;
  const dir = directoryOf(file);
  const relative = path.replace(/^(\.\/)+/, "");
  return dir === "/" ? `/${relative}` : `${dir}/${relative}`;
}

/** Reads PEM text from a `*-data` field (base64) or a file field, checking what it holds. */
async function readPem(
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

async function resolveCluster(
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

async function resolveUser(
  located: Located<UserEntry>,
  cluster: Located<ClusterEntry>,
  caPem: string | undefined,
  options: LoadKubeconfigOptions,
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
  exec: z.infer<typeof execSchema>,
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
