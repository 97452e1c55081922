// Machine facts (CPU, memory, versions) and load samples, so every number is read against the box it ran on.

/** What the benchmark ran on. */
export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryMiB: number;
  os: string;
  kernel: string;
  deno: string;
  v8: string;
  typescript: string;
  kubernetes: string;
  etcd: string;
}

/** CPU use of the whole machine and its load average over a stretch of time. */
export interface LoadWindow {
  /** Load average (1 min) at the start and the end. */
  loadavgStart: number;
  loadavgEnd: number;
  /** Share of all cores busy over the window (0..1), from /proc/stat. */
  cpuBusy: number;
  seconds: number;
  /** The busiest processes at the start (pid, %CPU since start, command), to see neighbours. */
  busiestAtStart: string[];
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

async function run(command: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(command, {
      args,
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/** Collects the facts; `kubernetes` and `etcd` come from the running control plane. */
export async function machineFacts(
  versions: { kubernetes: string; etcd: string },
): Promise<MachineFacts> {
  const cpuinfo = await readText("/proc/cpuinfo");
  const meminfo = await readText("/proc/meminfo");
  const osRelease = await readText("/etc/os-release");
  const memKiB = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
  return {
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memoryMiB: Math.round(memKiB / 1024),
    os: /PRETTY_NAME="?([^"\n]+)"?/.exec(osRelease)?.[1] ?? Deno.build.os,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    kubernetes: versions.kubernetes,
    etcd: versions.etcd,
  };
}

interface CpuTicks {
  busy: number;
  total: number;
}

async function cpuTicks(): Promise<CpuTicks> {
  const line = (await readText("/proc/stat")).split("\n")[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((s, v) => s + v, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

async function loadavg(): Promise<number> {
  return Number((await readText("/proc/loadavg")).split(" ")[0] ?? 0);
}

/** Starts observing the machine; `end()` returns the window. */
export async function observeLoad(): Promise<{ end(): Promise<LoadWindow> }> {
  const startTicks = await cpuTicks();
  const loadavgStart = await loadavg();
  const started = performance.now();
  const ps = await run("ps", ["-eo", "pid,pcpu,comm", "--sort=-pcpu"]);
  const busiestAtStart = ps.split("\n").slice(1, 6).map((l) =>
    l.trim().replace(/\s+/g, " ")
  );
  return {
    async end(): Promise<LoadWindow> {
      const endTicks = await cpuTicks();
      const total = endTicks.total - startTicks.total;
      return {
        loadavgStart,
        loadavgEnd: await loadavg(),
        cpuBusy: total > 0
          ? Math.round(((endTicks.busy - startTicks.busy) / total) * 1000) /
            1000
          : 0,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        busiestAtStart,
      };
    },
  };
}

/** Resident set size (VmRSS) and its peak (VmHWM) of a process, in KiB. */
export async function processMemory(
  pid: number,
): Promise<{ rssKiB: number; hwmKiB: number }> {
  const status = await readText(`/proc/${pid}/status`);
  return {
    rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN),
    hwmKiB: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN),
  };
}

/** CPU seconds (user + system) a process has used so far. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readText(`/proc/${pid}/stat`);
  // Fields after the command (which may contain spaces): state is field 3; utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11] ?? 0);
  const stime = Number(rest[12] ?? 0);
  return (utime + stime) / 100;
}
