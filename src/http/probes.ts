// The /healthz and /readyz handler: named checks, aggregated like controller-runtime's healthz.

/** A named check; it returns undefined when healthy, or a reason when not. */
export interface Check {
  name: string;
  check(): string | undefined;
}

function run(checks: readonly Check[], verbose: boolean): Response {
  const failures: string[] = [];
  const lines = checks.map((c) => {
    const problem = c.check();
    if (problem !== undefined) failures.push(c.name);
    return problem === undefined
      ? `[+]${c.name} ok`
      : `[-]${c.name} failed: ${problem}`;
  });
  const ok = failures.length === 0;
  const body = verbose || !ok
    ? `${lines.join("\n")}\n${
      ok ? "healthz check passed" : "healthz check failed"
    }\n`
    : "ok";
  return new Response(body, {
    status: ok ? 200 : 503,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** Serves `/healthz` (liveness) and `/readyz` (readiness), each with `?verbose` and per-check subpaths. */
export function probeHandler(
  liveness: readonly Check[],
  readiness: readonly Check[],
): (request: Request) => Response {
  return (request: Request) => {
    const url = new URL(request.url);
    const verbose = url.searchParams.has("verbose");
    for (
      const [prefix, checks] of [["/healthz", liveness], [
        "/readyz",
        readiness,
      ]] as const
    ) {
      if (url.pathname === prefix) return run(checks, verbose);
      if (url.pathname.startsWith(`${prefix}/`)) {
        const one = checks.filter((c) =>
          c.name === url.pathname.slice(prefix.length + 1)
        );
        if (one.length === 0) break;
        return run(one, verbose);
      }
    }
    return new Response("not found\n", { status: 404 });
  };
}
