// Exec credential plugins (client.authentication.k8s.io v1/v1beta1): run, parse, cache until expiry.

import { z } from "zod";
import { systemClock } from "../util/clock.ts";
import type { Clock } from "../util/clock.ts";
import type { Credential, CredentialSource } from "./credentials.ts";
import { formatIssues } from "./format_issues.ts";
import type { HostIo } from "./host_io.ts";
import { KubeCredentialError } from "./kube_errors.ts";
import { isPemCertificate, isPemPrivateKey } from "./pem.ts";

/** The ExecCredential API versions we speak. */
export const EXEC_API_VERSIONS = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
] as const;

/** Cluster details passed to plugins that set `provideClusterInfo`. */
export interface ExecClusterInfo {
  server: string;
  "certificate-authority-data"?: string;
  "tls-server-name"?: string;
  "insecure-skip-tls-verify"?: boolean;
}

/** A kubeconfig `users[].user.exec` entry, with the command path already resolved. */
export interface ExecPluginConfig {
  apiVersion: typeof EXEC_API_VERSIONS[number];
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string | undefined;
  interactiveMode?: "Never" | "IfAvailable" | "Always" | undefined;
  /** Present when the kubeconfig sets `provideClusterInfo: true`. */
  cluster?: ExecClusterInfo | undefined;
}

const execCredentialSchema = z.object({
  apiVersion: z.enum(EXEC_API_VERSIONS),
  kind: z.literal("ExecCredential"),
  status: z.object({
    token: z.string().min(1).exactOptional(),
    clientCertificateData: z.string().refine(isPemCertificate, {
      message: "not a PEM certificate",
    }).exactOptional(),
    clientKeyData: z.string().refine(isPemPrivateKey, {
      message: "not a PEM key",
    }).exactOptional(),
    expirationTimestamp: z.iso.datetime({ offset: true }).exactOptional(),
  }),
});

/** Options of {@linkcode ExecCredentialSource}. */
export interface ExecCredentialSourceOptions {
  io: HostIo;
  clock?: Clock;
  /** Kills a plugin that runs longer than this (default one minute). */
  timeoutMs?: number;
}

interface Cached {
  credential: Credential;
  expiresAt: number;
}

const MAX_STDERR_IN_MESSAGE = 1024;

/**
 * Runs an exec credential plugin (e.g. kubelogin) and caches its credential until
 * `expirationTimestamp`; a 401 (`invalidate()`) makes the next `get()` run it again.
 */
export class ExecCredentialSource implements CredentialSource {
  readonly #config: ExecPluginConfig;
  readonly #io: HostIo;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #cached: Cached | undefined;
  #running: Promise<Cached> | undefined;

  constructor(config: ExecPluginConfig, options: ExecCredentialSourceOptions) {
    if (config.interactiveMode === "Always") {
      throw new KubeCredentialError(
        `Exec credential plugin "${config.command}" requires interactiveMode "Always", which a controller cannot provide`,
      );
    }
    this.#config = config;
    this.#io = options.io;
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  async get(): Promise<Credential> {
    const cached = this.#cached;
    if (cached !== undefined && this.#clock.now() < cached.expiresAt) {
      return cached.credential;
    }
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    const fresh = await this.#running;
    this.#cached = fresh;
    return fresh.credential;
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  async #run(): Promise<Cached> {
    const config = this.#config;
    const execInfo = {
      apiVersion: config.apiVersion,
      kind: "ExecCredential",
      spec: {
        interactive: false,
        ...(config.cluster ? { cluster: config.cluster } : {}),
      },
    };
    const env: Record<string, string> = {};
    for (const { name, value } of config.env) env[name] = value;
    env["KUBERNETES_EXEC_INFO"] = JSON.stringify(execInfo);

    let result;
    try {
      result = await this.#io.run({
        command: config.command,
        args: config.args,
        env,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const hint = config.installHint ? `: ${config.installHint.trim()}` : "";
      if (error instanceof Deno.errors.NotFound) {
        throw new KubeCredentialError(
          `Exec credential plugin "${config.command}" was not found${hint}`,
          error,
        );
      }
      throw new KubeCredentialError(
        `Could not run exec credential plugin "${config.command}": ${
          error instanceof Error ? error.message : String(error)
        }`,
        error,
      );
    }
    if (result.code !== 0) {
      const stderr = result.stderr.trim().slice(-MAX_STDERR_IN_MESSAGE);
      throw new KubeCredentialError(
        `Exec credential plugin "${config.command}" failed with exit code ${result.code}${
          stderr ? `: ${stderr}` : ""
        }`,
      );
    }
    return this.#parse(result.stdout);
  }

  #parse(stdout: string): Cached {
    const command = this.#config.command;
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch (error) {
      throw new KubeCredentialError(
        `Exec credential plugin "${command}" printed invalid JSON: ${
          error instanceof Error ? error.message : String(error)
        }`,
        error,
      );
    }
    const parsed = execCredentialSchema.safeParse(json);
    if (!parsed.success) {
      throw new KubeCredentialError(
        `Exec credential plugin "${command}" printed an invalid ExecCredential: ${
          formatIssues(parsed.error)
        }`,
      );
    }
    const { apiVersion, status } = parsed.data;
    if (apiVersion !== this.#config.apiVersion) {
      throw new KubeCredentialError(
        `Exec credential plugin "${command}" answered with apiVersion "${apiVersion}" instead of "${this.#config.apiVersion}"`,
      );
    }
    const credential: Credential = {};
    if (status.token !== undefined) credential.token = status.token;
    if (
      (status.clientCertificateData === undefined) !==
        (status.clientKeyData === undefined)
    ) {
      throw new KubeCredentialError(
        `Exec credential plugin "${command}" returned a client certificate without its key (or a key without a certificate)`,
      );
    }
    if (
      status.clientCertificateData !== undefined &&
      status.clientKeyData !== undefined
    ) {
      credential.clientCertificate = {
        certPem: status.clientCertificateData,
        keyPem: status.clientKeyData,
      };
    }
    if (credential.token === undefined && !credential.clientCertificate) {
      throw new KubeCredentialError(
        `Exec credential plugin "${command}" returned neither a token nor a client certificate`,
      );
    }
    const expiresAt = status.expirationTimestamp === undefined
      ? Number.POSITIVE_INFINITY
      : Date.parse(status.expirationTimestamp);
    return { credential, expiresAt };
  }
}
