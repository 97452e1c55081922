// A resolved connection to one API server: base URL, TLS clients per identity, auth headers, namespace.

import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import type { ClientCertificate, CredentialSource } from "./credentials.ts";

/** Everything needed to reach and authenticate to an API server (from kubeconfig or in-cluster). */
export interface ConnectionSpec {
  /** `https://host:port[/prefix]`. */
  server: string;
  /** Namespace for namespaced calls that do not name one. */
  namespace: string;
  /** Extra CA certificates (PEM) trusted for the server. */
  caPem?: string | undefined;
  /** A fixed client certificate (kubeconfig `client-certificate(-data)`). */
  clientCertificate?: ClientCertificate | undefined;
  /** Token or exec credentials; absent for pure client-certificate auth. */
  credentials?: CredentialSource | undefined;
}

/** Per-request authentication: the TLS client to use and the headers to add. */
export interface RequestAuth {
  /** Undefined means Deno's default client (system roots, DENO_CERT). */
  client: Deno.HttpClient | undefined;
  headers: Record<string, string>;
}

/** What `KubeClient` needs from a connection. */
export interface Connection {
  /** Base URL, no trailing slash. */
  readonly server: string;
  /** Default namespace for namespaced requests. */
  readonly namespace: string;
  /** The client and headers for the next request; may refresh credentials. */
  auth(signal?: AbortSignal): Promise<RequestAuth>;
  /** Drops cached credentials after a 401 so the next `auth()` fetches fresh ones. */
  invalidate(): void;
  /** Releases the HTTP clients. */
  close(): void;
}

/** How many TLS identities (exec-issued client certificates) keep an open client. */
const MAX_CLIENTS = 2;

/** Options of {@linkcode KubeConnection}. */
export interface KubeConnectionOptions {
  logger?: Logger;
}

/**
 * A {@linkcode Connection} built from a {@linkcode ConnectionSpec}. Keeps one `Deno.HttpClient`
 * per TLS identity (the fixed one, or the latest certificates an exec plugin issued).
 */
export class KubeConnection implements Connection {
  readonly server: string;
  readonly namespace: string;
  readonly #spec: ConnectionSpec;
  readonly #clients = new Map<string, Deno.HttpClient>();
  readonly #logger: Logger;

  constructor(spec: ConnectionSpec, options: KubeConnectionOptions = {}) {
    this.#spec = spec;
    this.#logger = options.logger ?? silentLogger;
    this.namespace = spec.namespace;
    const url = new URL(spec.server);
    const base = url.pathname.replace(/\/+$/, "");
    this.server = `${url.protocol}//${url.host}${base}`;
  }

  async auth(signal?: AbortSignal): Promise<RequestAuth> {
    const credential = await this.#spec.credentials?.get(signal);
    const headers: Record<string, string> = {};
    if (credential?.token !== undefined) {
      headers["Authorization"] = `Bearer ${credential.token}`;
    }
    const identity = credential?.clientCertificate ??
      this.#spec.clientCertificate;
    return { client: this.#clientFor(identity), headers };
  }

  invalidate(): void {
    this.#spec.credentials?.invalidate();
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }

  #clientFor(
    identity: ClientCertificate | undefined,
  ): Deno.HttpClient | undefined {
    const spec = this.#spec;
    if (identity === undefined && spec.caPem === undefined) return undefined;
    const key = identity ? `${identity.certPem}\n${identity.keyPem}` : "";
    const existing = this.#clients.get(key);
    if (existing) return existing;
    const options: Deno.CreateHttpClientOptions = {};
    if (spec.caPem !== undefined) options.caCerts = [spec.caPem];
    const client = identity
      ? Deno.createHttpClient({
        ...options,
        cert: identity.certPem,
        key: identity.keyPem,
      })
      : Deno.createHttpClient(options);
    if (this.#clients.size >= MAX_CLIENTS) {
      // Retire the oldest identity (a rotated exec certificate); requests in flight on it
      // were started long before its successor was issued.
      const [oldestKey, oldest] = this.#clients.entries().next().value!;
      this.#clients.delete(oldestKey);
      oldest.close();
      this.#logger.debug("Closed HTTP client of a rotated client certificate");
    }
    this.#clients.set(key, client);
    return client;
  }
}
