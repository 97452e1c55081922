// An HTTPS proxy between the operator and the kube-apiserver: the runner breaks watches with 410 Gone or takes the API server away.
//
// The operator's kubeconfig points here; requests go on to the real API server with the admin
// certificate. `expireWatches` ends every open watch with the ERROR event a compacted resource
// version produces (`{"type":"ERROR","object":{...,"code":410,"reason":"Expired"}}`) and answers new
// watches the same way for a moment, so the operator must list again. `restart` ends every watch
// and request in flight and refuses connections for a while, as a restarting API server does
// (its graceful shutdown closes long-running requests).
import { writeKubeconfig } from "../../test/controlplane/kubeconfig.ts";
import type { TestTls } from "../../test/support/test_tls.ts";

/** The ERROR event of a watch whose resource version was compacted away. */
const GONE_EVENT = JSON.stringify({
  type: "ERROR",
  object: {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "too old resource version: 1 (2)",
    reason: "Expired",
    code: 410,
  },
}) + "\n";

/** Where the proxy forwards to and how it authenticates there. */
export interface KubeProxyUpstream {
  server: string;
  /**
   * A new client trusting the API server's CA and presenting an admin certificate, owned (and
   * closed) by the proxy. Requests share one; each watch gets its own, closed when the watch ends:
   * hundreds of watches ended with 410 on one shared HTTP/2 connection starved every request
   * behind it (seeds 9, 29, 44: 503s, then requests hanging until the operator's timeout).
   */
  connect: () => Deno.HttpClient;
}

/** One watch answer passing through, which the proxy can end with an event of its own. */
interface OpenWatch {
  end(line: string): void;
}

const HOP_HEADERS = ["connection", "keep-alive", "transfer-encoding", "host"];

function copyHeaders(from: Headers, drop: readonly string[]): Headers {
  const headers = new Headers(from);
  for (const name of drop) headers.delete(name);
  return headers;
}

/** A watch body passed on whole lines at a time, so that an injected event starts a line. */
function relayWatch(
  body: ReadableStream<Uint8Array>,
  abort: AbortController,
  register: (watch: OpenWatch) => () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let ended = false;
  let unregister = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      unregister = register({
        end(line) {
          if (ended) return;
          ended = true;
          controller.enqueue(encoder.encode(line));
          controller.close();
          abort.abort();
          unregister();
        },
      });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (ended) return;
        if (done) {
          ended = true;
          unregister();
          controller.close();
          return;
        }
        buffer += decoder.decode(value, { stream: true });
        const cut = buffer.lastIndexOf("\n") + 1;
        if (cut > 0) {
          controller.enqueue(encoder.encode(buffer.slice(0, cut)));
          buffer = buffer.slice(cut);
        }
      } catch {
        // Cut upstream (a restart): end the watch the way a shutting-down API server does.
        if (ended) return;
        ended = true;
        unregister();
        controller.close();
      }
    },
    cancel() {
      ended = true;
      unregister();
      abort.abort();
    },
  });
}

/**
 * A TCP relay in front of the HTTPS server: cutting its connections and closing its port is what
 * an API server restart looks like to a client (TLS runs end to end through it).
 */
class Relay {
  readonly #target: number;
  readonly #connections = new Set<Deno.Conn>();
  #listener: Deno.TcpListener | null = null;
  #accepting: Promise<void> = Promise.resolve();
  port = 0;

  constructor(target: number) {
    this.#target = target;
    this.open();
  }

  /** Listens (on the same port as before, after the first time). */
  open(): void {
    if (this.#listener) return;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.port = listener.addr.port;
    this.#listener = listener;
    this.#accepting = this.#accept(listener);
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    try {
      for await (const client of listener) void this.#pipe(client);
    } catch {
      // closed
    }
  }

  async #pipe(client: Deno.Conn): Promise<void> {
    this.#connections.add(client);
    let upstream: Deno.Conn | undefined;
    try {
      upstream = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#target,
      });
      this.#connections.add(upstream);
      await Promise.allSettled([
        client.readable.pipeTo(upstream.writable),
        upstream.readable.pipeTo(client.writable),
      ]);
    } catch {
      // cut
    } finally {
      for (const conn of [client, upstream]) {
        if (!conn) continue;
        this.#connections.delete(conn);
        try {
          conn.close();
        } catch {
          // already closed by a finished pipe
        }
      }
    }
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    const listener = this.#listener;
    this.#listener = null;
    listener?.close();
    for (const conn of this.#connections) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    this.#connections.clear();
    await this.#accepting;
  }
}

