// serveHttp and serveMetrics on loopback: bound port, stop by signal or close, plain and secure metrics with a stubbed reviewer.
import assert from "node:assert/strict";
import { MetricsRegistry } from "../../../src/http/metrics.ts";
import { probeHandler } from "../../../src/http/probes.ts";
import { serveHttp } from "../../../src/http/serve_http.ts";
import { serveMetrics } from "../../../src/http/serve_metrics.ts";
import { Logger } from "../../../src/log.ts";
import { StubReviewer, user } from "../../unit/http/stub_reviewer.ts";

async function get(
  url: string,
  init: RequestInit & { client?: Deno.HttpClient } = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text() };
}

function registryWithOneCounter(): MetricsRegistry {
  const registry = new MetricsRegistry();
  registry.counter("served_total", "Served.").inc({}, 7);
  return registry;
}

Deno.test("serveHttp() reports the port it bound and serves the probes until closed", async () => {
  const server = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    handler: probeHandler([{ name: "ping", check: () => undefined }], []),
  });
  assert.notEqual(server.port, 0);
  assert.equal(server.hostname, "127.0.0.1");
  assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  assert.deepEqual(await get(`${server.url}/healthz`), {
    status: 200,
    text: "ok",
  });
  assert.equal((await get(`${server.url}/readyz`)).status, 200);
  await server.close();
  await server.close(); // idempotent
  await assert.rejects(fetch(`${server.url}/healthz`));
});

Deno.test("serveHttp() stops when its signal aborts, and a failing handler answers 500", async () => {
  const abort = new AbortController();
  const lines: string[] = [];
  const server = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    signal: abort.signal,
    logger: new Logger({ sink: (line) => lines.push(line) }),
    handler: () => {
      throw new Error("handler broke");
    },
  });
  const response = await get(server.url);
  assert.equal(response.status, 500);
  assert.ok(lines.some((l) => l.includes("handler broke")));
  abort.abort();
  await server.finished;
  await assert.rejects(fetch(server.url));
});

Deno.test("serveHttp() throws when the address is taken", async () => {
  await using first = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    handler: () => new Response("first"),
  });
  assert.throws(() =>
    serveHttp({
      hostname: "127.0.0.1",
      port: first.port,
      handler: () => new Response("second"),
    }), Deno.errors.AddrInUse);
});

Deno.test("serveMetrics() without secure serves plain HTTP to anyone", async () => {
  await using server = await serveMetrics({
    secure: false,
    hostname: "127.0.0.1",
    port: 0,
    registry: registryWithOneCounter(),
  });
  assert.equal(server.certificatePem, undefined);
  assert.match(server.url, /^http:\/\//);
  const response = await get(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.text, /^served_total 7$/m);
});

Deno.test("serveMetrics() secure serves HTTPS with a self-signed certificate and reviews every scrape", async () => {
  const reviewer = new StubReviewer();
  reviewer.tokens.set("reader", user("prometheus"));
  reviewer.tokens.set("stranger", user("someone"));
  reviewer.allowed.add("prometheus get /metrics");
  await using server = await serveMetrics({
    secure: true,
    hostname: "127.0.0.1",
    port: 0,
    registry: registryWithOneCounter(),
    reviewer,
    selfSignedHosts: ["localhost", "127.0.0.1"],
  });
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.certificatePem);
  using client = Deno.createHttpClient({ caCerts: [server.certificatePem] });
  const url = `${server.url}/metrics`;
  const bearer = (token: string) => ({
    client,
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal((await get(url, { client })).status, 401);
  assert.equal((await get(url, bearer("forged"))).status, 401);
  assert.equal((await get(url, bearer("stranger"))).status, 403);
  const allowed = await get(url, bearer("reader"));
  assert.equal(allowed.status, 200);
  assert.match(allowed.text, /^served_total 7$/m);
  // By name too: the certificate names localhost.
  const byName = await get(
    `https://localhost:${server.port}/metrics`,
    bearer("reader"),
  );
  assert.equal(byName.status, 200);
});

Deno.test("serveMetrics() secure is not trusted by a client that does not know its certificate", async () => {
  await using server = await serveMetrics({
    secure: true,
    hostname: "127.0.0.1",
    port: 0,
    registry: registryWithOneCounter(),
    reviewer: new StubReviewer(),
    selfSignedHosts: ["127.0.0.1"],
  });
  await assert.rejects(fetch(`${server.url}/metrics`));
});

Deno.test("serveMetrics() secure refuses to start without a way to review scrapes", async () => {
  await assert.rejects(
    serveMetrics({
      secure: true,
      hostname: "127.0.0.1",
      port: 0,
      registry: registryWithOneCounter(),
    }),
    /KubeClient or a reviewer/,
  );
});
