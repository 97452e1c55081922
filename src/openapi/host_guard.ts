// The SSRF guard of the OpenAPI fetcher: a URL's host, literal or resolved through DNS, must be allowed.

import { type AddressClass, classifyAddress } from "./address_policy.ts";
import { DocumentFetchError } from "./document_fetch_error.ts";
import { redactUrl } from "./document_url.ts";

/**
 * Resolves a host name to its IPv4 and IPv6 addresses (as text). Rejects when the name does not
 * resolve; honours `signal`. `protocol` (`http:` or `https:`) is the scheme of the URL being
 * fetched (a proxy is chosen by scheme).
 */
export type HostResolver = (
  hostname: string,
  signal: AbortSignal,
  protocol: string,
) => Promise<string[]>;

/**
 * The default {@linkcode HostResolver}: `Deno.resolveDns` for A and AAAA records (the system
 * resolver configuration, search domains included). Succeeds when either query has answers.
 */
export async function dnsHostResolver(
  hostname: string,
  signal: AbortSignal,
): Promise<string[]> {
  const results = await Promise.allSettled([
    Deno.resolveDns(hostname, "A", { signal }),
    Deno.resolveDns(hostname, "AAAA", { signal }),
  ]);
  const addresses = results.flatMap((r) =>
    r.status === "fulfilled" ? r.value : []
  );
  const failure = results.find((r) => r.status === "rejected");
  if (addresses.length === 0 && failure !== undefined) throw failure.reason;
  return addresses;
}

const DESCRIPTIONS: Record<Exclude<AddressClass, "allowed">, string> = {
  "link-local": "a link-local address",
  metadata: "a cloud metadata address",
  unspecified: "an unspecified address",
  multicast: "a multicast or broadcast address",
  "not-an-ip": "not an IP address",
};

/**
 * Throws a {@linkcode DocumentFetchError} unless every address of `url`'s host is allowed by
 * {@linkcode classifyAddress}: `ForbiddenAddress` for a refused address (the literal host, or any
 * address the name resolves to), `Unreachable` when the name does not resolve. An address that
 * the resolver returns in a form we cannot parse is refused. The check is made again on every
 * redirect hop; a DNS answer that changes between this check and the connection is not covered.
 */
export async function assertHostAllowed(
  url: URL,
  resolve: HostResolver,
  signal: AbortSignal,
): Promise<void> {
  const host = url.hostname;
  const literal = classifyAddress(host);
  if (literal !== "not-an-ip") {
    if (literal !== "allowed") {
      throw forbidden(
        url,
        `the address ${host} is ${DESCRIPTIONS[literal]}, which is not allowed`,
      );
    }
    return;
  }
  let addresses: string[];
  try {
    addresses = await resolve(host, signal, url.protocol);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new DocumentFetchError(
      "Unreachable",
      redactUrl(url),
      `the host "${host}" cannot be resolved: ${describe(error)}`,
      { cause: error },
    );
  }
  if (addresses.length === 0) {
    throw new DocumentFetchError(
      "Unreachable",
      redactUrl(url),
      `the host "${host}" has no addresses`,
    );
  }
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind !== "allowed") {
      throw forbidden(
        url,
        `the host "${host}" resolves to ${address}, ${
          DESCRIPTIONS[kind]
        }, which is not allowed`,
      );
    }
  }
}

function forbidden(url: URL, detail: string): DocumentFetchError {
  return new DocumentFetchError("ForbiddenAddress", redactUrl(url), detail);
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such host";
  return error instanceof Error ? error.message : String(error);
}
