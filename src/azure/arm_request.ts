// What one ARM request is (a path of ours or a URL ARM handed out) and the URL it is sent to.

import { type ArmRequestLine, UntrustedUrlError } from "./arm_error.ts";
import type { ArmPath } from "./arm_path.ts";

/** HTTP methods ARM calls use. */
export type ArmMethod = "GET" | "HEAD" | "PUT" | "PATCH" | "DELETE";

/** Query parameters; undefined values are left out. */
export type ArmQuery = Readonly<
  Record<string, string | number | boolean | undefined>
>;

interface ArmRequestBase {
  method: ArmMethod;
  /** Extra headers, e.g. `If-Match`. */
  headers?: Readonly<Record<string, string>>;
  /** JSON body. */
  body?: unknown;
  /**
   * True (default): retry throttling, 5xx and transport failures. `"rejected"`: retry only answers
   * that prove the request was not applied (429), for writes that must never be sent twice
   * (imports). False: exactly one attempt (LRO polls). A 401 still gets one retry with a fresh token.
   */
  retry?: boolean | "rejected";
  signal?: AbortSignal;
}

/** A request to a path of ours: the client adds the base URL and `api-version`. */
export interface ArmPathRequest extends ArmRequestBase {
  path: ArmPath;
  query?: ArmQuery;
}

/** A request to an absolute URL ARM handed out (Location, nextLink): sent as is, ARM origin only. */
export interface ArmUrlRequest extends ArmRequestBase {
  url: string;
}

/** One ARM request. */
export type ArmRequest = ArmPathRequest | ArmUrlRequest;

/** The request line with its method typed (for responses and the request hook). */
export interface ArmCallLine extends ArmRequestLine {
  method: ArmMethod;
}

/**
 * The URL `request` goes to: a path on `origin` with `api-version` and the query added, or the
 * absolute URL as is.
 *
 * @throws {UntrustedUrlError} when an absolute URL is not on `origin` (the bearer token's only receiver)
 */
export function resolveArmUrl(
  request: ArmRequest,
  origin: string,
  apiVersion: string,
): URL {
  if ("url" in request) {
    let url: URL | undefined;
    try {
      url = new URL(request.url);
    } catch {
      url = undefined;
    }
    if (url?.origin !== origin) {
      throw new UntrustedUrlError(request.url, origin);
    }
    return url;
  }
  const url = new URL(String(request.path), origin);
  url.searchParams.set("api-version", apiVersion);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}