/** The proxy; its kubeconfig is what the operator uses. */
export class KubeProxy implements AsyncDisposable {
  readonly kubeconfigPath: string;
  readonly #upstream: KubeProxyUpstream;
  readonly #client: Deno.HttpClient;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #relay: Relay;
  readonly #inflight = new Set<AbortController>();
  readonly #watches = new Set<OpenWatch>();
  #goneUntil = 0;
  #wake: (() => void) | null = null;
  #disposed = false;
  /** Watches ended with 410 and times the API server went away. */
  readonly stats = { watchesExpired: 0, restarts: 0 };

  private constructor(
    upstream: KubeProxyUpstream,
    tls: TestTls,
    kubeconfigPath: string,
  ) {
    this.#upstream = upstream;
    this.#client = upstream.connect();
    this.kubeconfigPath = kubeconfigPath;
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: tls.certPem,
      key: tls.keyPem,
      onListen: () => {},
    }, (request) => this.#forward(request));
    this.#relay = new Relay(this.#server.addr.port);
  }

  /** Starts the proxy and writes a kubeconfig for it into `dir`. */
  static async start(
    upstream: KubeProxyUpstream,
    tls: TestTls,
    dir: string,
  ): Promise<KubeProxy> {
    const path = `${dir}/operator.kubeconfig`;
    const proxy = new KubeProxy(upstream, tls, path);
    await writeKubeconfig(path, {
      server: proxy.url,
      caPem: tls.caPem,
      // The proxy authenticates upstream itself; the operator's token is not looked at.
      user: { token: "chaos-operator" },
      userName: "chaos-operator",
    });
    return proxy;
  }

  /** `https://127.0.0.1:<port>` */
  get url(): string {
    return `https://127.0.0.1:${this.#relay.port}`;
  }

  async #forward(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const watch = ["true", "1"].includes(url.searchParams.get("watch") ?? "");
    if (watch && Date.now() < this.#goneUntil) {
      this.stats.watchesExpired++;
      return new Response(GONE_EVENT, {
        headers: { "content-type": "application/json" },
      });
    }
    const abort = new AbortController();
    this.#inflight.add(abort);
    const client = watch ? this.#upstream.connect() : this.#client;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#inflight.delete(abort);
      if (client !== this.#client) client.close();
    };
    try {
      const body = request.method === "GET" || request.method === "HEAD"
        ? undefined
        : await request.arrayBuffer();
      const upstream = await fetch(
        new URL(url.pathname + url.search, this.#upstream.server),
        {
          method: request.method,
          headers: copyHeaders(request.headers, [
            ...HOP_HEADERS,
            "authorization",
          ]),
          ...(body === undefined ? {} : { body }),
          client,
          signal: abort.signal,
          redirect: "manual",
        },
      );
      const headers = copyHeaders(upstream.headers, [
        ...HOP_HEADERS,
        "content-length",
      ]);
      if (!watch || !upstream.body || upstream.status !== 200) {
        const bytes = await upstream.arrayBuffer();
        release();
        return new Response(bytes, { status: upstream.status, headers });
      }
      const relayed = relayWatch(upstream.body, abort, (open) => {
        this.#watches.add(open);
        return () => {
          this.#watches.delete(open);
          release();
        };
      });
      return new Response(relayed, { status: upstream.status, headers });
    } catch {
      release();
      return new Response("proxy: upstream request failed", { status: 503 });
    }
  }

  /** Ends every open watch with 410 Gone and answers new watches so for `windowMs`. */
  expireWatches(windowMs = 500): void {
    this.#goneUntil = Date.now() + windowMs;
    for (const watch of [...this.#watches]) {
      this.stats.watchesExpired++;
      watch.end(GONE_EVENT);
    }
  }

  /** Cuts every connection, refuses new ones for `downMs`, then listens again on the same port. */
  async restart(downMs: number): Promise<void> {
    this.stats.restarts++;
    await this.#relay.close();
    for (const abort of this.#inflight) abort.abort();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, downMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = null;
    if (!this.#disposed) this.#relay.open();
  }

  /** Ends a restart's down time and the 410 window now. */
  heal(): void {
    this.#goneUntil = 0;
    this.#wake?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    this.#wake?.();
    await this.#relay.close();
    for (const abort of this.#inflight) abort.abort();
    await this.#server.shutdown();
    this.#client.close();
  }
}
