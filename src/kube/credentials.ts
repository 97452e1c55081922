// Credential sources: a fixed token, a token file re-read as it rotates, and the shared types.

import { systemClock } from "../util/clock.ts";
import type { Clock } from "../util/clock.ts";
import type { HostIo } from "./host_io.ts";
import { KubeCredentialError } from "./kube_errors.ts";

/** A TLS client identity in PEM. */
export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

/** What a request authenticates with: a bearer token, a client certificate, or both. */
export interface Credential {
  token?: string;
  clientCertificate?: ClientCertificate;
}

/** Produces credentials; `invalidate()` is called after a 401 so the next `get()` refreshes. */
export interface CredentialSource {
  get(signal?: AbortSignal): Promise<Credential>;
  invalidate(): void;
}

/** A credential that never changes (kubeconfig `token`). */
export function staticCredential(credential: Credential): CredentialSource {
  return {
    get: () => Promise.resolve(credential),
    invalidate: () => {},
  };
}

/** Options of {@linkcode TokenFileSource}. */
export interface TokenFileSourceOptions {
  io: HostIo;
  clock?: Clock;
  /** How long a read token is used before the file is read again (default one minute). */
  refreshMs?: number;
}

/**
 * A bearer token read from a file (in-cluster service-account token, kubeconfig `tokenFile`).
 * Projected tokens rotate, so the file is re-read at most every `refreshMs` and after a 401.
 */
export class TokenFileSource implements CredentialSource {
  readonly #path: string;
  readonly #io: HostIo;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  #token: string | undefined;
  #readAt = 0;

  constructor(path: string, options: TokenFileSourceOptions) {
    this.#path = path;
    this.#io = options.io;
    this.#clock = options.clock ?? systemClock;
    this.#refreshMs = options.refreshMs ?? 60_000;
  }

  async get(): Promise<Credential> {
    const now = this.#clock.now();
    if (this.#token === undefined || now - this.#readAt >= this.#refreshMs) {
      let text: string;
      try {
        text = await this.#io.readTextFile(this.#path);
      } catch (error) {
        throw new KubeCredentialError(
          `Could not read token file "${this.#path}": ${
            error instanceof Error ? error.message : String(error)
          }`,
          error,
        );
      }
      const token = text.trim();
      if (token === "") {
        throw new KubeCredentialError(`Token file "${this.#path}" is empty`);
      }
      this.#token = token;
      this.#readAt = now;
    }
    return { token: this.#token };
  }

  invalidate(): void {
    this.#token = undefined;
  }
}
