// An HTTP CONNECT proxy on loopback that routes chosen host names to local ports, so the operator can
// fetch "https://my-api.example.com/..." (the seed's manifests) from a server the test runs.

/** A running proxy. */
export class ConnectProxy implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #routes: Map<string, number>;
  readonly #connections = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;
  readonly #tunnels = new Set<Promise<void>>();
  /** `host:port` of every CONNECT request, in order. */
  readonly requests: string[] = [];

  /** `routes` maps `host:port` (e.g. `my-api.example.com:443`) to a loopback port. */
  constructor(routes: Record<string, number>) {
    this.#routes = new Map(Object.entries(routes));
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  /** The proxy URL for HTTPS_PROXY. */
  get url(): string {
    return `http://127.0.0.1:${this.#listener.addr.port}`;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#connections.add(conn);
        const tunnel = this.#serve(conn).finally(() => {
          this.#connections.delete(conn);
          this.#tunnels.delete(tunnel);
        });
        this.#tunnels.add(tunnel);
      }
    } catch {
      // listener closed
    }
  }

  async #serve(client: Deno.Conn): Promise<void> {
    const head = await readHead(client);
    const target = head?.match(/^CONNECT (\S+) HTTP\/1\.[01]\r\n/)?.[1];
    const port = target ? this.#routes.get(target) : undefined;
    if (target) this.requests.push(target);
    if (port === undefined) {
      await client.write(
        new TextEncoder().encode("HTTP/1.1 502 Bad Gateway\r\n\r\n"),
      ).catch(() => 0);
      client.close();
      return;
    }
    const upstream = await Deno.connect({ hostname: "127.0.0.1", port });
    this.#connections.add(upstream);
    await client.write(
      new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"),
    );
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]);
    this.#connections.delete(upstream);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const conn of this.#connections) {
      try {
        conn.close();
      } catch {
        // already closed by a finished pipe
      }
    }
    await this.#accepting;
    await Promise.allSettled([...this.#tunnels]);
  }
}

/** Reads up to the end of the request head (`\r\n\r\n`); CONNECT requests carry no body. */
async function readHead(conn: Deno.Conn): Promise<string | undefined> {
  const buffer = new Uint8Array(8192);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer.subarray(0, buffer.length)).catch(() =>
      null
    );
    if (n === null) return undefined;
    text += new TextDecoder().decode(buffer.subarray(0, n));
    if (text.length > 8192) return undefined;
  }
  return text;
}
