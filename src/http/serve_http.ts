// serveHttp: one Deno.serve listener (HTTP or HTTPS) that reports its bound address and stops on a signal.

import { errorFields, type Logger, silentLogger } from "../log.ts";
import type { TlsCertificate } from "./tls_certificate.ts";

/** A request handler; handlers built here are `(Request) => Promise<Response>`. */
export type HttpHandler = (request: Request) => Response | Promise<Response>;

/** Options of {@linkcode serveHttp}. */
export interface ServeHttpOptions {
  /** Interface to bind, e.g. `0.0.0.0`, `127.0.0.1` or `::`. */
  hostname: string;
  /** Port to bind; 0 picks a free one (read it from the result). */
  port: number;
  handler: HttpHandler;
  /** Serve HTTPS with this certificate; plain HTTP without. */
  tls?: TlsCertificate | undefined;
  /** Shuts the server down gracefully when aborted. */
  signal?: AbortSignal | undefined;
  /** Where handler failures are logged (never the request's headers). */
  logger?: Logger | undefined;
  /** When given, the listener's start is logged as this server ("probes"). */
  name?: string | undefined;
}

/** A listening server. */
export interface HttpServer extends AsyncDisposable {
  /** The bound interface. */
  readonly hostname: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** Base URL, e.g. `https://127.0.0.1:8443` (a wildcard interface is shown as it is). */
  readonly url: string;
  /** Settles when the server has stopped (after the signal or `close()`). */
  readonly finished: Promise<void>;
  /** Stops accepting, lets in-flight requests finish, and resolves when stopped; idempotent. */
  close(): Promise<void>;
}

/** The base URL of a bound address. */
export function serverUrl(
  secure: boolean,
  hostname: string,
  port: number,
): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `${secure ? "https" : "http"}://${host}:${port}`;
}

/**
 * Binds `hostname:port` with `Deno.serve` and returns once listening (binding errors such as
 * "address in use" are thrown). A handler that throws answers 500 and is logged.
 */
export function serveHttp(options: ServeHttpOptions): HttpServer {
  const logger = options.logger ?? silentLogger;
  const stop = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, stop.signal])
    : stop.signal;
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal,
    onListen: () => {},
    onError: (error) => {
      logger.error("HTTP handler failed", errorFields(error));
      return new Response("Internal Server Error\n", { status: 500 });
    },
    ...(options.tls
      ? { cert: options.tls.certPem, key: options.tls.keyPem }
      : {}),
  }, options.handler);
  const { hostname, port } = server.addr;
  const url = serverUrl(options.tls !== undefined, hostname, port);
  if (options.name) logger.info("Listening", { server: options.name, url });
  const close = async () => {
    stop.abort();
    await server.finished;
  };
  return {
    hostname,
    port,
    url,
    finished: server.finished,
    close,
    [Symbol.asyncDispose]: close,
  };
}
