// Unit tests for the proxy-aware address check.
import assert from "node:assert/strict";
import {
  bypassesProxy,
  proxyAwareResolver,
  proxyForHost,
} from "../../../src/openapi/proxy_resolver.ts";

Deno.test("bypassesProxy() honours hosts, suffixes, wildcards and ports in NO_PROXY", () => {
  const noProxy = "127.0.0.1, .svc, cluster.local,example.org:8443";
  assert.equal(bypassesProxy("127.0.0.1", noProxy), true);
  assert.equal(bypassesProxy("api.default.svc", noProxy), true);
  assert.equal(bypassesProxy("a.b.cluster.local", noProxy), true);
  assert.equal(bypassesProxy("example.org", noProxy), true);
  assert.equal(bypassesProxy("my-api.example.com", noProxy), false);
  assert.equal(bypassesProxy("anything", "*"), true);
  assert.equal(bypassesProxy("anything", undefined), false);
});

Deno.test("proxyForHost() picks the proxy by scheme, like Deno's fetch", () => {
  const https = (env: Record<string, string>) =>
    proxyForHost("x.example.com", "https:", env)?.host;
  const http = (env: Record<string, string>) =>
    proxyForHost("x.example.com", "http:", env)?.host;
  assert.equal(https({ https_proxy: "http://10.1.2.3:3128" }), "10.1.2.3:3128");
  assert.equal(https({ HTTP_PROXY: "proxy:8080" }), undefined);
  assert.equal(http({ HTTP_PROXY: "proxy:8080" }), "proxy:8080");
  assert.equal(
    http({ HTTPS_PROXY: "http://p:1" }),
    undefined,
    "an http:// URL with only HTTPS_PROXY goes direct",
  );
  assert.equal(http({ ALL_PROXY: "http://all:1", HTTP_PROXY: "h:2" }), "all:1");
  assert.equal(https({ all_proxy: "http://all:1" }), "all:1");
  assert.equal(
    http({ HTTP_PROXY: "h:2", REQUEST_METHOD: "GET" }),
    undefined,
    "HTTP_PROXY is ignored in a CGI context",
  );
  assert.equal(https({}), undefined);
  assert.equal(
    https({ HTTPS_PROXY: "http://p:1", NO_PROXY: "example.com" }),
    undefined,
  );
});

Deno.test("proxyAwareResolver() checks the proxy's address for proxied hosts", async () => {
  const asked: string[] = [];
  const resolve = (host: string) => {
    asked.push(host);
    return Promise.resolve(
      host === "proxy.internal" ? ["10.0.0.9"] : ["192.0.2.1"],
    );
  };
  const env = { HTTPS_PROXY: "http://proxy.internal:3128", NO_PROXY: ".svc" };
  const resolver = proxyAwareResolver(env, resolve);
  const signal = new AbortController().signal;
  assert.deepEqual(
    await resolver("my-api.example.com", signal, "https:"),
    ["10.0.0.9"],
  );
  assert.deepEqual(
    await resolver("my-api.example.com", signal, "http:"),
    ["192.0.2.1"],
    "an http:// document is fetched directly, so its own address is checked",
  );
  assert.deepEqual(
    await resolver("api.default.svc", signal, "https:"),
    ["192.0.2.1"],
  );
  assert.deepEqual(asked, [
    "proxy.internal",
    "my-api.example.com",
    "api.default.svc",
  ]);
  assert.deepEqual(
    await proxyAwareResolver(
      { HTTPS_PROXY: "http://169.254.169.254:80" },
      resolve,
    )("x.io", signal, "https:"),
    ["169.254.169.254"],
  );
});
