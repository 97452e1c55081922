// Unit tests for flag and environment parsing.
import assert from "node:assert/strict";
import {
  ConfigError,
  loadConfig,
  parseAddress,
  parseDuration,
} from "../../src/config.ts";

Deno.test("loadConfig() applies defaults", () => {
  const config = loadConfig({ args: [], env: {} });
  assert.equal(config.operatorNamespace, "apim-operator");
  assert.deepEqual(config.watchNamespaces, []);
  assert.equal(config.leaderElect, false);
  assert.deepEqual(config.healthProbeAddress, {
    hostname: "0.0.0.0",
    port: 8081,
  });
  assert.deepEqual(config.metricsAddress, { hostname: "0.0.0.0", port: 8443 });
  assert.equal(config.metricsSecure, true);
  assert.equal(config.apiVersion, "2024-05-01");
  assert.equal(config.resyncPeriodMs, 3_600_000);
  assert.equal(config.importBudgetMs, 1_800_000);
  assert.equal(config.openApiMaxBytes, 8 << 20);
});

Deno.test("loadConfig() lets flags win over environment variables", () => {
  const config = loadConfig({
    args: [
      "--watch-namespaces=a, b",
      "--leader-elect",
      "--api-version",
      "2022-08-01",
    ],
    env: {
      WATCH_NAMESPACES: "c",
      APIM_OPERATOR_LEADER_ELECT: "false",
      OPERATOR_NAMESPACE: "ops",
    },
  });
  assert.deepEqual(config.watchNamespaces, ["a", "b"]);
  assert.equal(config.leaderElect, true);
  assert.equal(config.apiVersion, "2022-08-01");
  assert.equal(config.operatorNamespace, "ops");
  assert.equal(config.leaderElectionNamespace, "ops");
});

Deno.test("loadConfig() reads the service-account namespace when no flag or variable is set", () => {
  const config = loadConfig({
    args: [],
    env: {},
    serviceAccountNamespace: "from-sa\n",
  });
  assert.equal(config.operatorNamespace, "from-sa");
});

Deno.test("loadConfig() names the flag and the value that are wrong", () => {
  const cases: [string[], RegExp][] = [
    [["--resync-period=soon"], /--resync-period: "soon" is not a duration/],
    [["--api-version=2021-08-01"], /--api-version/],
    [["--workers=many"], /--workers: "many" is not an integer/],
    [["--arm-endpoint=http://insecure"], /--arm-endpoint/],
    [
      ["--health-probe-bind-address=nope"],
      /--health-probe-bind-address: "nope"/,
    ],
    [["--no-such-flag"], /no-such-flag/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => loadConfig({ args, env: {} }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("parseDuration() accepts Go-style durations", () => {
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.throws(() => parseDuration("10"), ConfigError);
});

Deno.test("parseAddress() understands :port, host:port, [v6]:port and 0", () => {
  assert.deepEqual(parseAddress("127.0.0.1:9090"), {
    hostname: "127.0.0.1",
    port: 9090,
  });
  assert.deepEqual(parseAddress("[::1]:8081"), { hostname: "::1", port: 8081 });
  assert.equal(parseAddress("0"), undefined);
});

Deno.test("loadConfig() accepts boolean flags bare or with =true/=false, like Go's flag package", () => {
  assert.equal(
    loadConfig({ args: ["--leader-elect=true"], env: {} }).leaderElect,
    true,
  );
  assert.equal(
    loadConfig({ args: ["--metrics-secure=false"], env: {} }).metricsSecure,
    false,
  );
  assert.equal(
    loadConfig({ args: ["--metrics-secure"], env: {} }).metricsSecure,
    true,
  );
  assert.throws(
    () => loadConfig({ args: ["--leader-elect=maybe"], env: {} }),
    /--leader-elect: "maybe" is not a boolean/,
  );
});
