// Unit tests of the process_* and deno_* metrics: parsed from a procfs fixture, and read from this process's /proc.
import assert from "node:assert/strict";
import { MetricsRegistry } from "../../../src/http/metrics.ts";
import { registerProcessMetrics } from "../../../src/http/process_metrics.ts";

/** The samples of the text exposition: name (with labels) to value. */
function samples(text: string): Map<string, number> {
  return new Map(
    text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => {
      const at = l.lastIndexOf(" ");
      return [l.slice(0, at), Number(l.slice(at + 1))];
    }),
  );
}

const HEAP = { rss: 1, heapUsed: 2e6, heapTotal: 3e6, external: 4e5 };

async function procFixture(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "procfs-" });
  await Deno.mkdir(`${path}/self/fd`, { recursive: true });
  for (const fd of ["0", "1", "2", "7"]) {
    await Deno.writeTextFile(`${path}/self/fd/${fd}`, "");
  }
  // A command name with a space and a parenthesis; utime 250, stime 50 ticks; start tick 12345;
  // vsize 987654321 bytes.
  await Deno.writeTextFile(
    `${path}/self/stat`,
    "42 (deno (main) x) S 1 42 42 0 -1 4194304 1 0 0 0 250 50 0 0 20 0 9 0 12345 987654321 2000 18446744073709551615 1 2 3\n",
  );
  await Deno.writeTextFile(`${path}/stat`, "cpu  1 2 3\nbtime 1700000000\n");
  await Deno.writeTextFile(
    `${path}/self/status`,
    "Name:\tdeno\nVmSize:\t  964506 kB\nVmRSS:\t   51200 kB\n",
  );
  await Deno.writeTextFile(
    `${path}/self/limits`,
    "Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 524288               files\n",
  );
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

Deno.test("registerProcessMetrics() reads stat, status, limits and fd of procfs, and the runtime heap", async () => {
  await using proc = await procFixture();
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry, {
    procDir: proc.path,
    memoryUsage: () => HEAP,
  });
  const text = registry.render();
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  assert.match(text, /^# TYPE process_resident_memory_bytes gauge$/m);
  assert.deepEqual(Object.fromEntries(samples(text)), {
    process_cpu_seconds_total: 3,
    process_virtual_memory_bytes: 987654321,
    process_resident_memory_bytes: 51200 * 1024,
    process_start_time_seconds: 1700000000 + 123.45,
    process_open_fds: 4,
    process_max_fds: 4096,
    deno_heap_used_bytes: 2e6,
    deno_heap_total_bytes: 3e6,
    deno_external_memory_bytes: 4e5,
  });
});

Deno.test("registerProcessMetrics() reads values when scraped, and an unlimited fd limit is +Inf", async () => {
  await using proc = await procFixture();
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry, {
    procDir: proc.path,
    memoryUsage: () => HEAP,
  });
  await Deno.writeTextFile(
    `${proc.path}/self/status`,
    "VmRSS:\t   100 kB\n",
  );
  await Deno.writeTextFile(
    `${proc.path}/self/limits`,
    "Max open files            unlimited            unlimited            files\n",
  );
  await Deno.remove(`${proc.path}/self/fd/7`);
  const text = registry.render();
  assert.match(text, /^process_resident_memory_bytes 102400$/m);
  assert.match(text, /^process_max_fds \+Inf$/m);
  assert.match(text, /^process_open_fds 3$/m);
  // A file that disappears leaves its metric without a sample; /metrics still renders.
  await Deno.remove(`${proc.path}/self/status`);
  assert.doesNotMatch(registry.render(), /^process_resident_memory_bytes /m);
});

Deno.test("registerProcessMetrics() without procfs exposes the runtime heap only", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const registry = new MetricsRegistry();
    registerProcessMetrics(registry, {
      procDir: empty,
      memoryUsage: () => HEAP,
    });
    const text = registry.render();
    assert.doesNotMatch(text, /process_/);
    assert.match(text, /^deno_heap_used_bytes 2000000$/m);
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test({
  name: "registerProcessMetrics() reports this process from /proc/self",
  ignore: Deno.build.os !== "linux",
  fn() {
    const registry = new MetricsRegistry();
    registerProcessMetrics(registry);
    const values = samples(registry.render());
    const rss = values.get("process_resident_memory_bytes") ?? 0;
    const { rss: denoRss } = Deno.memoryUsage();
    // The same figure as Deno's own, give or take what was allocated in between.
    assert.ok(rss > denoRss / 2 && rss < denoRss * 2, `${rss} vs ${denoRss}`);
    const started = values.get("process_start_time_seconds") ?? 0;
    assert.ok(Math.abs(started * 1000 - performance.timeOrigin) < 60_000);
    assert.ok((values.get("process_open_fds") ?? 0) >= 3);
    assert.ok((values.get("process_max_fds") ?? 0) >= 3);
    assert.ok((values.get("process_cpu_seconds_total") ?? 0) > 0);
    assert.ok((values.get("deno_heap_used_bytes") ?? 0) > 0);
  },
});
