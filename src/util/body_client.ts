// The HTTP client options for requests that carry a body: HTTP/1.1, so headers and body leave together.

/**
 * Deno's `fetch` leaves Nagle's algorithm on (hyper-util's connector; a `noDelay` option is only
 * proposed, denoland/deno#35581). Over HTTP/2 a body above about 1 KiB leaves in a second write
 * after the HEADERS frame and waits for the server's delayed ACK, about 40 ms per request (a status
 * patch to kube-apiserver 1.33: 48 ms instead of 3 ms). HTTP/1.1 writes the headers and the body
 * together. Reads and watches keep HTTP/2, one connection for all of them.
 */
export const BODY_CLIENT_OPTIONS: Deno.CreateHttpClientOptions = {
  http2: false,
};
