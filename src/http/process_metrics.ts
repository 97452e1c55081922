// The standard process_* metrics and the Deno heap, read at scrape time from the runtime (and /proc/self where readable).

import process from "node:process";
import type { MetricsRegistry } from "./metrics.ts";

/** Where the values come from; every field has the real source as its default (tests replace them). */
export interface ProcessMetricsSources {
  /** Root of procfs (default `/proc`). */
  procDir?: string;
  /** `Deno.memoryUsage` (RSS and the V8 heap; needs no permission). */
  memoryUsage?: () => Deno.MemoryUsage;
  /** User and system CPU time in microseconds (default `process.cpuUsage`, getrusage). */
  cpuUsage?: () => { user: number; system: number };
  /** The process's start in epoch ms (default `performance.timeOrigin`). */
  startedAt?: number;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** One unlabelled sample, or none when the value could not be read. */
function sample(value: number | undefined): [Record<string, never>, number][] {
  return value === undefined || Number.isNaN(value) ? [] : [[{}, value]];
}

/** `vsize` (field 23) of /proc/self/stat; the command name in field 2 may hold spaces and parentheses. */
function virtualMemoryBytes(proc: string): number | undefined {
  const stat = readText(`${proc}/self/stat`);
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  return Number(fields[20]);
}

/** The soft limit of open files in /proc/self/limits (`unlimited` is +Inf). */
function maxFds(proc: string): number | undefined {
  const limit = readText(`${proc}/self/limits`)?.split("\n")
    .find((l) => l.startsWith("Max open files"))
    ?.slice("Max open files".length).trim().split(/\s+/)[0];
  if (limit === undefined) return undefined;
  return limit === "unlimited" ? Infinity : Number(limit);
}

function openFds(proc: string): number | undefined {
  try {
    return [...Deno.readDirSync(`${proc}/self/fd`)].length;
  } catch {
    return undefined;
  }
}

/**
 * Registers the process metrics dashboards and the controller-runtime conventions assume, and
 * the V8 heap. `process_resident_memory_bytes`, `process_cpu_seconds_total`,
 * `process_start_time_seconds` and the `deno_*` heap gauges come from the runtime everywhere.
 * `process_virtual_memory_bytes`, `process_open_fds` and `process_max_fds` exist only where
 * /proc/self can be read: Deno allows that only with all permissions (not the operator's
 * permission set), so an operator run with `-P=operator` exposes none of the three.
 */
export function registerProcessMetrics(
  registry: MetricsRegistry,
  sources: ProcessMetricsSources = {},
): void {
  const memoryUsage = sources.memoryUsage ?? (() => Deno.memoryUsage());
  const cpuUsage = sources.cpuUsage ?? (() => process.cpuUsage());
  const startedAt = sources.startedAt ?? performance.timeOrigin;
  registry.counter(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
  ).collectWith(() => {
    const { user, system } = cpuUsage();
    return sample((user + system) / 1e6);
  });
  registry.gauge(
    "process_resident_memory_bytes",
    "Resident memory size in bytes.",
  ).collectWith(() => sample(memoryUsage().rss));
  registry.gauge(
    "process_start_time_seconds",
    "Start time of the process since unix epoch in seconds.",
  ).collectWith(() => sample(startedAt / 1000));
  const proc = sources.procDir ?? "/proc";
  if (virtualMemoryBytes(proc) !== undefined) {
    registry.gauge(
      "process_virtual_memory_bytes",
      "Virtual memory size in bytes.",
    ).collectWith(() => sample(virtualMemoryBytes(proc)));
    registry.gauge("process_open_fds", "Number of open file descriptors.")
      .collectWith(() => sample(openFds(proc)));
    registry.gauge(
      "process_max_fds",
      "Maximum number of open file descriptors.",
    ).collectWith(() => sample(maxFds(proc)));
  }
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
