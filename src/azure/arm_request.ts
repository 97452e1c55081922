// What one ARM request is (a path of ours or a URL ARM handed out) and the URL it is sent to.

import { type ArmRequestLine, UntrustedUrlError } from "./arm_error.ts";
import type { ArmPath } from "./arm_path.ts";

/** The product token every ARM request names in its `User-Agent`. */
const OPERATOR_PRODUCT = "azure-apim-operator";

/**
 * The `User-Agent` of this process's ARM requests: the product, the process instance (pod name and
 * start id, as in its Lease and Events) and the runtime, e.g.
 * `azure-apim-operator (apim-op-7c9d_1a2b3c4d) Deno/2.9.6`. ARM passes client headers through to
 * the resource provider (RPC common-api-details, "Client Request Headers"), so whoever reads the
 * request logs can tell which replica called; Azure SDKs likewise send `<app> azsdk-js-…/<version>
 * <platform>` (azure-sdk general guidelines, azurecore-http-telemetry-useragent). Characters a
 * header comment cannot hold are replaced.
 */
export function armUserAgent(instance: string): string {
  const safe = instance.replace(/[^A-Za-z0-9._:-]/g, "-");
  return `${OPERATOR_PRODUCT} (${safe}) Deno/${Deno.version.deno}`;
}

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
  /**
   * Runs right before each attempt leaves, once its write slot and budget allow it; a rejection
   * is thrown instead of sending. Lets a caller persist when a write it must find again was sent.
   */
  beforeAttempt?: () => Promise<void>;
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
