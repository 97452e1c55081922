// Serving a request handler over HTTPS on loopback with the test TLS material (shared by both simulators).

import type { TestTls } from "../support/test_tls.ts";

/** A running loopback HTTPS server. */
export interface HttpsServer {
  /** Base URL without a trailing slash, e.g. `https://127.0.0.1:43123`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, waits for in-flight requests and closes every connection. */
  shutdown(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1 (`port` 0 picks a free one) with the server certificate of `tls`. */
export function serveHttps(
  tls: TestTls,
  handler: (request: Request) => Promise<Response>,
  port = 0,
): HttpsServer {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    cert: tls.certPem,
    key: tls.keyPem,
    onListen: () => {},
  }, handler);
  const actualPort = server.addr.port;
  return {
    url: `https://127.0.0.1:${actualPort}`,
    port: actualPort,
    shutdown: () => server.shutdown(),
  };
}
