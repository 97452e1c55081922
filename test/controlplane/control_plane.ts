// A real kube-apiserver + etcd (+ optional kube-controller-manager) on loopback for tests, started like envtest.

import { z } from "zod";
import { waitFor } from "../support/wait.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import {
  type ClientCertificate,
  type ControlPlanePki,
  generatePki,
  mintClientCertificate,
  pkiIn,
} from "./pki.ts";
import { LoggedProcess, ProcessExitedError } from "./process.ts";
import { provisionBinaries } from "./provision.ts";

/** A user of the control plane: its kubeconfig plus the client certificate it embeds. */
export interface ClientCredentials extends ClientCertificate {
  kubeconfigPath: string;
}

/** How a {@linkcode ControlPlane.request} authenticates: a client certificate or a bearer token. */
export type RequestIdentity = ClientCertificate | { token: string };

/** Options for {@linkcode startControlPlane}. */
export interface ControlPlaneOptions {
  /** Appended to the kube-apiserver command line (e.g. `--watch-cache=false`). */
  extraApiServerArgs?: string[];
  /** Also run kube-controller-manager (GC, namespace, service-account and aggregation controllers). */
  withControllerManager?: boolean;
  /** Directory with the binaries; default: run provision.sh. */
  binDir?: string;
  /** Bound for each startup phase (default 180 s: a loaded 2-core box can take over a minute). */
  startTimeoutMs?: number;
  /** Abandons the startup (everything started is stopped again). */
  signal?: AbortSignal;
}

/** Where a running control plane lives; enough to attach to it from another process. */
export interface ControlPlaneLocation {
  /** Working directory: PKI, kubeconfigs, logs, etcd data. */
  dir: string;
  /** kube-apiserver URL, `https://127.0.0.1:<port>`. */
  server: string;
  /** etcd client URL, `http://127.0.0.1:<port>` (its JSON gateway serves `/v3/...`). */
  etcdUrl: string;
  /** Directory with kubectl, helm and the server binaries. */
  binDir: string;
}

/** A Kubernetes API response: status and the body (parsed JSON, or the raw text if it is not JSON). */
export interface KubeResponse {
  status: number;
  body: unknown;
}

/** A control-plane helper request got an unexpected status; carries it so callers can decide. */
export class KubeRequestError extends Error {
  override name = "KubeRequestError";
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: unknown;

  constructor(method: string, path: string, response: KubeResponse) {
    super(
      `${method} "${path}" returned ${response.status}: ${
        JSON.stringify(response.body)
      }`,
    );
    this.method = method;
    this.path = path;
    this.status = response.status;
    this.body = response.body;
  }
}

/** User name and groups of the admin client certificate (cluster-admin through `system:masters`). */
export const ADMIN_USER = { name: "admin", groups: ["system:masters"] };

const DEFAULT_START_TIMEOUT_MS = 180_000;
const PORT_ATTEMPTS = 3;
// Deployments become ReplicaSets and Pods like on a real cluster; there is no kubelet, so tests
// play it by setting Pod status (Ready) themselves.
const CONTROLLERS = [
  "deployment-controller",
  "replicaset-controller",
  "garbage-collector-controller",
  "namespace-controller",
  "serviceaccount-controller",
  "serviceaccount-token-controller",
  "clusterrole-aggregation-controller",
];

const tokenRequestResponse = z.object({
  status: z.object({ token: z.string().min(1) }),
});

function adminKubeconfigPath(dir: string): string {
  return `${dir}/admin.kubeconfig`;
}

function adminCertPrefix(dir: string): string {
  return `${dir}/pki/admin`;
}

async function parseBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A running (or attached-to) test control plane. */
export class ControlPlane implements ControlPlaneLocation {
  readonly dir: string;
  readonly server: string;
  readonly etcdUrl: string;
  readonly binDir: string;
  /** PEM of the CA that signs the serving certificate and client certificates. */
  readonly caPem: string;
  /** The cluster-admin user (`O=system:masters`). */
  readonly admin: ClientCredentials;
  readonly #pki: ControlPlanePki;
  readonly #processes: LoggedProcess[];
  #stopped = false;

