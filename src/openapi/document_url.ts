// OpenAPI document URLs: joining a path onto the service URL, checking what may be fetched, redaction.

import { DocumentFetchError } from "./document_fetch_error.ts";

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/**
 * A URL as it may appear in logs and status: scheme, host, port and path only (no userinfo, no
 * query, no fragment, where tokens tend to live). Text that is not a URL is cut the same way.
 */
export function redactUrl(url: string | URL): string {
  const text = String(url);
  if (!URL.canParse(text)) {
    return text.replace(/\/\/[^/?#]*@/, "//").replace(/[?#].*$/s, "");
  }
  const parsed = new URL(text);
  parsed.username = "";
  parsed.password = "";
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}

/**
 * The URL to fetch an API's OpenAPI document from. An absolute `openApiDefinitionUrl` is used as
 * it is. Anything else is a path appended to the **whole** `serviceUrl`, base path included
 * (the document is served by the same backend that APIM forwards to, under the same prefix):
 * `https://api.example.com/base` + `/swagger/v1/swagger.json` gives
 * `https://api.example.com/base/swagger/v1/swagger.json`; `swagger.json` and `/swagger.json` mean
 * the same; exactly one `/` joins the two. The service URL's query and fragment are dropped; the
 * path's own query is kept. This is deliberately not RFC 3986 reference resolution, which would
 * drop the base path. Protocol-relative references (`//host/x`) are refused as ambiguous.
 * Throws a non-retryable {@linkcode DocumentFetchError} (`InvalidUrl`) for unusable input.
 */
export function resolveDocumentUrl(
  openApiDefinitionUrl: string,
  serviceUrl: string,
): string {
  const reference = openApiDefinitionUrl.trim();
  if (SCHEME.test(reference)) {
    if (!URL.canParse(reference)) {
      throw invalidUrl(reference, "it is not a valid URL");
    }
    return new URL(reference).href;
  }
  if (reference === "") {
    throw invalidUrl(reference, "the OpenAPI definition URL is empty");
  }
  if (reference.startsWith("//")) {
    throw invalidUrl(
      reference,
      "protocol-relative URLs are not supported: use an absolute URL or a path",
    );
  }
  if (!URL.canParse(serviceUrl)) {
    throw invalidUrl(
      serviceUrl,
      "the service URL that the OpenAPI definition path is relative to is not a valid URL",
    );
  }
  const base = new URL(serviceUrl);
  base.search = "";
  base.hash = "";
  const basePath = base.pathname.replace(/\/+$/, "");
  const path = reference.startsWith("/") ? reference : `/${reference}`;
  return new URL(basePath + path, base).href;
}

/**
 * Checks that a URL may be fetched at all (before looking at its host's addresses): it parses,
 * uses http or https, carries no credentials and names a host. Returns the parsed URL.
 */
export function checkFetchableUrl(url: string | URL): URL {
  const text = String(url);
  if (!URL.canParse(text)) throw invalidUrl(text, "it is not a valid URL");
  const parsed = new URL(text);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new DocumentFetchError(
      "UnsupportedScheme",
      redactUrl(parsed),
      `the scheme "${
        parsed.protocol.slice(0, -1)
      }" is not supported: use http or https`,
    );
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new DocumentFetchError(
      "CredentialsInUrl",
      redactUrl(parsed),
      "the URL contains credentials, which are not allowed",
    );
  }
  if (parsed.hostname === "") throw invalidUrl(text, "the URL has no host");
  return parsed;
}

function invalidUrl(text: string, detail: string): DocumentFetchError {
  return new DocumentFetchError("InvalidUrl", redactUrl(text), detail);
}
