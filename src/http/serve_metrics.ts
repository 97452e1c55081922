// The metrics listener: plain HTTP, or HTTPS with authentication and authorization of every scrape.

import { type Logger, silentLogger } from "../log.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { KubeClient } from "../kube/kube_client.ts";
import type { AccessReviewer } from "./access_review.ts";
import { withAuthenticationAndAuthorization } from "./auth_filter.ts";
import { CachingAccessReviewer } from "./caching_access_reviewer.ts";
import { KubeAccessReviewer } from "./kube_access_reviewer.ts";
import { metricsHandler, type MetricsSource } from "./metrics_handler.ts";
import { serveReloadingTls } from "./reloading_tls_server.ts";
import { isDnsName } from "./dns_name.ts";
import { type HttpServer, serveHttp } from "./serve_http.ts";

/** Options of {@linkcode serveMetrics}. */
export interface MetricsServerOptions {
  hostname: string;
  /** 0 picks a free port (read it from the result). */
  port: number;
  /** What `/metrics` renders (the `MetricsRegistry`). */
  registry: MetricsSource;
  /**
   * `--metrics-secure`: HTTPS, and every scrape needs a bearer token allowed `get` on the path
   * (TokenReview + SubjectAccessReview). False: plain HTTP, anyone who reaches the port may scrape.
   */
  secure: boolean;
  /** Secure mode reviews through this client (cached: allowed 60 s, denied 10 s); its identity needs `create` on tokenreviews and subjectaccessreviews. */
  kube?: KubeClient | undefined;
  /** Secure mode: decides who may scrape instead of `kube` (used as given, no cache added). */
  reviewer?: AccessReviewer | undefined;
  /** Secure mode: directory with `tls.crt` and `tls.key`, reloaded when they change; without it a self-signed certificate is generated. */
  certDir?: string | undefined;
  /** Names and addresses of the self-signed certificate (default: this host's name, localhost, 127.0.0.1, ::1). */
  selfSignedHosts?: readonly string[] | undefined;
  /** Review cache, certificate reload timers, and the date of the self-signed certificate (default the system clock). */
  clock?: Clock | undefined;
  /** How often `certDir` is checked for new files (default 10 s). */
  reloadIntervalMs?: number | undefined;
  /** Shuts the listener down when aborted. */
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
}

/** The running metrics listener. */
export interface MetricsServer extends HttpServer {
  /** PEM of the certificate being served (undefined for plain HTTP); clients pin or trust it. */
  readonly certificatePem: string | undefined;
}

/** The default subject alternative names of the self-signed certificate (the pod's name when it is a DNS name). */
export function defaultSelfSignedHosts(): string[] {
  let hostname = "";
  try {
    hostname = Deno.hostname().toLowerCase();
  } catch {
    // No sys permission or no name: localhost and the loopback addresses remain.
  }
  return [
    ...(isDnsName(hostname) ? [hostname] : []),
    "localhost",
    "127.0.0.1",
    "::1",
  ];
}

/**
 * Starts the metrics listener on `hostname:port` and returns once it listens (await
 * `finished` to run until the signal). Secure mode serves HTTPS with the files of `certDir`
 * or a fresh self-signed certificate, and answers 401/403 unless the caller's bearer token is
 * allowed `get` on the path; it needs `kube` or `reviewer`.
 */
export async function serveMetrics(
  options: MetricsServerOptions,
): Promise<MetricsServer> {
  const logger = options.logger ?? silentLogger;
  const handler = metricsHandler(options.registry);
  const listen = {
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    logger,
  };
  if (!options.secure) {
    const server = serveHttp({ ...listen, handler });
    logger.info("Serving metrics", { url: server.url, secure: false });
    return { ...server, certificatePem: undefined };
  }
  const clock = options.clock ?? systemClock;
  const secureHandler = withAuthenticationAndAuthorization(
    handler,
    reviewerOf(options, clock),
    logger,
  );
  if (options.certDir !== undefined) {
    const server = await serveReloadingTls({
      ...listen,
      handler: secureHandler,
      certDir: options.certDir,
      clock,
      ...(options.reloadIntervalMs !== undefined
        ? { reloadIntervalMs: options.reloadIntervalMs }
        : {}),
    });
    logger.info("Serving metrics", {
      url: server.url,
      secure: true,
      certDir: options.certDir,
    });
    return server;
  }
  const hosts = options.selfSignedHosts ?? defaultSelfSignedHosts();
  // Loaded only here: the X.509 library costs memory that an operator given a certificate never needs.
  const { generateSelfSignedCertificate } = await import(
    "./self_signed_certificate.ts"
  );
  const tls = await generateSelfSignedCertificate({ hosts, now: clock.now() });
  const server = serveHttp({ ...listen, handler: secureHandler, tls });
  logger.info("Serving metrics", {
    url: server.url,
    secure: true,
    selfSignedFor: hosts,
    notAfter: new Date(tls.notAfter).toISOString(),
  });
  return { ...server, certificatePem: tls.certPem };
}

function reviewerOf(
  options: MetricsServerOptions,
  clock: Clock,
): AccessReviewer {
  if (options.reviewer) return options.reviewer;
  if (options.kube) {
    return new CachingAccessReviewer(new KubeAccessReviewer(options.kube), {
      clock,
    });
  }
  throw new Error(
    "Secure metrics need a KubeClient or a reviewer to authorize scrapes",
  );
}