  private constructor(
    location: ControlPlaneLocation,
    caPem: string,
    admin: ClientCredentials,
    processes: LoggedProcess[],
  ) {
    this.dir = location.dir;
    this.server = location.server;
    this.etcdUrl = location.etcdUrl;
    this.binDir = location.binDir;
    this.caPem = caPem;
    this.admin = admin;
    this.#pki = pkiIn(`${location.dir}/pki`);
    this.#processes = processes;
  }

  /**
   * A handle on the control plane at `location` whose files already exist. `processes` are the ones
   * this handle owns and stops; attaching with none gives a handle whose `stop()` only forgets.
   */
  static async attach(
    location: ControlPlaneLocation,
    processes: LoggedProcess[] = [],
  ): Promise<ControlPlane> {
    const prefix = adminCertPrefix(location.dir);
    const admin: ClientCredentials = {
      kubeconfigPath: adminKubeconfigPath(location.dir),
      certPem: await Deno.readTextFile(`${prefix}.crt`),
      keyPem: await Deno.readTextFile(`${prefix}.key`),
    };
    const caPem = await Deno.readTextFile(
      pkiIn(`${location.dir}/pki`).caCertPath,
    );
    return new ControlPlane(location, caPem, admin, processes);
  }

  /** Path of the admin kubeconfig. */
  get kubeconfigPath(): string {
    return this.admin.kubeconfigPath;
  }

  /** Mints a client certificate and kubeconfig for `name` in `groups` (RBAC decides what it may do). */
  async mintUser(
    name: string,
    groups: readonly string[] = [],
  ): Promise<ClientCredentials> {
    const usersDir = `${this.dir}/users`;
    await Deno.mkdir(usersDir, { recursive: true });
    const prefix = `${usersDir}/${
      name.replace(/[^A-Za-z0-9_.-]/g, "_")
    }-${crypto.randomUUID()}`;
    const cert = await mintClientCertificate(this.#pki, name, groups, prefix);
    const kubeconfigPath = `${prefix}.kubeconfig`;
    await writeKubeconfig(kubeconfigPath, {
      server: this.server,
      caPem: this.caPem,
      user: cert,
      userName: name,
    });
    return { kubeconfigPath, ...cert };
  }

  /** A bound token for ServiceAccount `namespace/name` from the TokenRequest API (min. 600 s). */
  async serviceAccountToken(
    namespace: string,
    name: string,
    expirationSeconds = 3600,
  ): Promise<string> {
    const path = `/api/v1/namespaces/${
      encodeURIComponent(namespace)
    }/serviceaccounts/${encodeURIComponent(name)}/token`;
    const response = await this.request("POST", path, {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds },
      },
    });
    if (response.status !== 201 && response.status !== 200) {
      throw new KubeRequestError("POST", path, response);
    }
    return tokenRequestResponse.parse(response.body).status.token;
  }

  /** Writes a kubeconfig that authenticates as ServiceAccount `namespace/name` with a fresh token. */
  async serviceAccountKubeconfig(
    namespace: string,
    name: string,
    expirationSeconds?: number,
  ): Promise<string> {
    const token = await this.serviceAccountToken(
      namespace,
      name,
      expirationSeconds,
    );
    const usersDir = `${this.dir}/users`;
    await Deno.mkdir(usersDir, { recursive: true });
    const path =
      `${usersDir}/sa-${namespace}-${name}-${crypto.randomUUID()}.kubeconfig`;
    await writeKubeconfig(path, {
      server: this.server,
      caPem: this.caPem,
      user: { token },
      userName: `system:serviceaccount:${namespace}:${name}`,
    });
    return path;
  }

  /** An HTTP client that trusts the control plane's CA and presents `certificate`; the caller closes it. */
  httpClient(certificate?: ClientCertificate): Deno.HttpClient {
    return Deno.createHttpClient({
      caCerts: [this.caPem],
      ...(certificate
        ? { cert: certificate.certPem, key: certificate.keyPem }
        : {}),
    });
  }

  /** One request to the apiserver (admin by default); JSON in, parsed body out; any status is returned. */
  async request(
    method: string,
    path: string,
    options: {
      body?: unknown;
      contentType?: string;
      identity?: RequestIdentity;
      signal?: AbortSignal;
    } = {},
  ): Promise<KubeResponse> {
    const identity = options.identity ?? this.admin;
    const headers = new Headers({ accept: "application/json" });
    if ("token" in identity) {
      headers.set("authorization", `Bearer ${identity.token}`);
    }
    if (options.body !== undefined) {
      headers.set("content-type", options.contentType ?? "application/json");
    }
    using client = this.httpClient("token" in identity ? undefined : identity);
    const response = await fetch(new URL(path, this.server), {
      method,
      headers,
      client,
      ...(options.body === undefined
        ? {}
        : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { status: response.status, body: await parseBody(response) };
  }

  /** Stops the processes this handle owns (SIGTERM, then SIGKILL) and deletes `dir`; idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#processes.length === 0) return;
    await stopAll(this.#processes);
    await Deno.remove(this.dir, { recursive: true });
  }

  /** `await using plane = await startControlPlane()` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

async function stopAll(processes: readonly LoggedProcess[]): Promise<void> {
  for (const process of [...processes].reverse()) await process.stop();
}

/** `count` distinct free TCP ports on 127.0.0.1 (free when asked; a later bind can still lose a race). */
function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => l.addr.port);
  for (const listener of listeners) listener.close();
  return ports;
}

/** Runs `start` again with new ports when a process lost a port race ("address already in use"). */
async function retryOnPortConflict<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (
        !(error instanceof ProcessExitedError && error.portInUse) ||
        attempt >= PORT_ATTEMPTS
      ) throw error;
    }
  }
}

