// A resolved connection to one API server: base URL, TLS clients per identity, auth headers, namespace.

import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { BODY_CLIENT_OPTIONS } from "../util/body_client.ts";
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
  /** The client and headers for the next request (one with a body: `withBody`); may refresh credentials. */
  auth(signal?: AbortSignal, withBody?: boolean): Promise<RequestAuth>;
  /** Drops cached credentials after a 401 so the next `auth()` fetches fresh ones. */
  invalidate(): void;
  /** Releases the HTTP clients. */
  close(): void;
}

/** What `Deno.createHttpClient` takes: the client's options, with a client certificate or without. */
export type HttpClientOptions =
  | Deno.CreateHttpClientOptions
  | (Deno.CreateHttpClientOptions & Deno.TlsCertifiedKeyPem);

/** How many TLS identities (exec-issued client certificates) keep open clients. */
const MAX_IDENTITIES = 2;

/** Options of {@linkcode KubeConnection}. */
export interface KubeConnectionOptions {
  logger?: Logger;
  /** Makes the HTTP clients (default `Deno.createHttpClient`). */
  createHttpClient?: (options: HttpClientOptions) => Deno.HttpClient;
}

/** The clients of one TLS identity, made when first needed. */
interface IdentityClients {
  /** Reads and watches; undefined while not made, or Deno's default client when nothing is custom. */
  any?: Deno.HttpClient | undefined;
  /** Requests with a body ({@linkcode BODY_CLIENT_OPTIONS}). */
  body?: Deno.HttpClient | undefined;
}

/**
 * A {@linkcode Connection} built from a {@linkcode ConnectionSpec}. Keeps the `Deno.HttpClient`s
 * of each TLS identity (the fixed one, or the latest certificates an exec plugin issued): one for
 * reads and watches, one for requests with a body.
 */
export class KubeConnection implements Connection {
  readonly server: string;
  readonly namespace: string;
  readonly #spec: ConnectionSpec;
  readonly #clients = new Map<string, IdentityClients>();
  readonly #logger: Logger;
  readonly #createHttpClient: (options: HttpClientOptions) => Deno.HttpClient;

  constructor(spec: ConnectionSpec, options: KubeConnectionOptions = {}) {
    this.#spec = spec;
    this.#logger = options.logger ?? silentLogger;
    this.#createHttpClient = options.createHttpClient ??
      ((o) => Deno.createHttpClient(o));
    this.namespace = spec.namespace;
    const url = new URL(spec.server);
    const base = url.pathname.replace(/\/+$/, "");
    this.server = `${url.protocol}//${url.host}${base}`;
  }

  async auth(signal?: AbortSignal, withBody = false): Promise<RequestAuth> {
    const credential = await this.#spec.credentials?.get(signal);
    const headers: Record<string, string> = {};
    if (credential?.token !== undefined) {
      headers["Authorization"] = `Bearer ${credential.token}`;
    }
    const identity = credential?.clientCertificate ??
      this.#spec.clientCertificate;
    return { client: this.#clientFor(identity, withBody), headers };
  }

  invalidate(): void {
    this.#spec.credentials?.invalidate();
  }

  close(): void {
    for (const clients of this.#clients.values()) closeAll(clients);
    this.#clients.clear();
  }

  #clientFor(
    identity: ClientCertificate | undefined,
    withBody: boolean,
  ): Deno.HttpClient | undefined {
    const spec = this.#spec;
    const clients = this.#identityClients(identity);
    // Built only when a client is made, not on every request.
    const make = (extra: Deno.CreateHttpClientOptions) =>
      this.#createHttpClient({
        ...(spec.caPem === undefined ? {} : { caCerts: [spec.caPem] }),
        ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}),
        ...extra,
      });
    if (withBody) return clients.body ??= make(BODY_CLIENT_OPTIONS);
    if (identity === undefined && spec.caPem === undefined) return undefined;
    return clients.any ??= make({});
  }

  #identityClients(identity: ClientCertificate | undefined): IdentityClients {
    const key = identity ? `${identity.certPem}\n${identity.keyPem}` : "";
    const existing = this.#clients.get(key);
    if (existing) return existing;
    if (this.#clients.size >= MAX_IDENTITIES) {
      // Retire the oldest identity (a rotated exec certificate); requests in flight on it
      // were started long before its successor was issued.
      const [oldestKey, oldest] = this.#clients.entries().next().value!;
      this.#clients.delete(oldestKey);
      closeAll(oldest);
      this.#logger.debug("Closed HTTP clients of a rotated client certificate");
    }
    const clients: IdentityClients = {};
    this.#clients.set(key, clients);
    return clients;
  }
}

function closeAll(clients: IdentityClients): void {
  clients.any?.close();
  clients.body?.close();
}
