// The standard process_* metrics (read from /proc/self at scrape time, Linux only) and the Deno heap.

import type { MetricsRegistry } from "./metrics.ts";

/** Clock ticks per second of /proc times (USER_HZ, 100 on every Linux ABI; Prometheus' procfs assumes it too). */
const USER_HZ = 100;

/** Options of {@linkcode registerProcessMetrics}. */
export interface ProcessMetricsOptions {
  /** Root of procfs (default `/proc`); tests point it at a fixture. */
  procDir?: string;
  /** The runtime's memory figures (default `Deno.memoryUsage`). */
  memoryUsage?: () => Deno.MemoryUsage;
}

/** The fields of /proc/self/stat after the command name (field 3, `state`, is index 0). */
function statFields(text: string): string[] {
  // The command name is in parentheses and may itself contain spaces and parentheses.
  return text.slice(text.lastIndexOf(")") + 2).trim().split(" ");
}

function readLines(path: string): string[] | undefined {
  try {
    return Deno.readTextFileSync(path).split("\n");
  } catch {
    return undefined;
  }
}

/** A `Key:   <n> kB` line of /proc/self/status, in bytes. */
function statusBytes(
  lines: readonly string[],
  key: string,
): number | undefined {
  const match = lines.find((l) => l.startsWith(`${key}:`))?.match(
    /(\d+)\s*kB/,
  );
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The process's start in epoch seconds: boot time plus the start tick of /proc/self/stat. */
function startTimeSeconds(proc: string): number | undefined {
  const stat = readLines(`${proc}/self/stat`);
  const boot = readLines(`${proc}/stat`)?.find((l) => l.startsWith("btime "));
  if (!stat || !boot) return undefined;
  const ticks = Number(statFields(stat.join("\n"))[19]);
  const bootSeconds = Number(boot.slice("btime ".length));
  return Number.isFinite(ticks) && Number.isFinite(bootSeconds)
    ? bootSeconds + ticks / USER_HZ
    : undefined;
}

/** One unlabelled sample, or none when the value could not be read. */
function sample(value: number | undefined): [Record<string, never>, number][] {
  return value === undefined || Number.isNaN(value) ? [] : [[{}, value]];
}

/**
 * Registers the process metrics dashboards and the controller-runtime conventions assume
 * (`process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_cpu_seconds_total`,
 * `process_start_time_seconds`, `process_open_fds`, `process_max_fds`), where /proc/self can be
 * read, and the V8 heap (`deno_heap_used_bytes`, `deno_heap_total_bytes`,
 * `deno_external_memory_bytes`) everywhere. Values are read when scraped; a file that cannot be
 * read leaves its metric without a sample.
 */
export function registerProcessMetrics(
  registry: MetricsRegistry,
  options: ProcessMetricsOptions = {},
): void {
  const proc = options.procDir ?? "/proc";
  const started = startTimeSeconds(proc);
  if (started !== undefined) {
    const stat = () => {
      const lines = readLines(`${proc}/self/stat`);
      return lines ? statFields(lines.join("\n")) : undefined;
    };
    registry.counter(
      "process_cpu_seconds_total",
      "Total user and system CPU time spent in seconds.",
    ).collectWith(() => {
      const fields = stat();
      return sample(
        fields && (Number(fields[11]) + Number(fields[12])) / USER_HZ,
      );
    });
    registry.gauge(
      "process_virtual_memory_bytes",
      "Virtual memory size in bytes.",
    ).collectWith(() => {
      const fields = stat();
      return sample(fields && Number(fields[20]));
    });
    registry.gauge(
      "process_resident_memory_bytes",
      "Resident memory size in bytes.",
    ).collectWith(() => {
      const status = readLines(`${proc}/self/status`);
      return sample(status && statusBytes(status, "VmRSS"));
    });
    registry.gauge(
      "process_start_time_seconds",
      "Start time of the process since unix epoch in seconds.",
    ).collectWith(() => sample(started));
    registry.gauge(
      "process_open_fds",
      "Number of open file descriptors.",
    ).collectWith(() => {
      try {
        return sample([...Deno.readDirSync(`${proc}/self/fd`)].length);
      } catch {
        return [];
      }
    });
    registry.gauge(
      "process_max_fds",
      "Maximum number of open file descriptors.",
    ).collectWith(() => {
      const limit = readLines(`${proc}/self/limits`)
        ?.find((l) => l.startsWith("Max open files"))
        ?.slice("Max open files".length).trim().split(/\s+/)[0];
      return sample(
        limit === undefined
          ? undefined
          : limit === "unlimited"
          ? Infinity
          : Number(limit),
      );
    });
  }
  const memoryUsage = options.memoryUsage ?? (() => Deno.memoryUsage());
  registry.gauge(
    "deno_heap_used_bytes",
    "V8 heap in use, in bytes (Deno.memoryUsage().heapUsed).",
  ).collectWith(() => sample(memoryUsage().heapUsed));
  registry.gauge(
    "deno_heap_total_bytes",
    "V8 heap allocated, in bytes (Deno.memoryUsage().heapTotal).",
  ).collectWith(() => sample(memoryUsage().heapTotal));
  registry.gauge(
    "deno_external_memory_bytes",
    "Memory of JavaScript objects bound to native memory (buffers), in bytes (Deno.memoryUsage().external).",
  ).collectWith(() => sample(memoryUsage().external));
}