/** Bounds and cancellation of one startup phase. */
interface PhaseLimits {
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** Waits until `probe` yields a value, failing early (with the log tail) if `process` ends first. */
async function waitWhileRunning<T>(
  process: LoggedProcess,
  description: string,
  limits: PhaseLimits,
  probe: (signal: AbortSignal) => Promise<T | undefined>,
): Promise<T> {
  try {
    return await waitFor(probe, {
      description,
      timeoutMs: limits.timeoutMs,
      intervalMs: 200,
      signal: limits.signal
        ? AbortSignal.any([process.exitSignal, limits.signal])
        : process.exitSignal,
    });
  } catch (error) {
    if (error instanceof ProcessExitedError || limits.signal?.aborted) {
      throw error;
    }
    throw new Error(
      `${
        error instanceof Error ? error.message : String(error)
      }\n${process.component} log (${process.logPath}):\n${
        (await process.exitedError()).logTail
      }`,
      { cause: error },
    );
  }
}

async function startEtcd(
  binDir: string,
  dir: string,
  limits: PhaseLimits,
): Promise<{ process: LoggedProcess; url: string }> {
  const [clientPort, peerPort] = freePorts(2);
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = `${dir}/etcd-data`;
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  const process = await LoggedProcess.spawn("etcd", `${binDir}/etcd`, [
    "--name=apim-test",
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=apim-test=${peerUrl}`,
    "--unsafe-no-fsync=true",
  ], `${dir}/etcd.log`);
  try {
    await waitWhileRunning(
      process,
      "etcd to report healthy",
      limits,
      async (signal) => {
        const response = await fetch(`${url}/health`, { signal });
        const body = await parseBody(response);
        return z.object({ health: z.literal("true") }).safeParse(body).success
          ? true
          : undefined;
      },
    );
  } catch (error) {
    await process.stop();
    throw error;
  }
  return { process, url };
}

async function startApiServer(
  binDir: string,
  pki: ControlPlanePki,
  dir: string,
  etcdUrl: string,
  extraArgs: readonly string[],
): Promise<{ process: LoggedProcess; server: string }> {
  const [port] = freePorts(1);
  const server = `https://127.0.0.1:${port}`;
  const process = await LoggedProcess.spawn(
    "kube-apiserver",
    `${binDir}/kube-apiserver`,
    [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      // The kubernetes Service endpoint would be 127.0.0.1, which Endpoints validation rejects.
      "--endpoint-reconciler-type=none",
      `--secure-port=${port}`,
      `--cert-dir=${pki.dir}`,
      `--tls-cert-file=${pki.servingCertPath}`,
      `--tls-private-key-file=${pki.servingKeyPath}`,
      `--client-ca-file=${pki.caCertPath}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${pki.serviceAccountPublicKeyPath}`,
      `--service-account-signing-key-file=${pki.serviceAccountKeyPath}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      "--allow-privileged=true",
      "--disable-admission-plugins=ServiceAccount",
      ...extraArgs,
    ],
    `${dir}/kube-apiserver.log`,
  );
  return { process, server };
}

async function startControllerManager(
  binDir: string,
  pki: ControlPlanePki,
  dir: string,
): Promise<LoggedProcess> {
  return await LoggedProcess.spawn(
    "kube-controller-manager",
    `${binDir}/kube-controller-manager`,
    [
      `--kubeconfig=${adminKubeconfigPath(dir)}`,
      `--controllers=${CONTROLLERS.join(",")}`,
      `--service-account-private-key-file=${pki.serviceAccountKeyPath}`,
      `--root-ca-file=${pki.caCertPath}`,
      "--use-service-account-credentials=false",
      "--leader-elect=false",
      "--secure-port=0",
    ],
    `${dir}/kube-controller-manager.log`,
  );
}

/** Waits until `GET path` answers 200 (as admin) while `process` runs. */
async function waitForOk(
  plane: ControlPlane,
  process: LoggedProcess,
  path: string,
  description: string,
  limits: PhaseLimits,
): Promise<void> {
  await waitWhileRunning(process, description, limits, async (signal) => {
    const response = await plane.request("GET", path, { signal });
    if (response.status === 200) return true;
    throw new KubeRequestError("GET", path, response);
  });
}

/**
 * Starts etcd, then kube-apiserver (envtest's flags, RBAC, client-certificate admin), waits for
 * `/readyz` and namespace `default`; with `withControllerManager` also kube-controller-manager,
 * waiting until it created ServiceAccount `default/default`. Logs are in `<dir>/<component>.log`;
 * on failure everything started is stopped and the error carries the failing component's log tail.
 */
export async function startControlPlane(
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> {
  const binDir = options.binDir ??
    await provisionBinaries(options.signal ? { signal: options.signal } : {});
  const limits: PhaseLimits = {
    timeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    signal: options.signal,
  };
  const dir = await Deno.makeTempDir({ prefix: "apim-control-plane-" });
  const processes: LoggedProcess[] = [];
  try {
    const pki = await generatePki(`${dir}/pki`);
    const admin = await mintClientCertificate(
      pki,
      ADMIN_USER.name,
      ADMIN_USER.groups,
      adminCertPrefix(dir),
    );
    const etcd = await retryOnPortConflict(() =>
      startEtcd(binDir, dir, limits)
    );
    processes.push(etcd.process);
    const { plane, apiServer } = await retryOnPortConflict(async () => {
      const started = await startApiServer(
        binDir,
        pki,
        dir,
        etcd.url,
        options.extraApiServerArgs ?? [],
      );
      const location = {
        dir,
        server: started.server,
        etcdUrl: etcd.url,
        binDir,
      };
      await writeKubeconfig(adminKubeconfigPath(dir), {
        server: started.server,
        caPem: await Deno.readTextFile(pki.caCertPath),
        user: admin,
        userName: ADMIN_USER.name,
      });
      const plane = await ControlPlane.attach(location, processes);
      try {
        await waitForOk(
          plane,
          started.process,
          "/readyz",
          "kube-apiserver to be ready",
          limits,
        );
      } catch (error) {
        await started.process.stop();
        throw error;
      }
      return { plane, apiServer: started.process };
    });
    processes.push(apiServer);
    await waitForOk(
      plane,
      apiServer,
      "/api/v1/namespaces/default",
      'namespace "default"',
      limits,
    );
    if (options.withControllerManager) {
      const kcm = await startControllerManager(binDir, pki, dir);
      processes.push(kcm);
      await waitForOk(
        plane,
        kcm,
        "/api/v1/namespaces/default/serviceaccounts/default",
        'kube-controller-manager to create ServiceAccount "default/default"',
        limits,
      );
    }
    return plane;
  } catch (error) {
    await stopAll(processes);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}
