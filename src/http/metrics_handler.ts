// The /metrics endpoint: the registry's Prometheus text exposition.

/** What the endpoint renders (a `MetricsRegistry`). */
export interface MetricsSource {
  render(): string;
}

/** Prometheus text format 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Serves `GET /metrics` (and HEAD) from `source`; other paths 404, other methods 405. */
export function metricsHandler(
  source: MetricsSource,
): (request: Request) => Promise<Response> {
  return (request: Request) => {
    if (new URL(request.url).pathname !== "/metrics") {
      return Promise.resolve(new Response("Not Found\n", { status: 404 }));
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return Promise.resolve(
        new Response("Method Not Allowed\n", {
          status: 405,
          headers: { allow: "GET, HEAD" },
        }),
      );
    }
    return Promise.resolve(
      new Response(request.method === "HEAD" ? null : source.render(), {
        headers: { "content-type": METRICS_CONTENT_TYPE },
      }),
    );
  };
}
