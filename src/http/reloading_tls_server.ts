// An HTTPS server on a certificate directory (tls.crt, tls.key) that restarts itself when the files change.

import { errorFields, silentLogger } from "../log.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  type HttpServer,
  serveHttp,
  type ServeHttpOptions,
} from "./serve_http.ts";
import { readCertificateDir, type TlsCertificate } from "./tls_certificate.ts";

/** Options of {@linkcode serveReloadingTls}. */
export interface ReloadingTlsOptions extends Omit<ServeHttpOptions, "tls"> {
  /** Directory holding `tls.crt` and `tls.key` (a mounted Secret, e.g. from cert-manager). */
  certDir: string;
  clock?: Clock;
  /** How often the files are compared with the served ones (default 10 s). */
  reloadIntervalMs?: number;
}

/** An HTTPS server and the certificate it serves now. */
export interface TlsHttpServer extends HttpServer {
  /** PEM of the certificate (chain) being served. */
  readonly certificatePem: string;
}

function sameCertificate(a: TlsCertificate, b: TlsCertificate): boolean {
  return a.certPem === b.certPem && a.keyPem === b.keyPem;
}

/**
 * Serves HTTPS with the certificate in `certDir` (unreadable files fail the start) and checks
 * the files every `reloadIntervalMs`. When they change, the listener is restarted on the same
 * address with the new pair (in-flight requests finish first); unreadable or unusable new
 * files are logged and the previous certificate stays.
 */
export async function serveReloadingTls(
  options: ReloadingTlsOptions,
): Promise<TlsHttpServer> {
  const { certDir, clock = systemClock, reloadIntervalMs = 10_000 } = options;
  const logger = options.logger ?? silentLogger;
  let served = await readCertificateDir(certDir);
  const first = serveHttp({ ...options, tls: served, signal: undefined });
  const { hostname, port, url } = first;
  let current: HttpServer | undefined = first;
  const start = (tls: TlsCertificate): HttpServer | undefined => {
    try {
      return serveHttp({ ...options, port, tls, signal: undefined });
    } catch (error) {
      logger.error("Could not serve with the certificate", {
        certDir,
        ...errorFields(error),
      });
      return undefined;
    }
  };
  const stop = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([options.signal, stop.signal])
    : stop.signal;

  const watch = async () => {
    try {
      for (;;) {
        await clock.sleep(reloadIntervalMs, signal);
        let next: TlsCertificate;
        try {
          next = await readCertificateDir(certDir);
        } catch (error) {
          logger.warn(
            "Could not reload the certificate, keeping the current one",
            {
              certDir,
              ...errorFields(error),
            },
          );
          continue;
        }
        if (current && sameCertificate(next, served)) continue;
        await current?.close();
        current = start(next);
        if (current) {
          served = next;
          logger.info("Reloaded the certificate", { certDir, url });
        } else {
          current = start(served);
        }
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      await current?.close();
    }
  };
  const finished = watch();
  const close = async () => {
    stop.abort();
    await finished;
  };
  return {
    hostname,
    port,
    url,
    finished,
    close,
    [Symbol.asyncDispose]: close,
    get certificatePem() {
      return served.certPem;
    },
  };
}
