// Unit tests of the process_* and deno_* metrics: runtime sources, a procfs fixture, and this process.
import assert from "node:assert/strict";
import { MetricsRegistry } from "../../../src/http/metrics.ts";
import {
  type ProcessMetricsSources,
  registerProcessMetrics,
} from "../../../src/http/process_metrics.ts";

/** The samples of the text exposition: name (with labels) to value. */
function samples(text: string): Record<string, number> {
  return Object.fromEntries(
    text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => {
      const at = l.lastIndexOf(" ");
      return [l.slice(0, at), Number(l.slice(at + 1))];
    }),
  );
}

const RUNTIME: ProcessMetricsSources = {
  memoryUsage: () => ({
    rss: 5e7,
    heapUsed: 2e6,
    heapTotal: 3e6,
    external: 4e5,
  }),
  cpuUsage: () => ({ user: 2_500_000, system: 500_000 }),
  startedAt: 1_700_000_000_250,
};

async function procFixture(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "procfs-" });
  await Deno.mkdir(`${path}/self/fd`, { recursive: true });
  for (const fd of ["0", "1", "2", "7"]) {
    await Deno.writeTextFile(`${path}/self/fd/${fd}`, "");
  }
  // A command name with a space and a parenthesis; vsize (field 23) 987654321 bytes.
  await Deno.writeTextFile(
    `${path}/self/stat`,
    "42 (deno (main) x) S 1 42 42 0 -1 4194304 1 0 0 0 250 50 0 0 20 0 9 0 12345 987654321 2000 18446744073709551615 1 2 3\n",
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

Deno.test("registerProcessMetrics() reports the runtime's figures, and stat, limits and fd of a readable procfs", async () => {
  await using proc = await procFixture();
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry, { ...RUNTIME, procDir: proc.path });
  const text = registry.render();
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  assert.match(text, /^# TYPE process_resident_memory_bytes gauge$/m);
  assert.deepEqual(samples(text), {
    process_cpu_seconds_total: 3,
    process_resident_memory_bytes: 5e7,
    process_start_time_seconds: 1_700_000_000.25,
    process_virtual_memory_bytes: 987654321,
    process_open_fds: 4,
    process_max_fds: 4096,
    deno_heap_used_bytes: 2e6,
    deno_heap_total_bytes: 3e6,
    deno_external_memory_bytes: 4e5,
  });
});

Deno.test("registerProcessMetrics() reads procfs when scraped; an unlimited fd limit is +Inf, a vanished file no sample", async () => {
  await using proc = await procFixture();
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry, { ...RUNTIME, procDir: proc.path });
  await Deno.writeTextFile(
    `${proc.path}/self/limits`,
    "Max open files            unlimited            unlimited            files\n",
  );
  await Deno.remove(`${proc.path}/self/fd/7`);
  const text = registry.render();
  assert.match(text, /^process_max_fds \+Inf$/m);
  assert.match(text, /^process_open_fds 3$/m);
  await Deno.remove(`${proc.path}/self/stat`);
  assert.doesNotMatch(registry.render(), /^process_virtual_memory_bytes /m);
});

Deno.test("registerProcessMetrics() without a readable procfs leaves out the three figures only it has", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const registry = new MetricsRegistry();
    registerProcessMetrics(registry, { ...RUNTIME, procDir: empty });
    assert.deepEqual(Object.keys(samples(registry.render())), [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "deno_heap_used_bytes",
      "deno_heap_total_bytes",
      "deno_external_memory_bytes",
    ]);
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test("registerProcessMetrics() reports this process", () => {
  const registry = new MetricsRegistry();
  registerProcessMetrics(registry);
  const values = samples(registry.render());
  const rss = values["process_resident_memory_bytes"] ?? 0;
  const { rss: denoRss } = Deno.memoryUsage();
  assert.ok(rss > denoRss / 2 && rss < denoRss * 2, `${rss} vs ${denoRss}`);
  assert.equal(
    values["process_start_time_seconds"],
    performance.timeOrigin / 1000,
  );
  assert.ok((values["process_cpu_seconds_total"] ?? 0) > 0);
  assert.ok((values["deno_heap_used_bytes"] ?? 0) > 0);
  // `deno test -A` may read /proc (the operator's permission set may not).
  if (Deno.build.os === "linux") {
    assert.ok((values["process_open_fds"] ?? 0) >= 3);
    assert.ok((values["process_max_fds"] ?? 0) >= 3);
    assert.ok((values["process_virtual_memory_bytes"] ?? 0) > rss);
  }
});
