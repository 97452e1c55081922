// A minimal Chrome DevTools Protocol client for the operator's V8 inspector: forced GC, heap usage, CPU profiles.
import { z } from "zod";

const targetsSchema = z.array(
  z.object({ webSocketDebuggerUrl: z.string() }).loose(),
);
const messageSchema = z.object({
  id: z.number().optional(),
  result: z.unknown().optional(),
  error: z.object({ message: z.string() }).loose().optional(),
}).loose();
const heapUsageSchema = z.object({
  usedSize: z.number(),
  totalSize: z.number(),
  backingStorageSize: z.number().optional(),
}).loose();

/** V8 heap usage in bytes. */
export interface HeapUsage {
  usedSize: number;
  /** Committed heap. */
  totalSize: number;
  /** ArrayBuffer backing stores (outside the heap). */
  backingStorageSize?: number | undefined;
}

/** A V8 CPU profile node (Profiler.Profile). */
export interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
    columnNumber: number;
  };
  hitCount?: number;
  children?: number[];
}

/** A V8 CPU profile (`.cpuprofile` content). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A connected inspector session. */
export class Inspector {
  readonly #socket: WebSocket;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #nextId = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const parsed = messageSchema.safeParse(JSON.parse(String(event.data)));
      if (!parsed.success || parsed.data.id === undefined) return;
      const waiter = this.#pending.get(parsed.data.id);
      if (!waiter) return;
      this.#pending.delete(parsed.data.id);
      if (parsed.data.error) {
        waiter.reject(new Error(parsed.data.error.message));
      } else waiter.resolve(parsed.data.result);
    };
    socket.onclose = () => {
      for (const waiter of this.#pending.values()) {
        waiter.reject(new Error("Inspector connection closed"));
      }
      this.#pending.clear();
    };
  }

  /** Connects to the inspector listening on `127.0.0.1:port` (retries until it answers). */
  static async connect(port: number, timeoutMs = 30_000): Promise<Inspector> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/json/list`);
        const [target] = targetsSchema.parse(await response.json());
        if (target) {
          const socket = new WebSocket(target.webSocketDebuggerUrl);
          await new Promise<void>((resolve, reject) => {
            socket.onopen = () => resolve();
            socket.onerror = () =>
              reject(new Error("Inspector WebSocket failed"));
          });
          return new Inspector(socket);
        }
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(
      `The operator's inspector on port ${port} did not answer: ${lastError}`,
    );
  }

  /** Sends one CDP command and returns its result. */
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Runs a full garbage collection in the operator. */
  async collectGarbage(): Promise<void> {
    await this.call("HeapProfiler.collectGarbage");
  }

  /** The operator's V8 heap usage. */
  async heapUsage(): Promise<HeapUsage> {
    return heapUsageSchema.parse(await this.call("Runtime.getHeapUsage"));
  }

  /** Starts sampling the CPU (interval in microseconds). */
  async startCpuProfile(intervalUs = 1000): Promise<void> {
    await this.call("Profiler.enable");
    await this.call("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.call("Profiler.start");
  }

  /** Stops sampling and returns the profile. */
  async stopCpuProfile(): Promise<CpuProfile> {
    const result = await this.call("Profiler.stop") as { profile: CpuProfile };
    return result.profile;
  }

  /** Closes the session. */
  close(): void {
    this.#socket.close();
  }
}

/** One line of a profile summary: where the CPU time went. */
export interface HotSpot {
  /** `function (file:line)`, file relative to the repository when possible. */
  frame: string;
  selfMs: number;
  selfShare: number;
}

/**
 * The functions with the most self time in a profile. `repoRoot` is cut from file URLs; idle,
 * program and GC pseudo-frames are kept (they show where time was not spent in JS).
 */
export function hotSpots(
  profile: CpuProfile,
  repoRoot: string,
  top = 25,
): { totalMs: number; spots: HotSpot[]; byFile: HotSpot[] } {
  const deltas = profile.timeDeltas ?? [];
  const samples = profile.samples ?? [];
  const selfUs = new Map<number, number>();
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const byFrame = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const url = node.callFrame.url.replace(`file://${repoRoot}`, "");
    const fn = node.callFrame.functionName || "(anonymous)";
    const frame = url ? `${fn} (${url}:${node.callFrame.lineNumber + 1})` : fn;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + us);
    const file = url ? url.replace(/^.*\/node_modules\/\.deno\//, "npm:") : fn;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const rank = (map: Map<string, number>) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map((
      [frame, us],
    ) => ({
      frame,
      selfMs: Math.round(us / 100) / 10,
      selfShare: total > 0 ? Math.round((us / total) * 1000) / 1000 : 0,
    }));
  return {
    totalMs: Math.round(total / 1000),
    spots: rank(byFrame),
    byFile: rank(byFile),
  };
}

/** A node of a V8 sampling heap profile. */
export interface HeapProfileNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children?: HeapProfileNode[];
}

/** Starts sampling allocations (objects still alive when the profile is read are what it shows). */
export async function startHeapSampling(
  inspector: Inspector,
  samplingInterval = 16_384,
): Promise<void> {
  await inspector.call("HeapProfiler.enable");
  await inspector.call("HeapProfiler.startSampling", { samplingInterval });
}

/** Reads the sampling heap profile (live allocations by allocation site). */
export async function heapSamplingProfile(
  inspector: Inspector,
): Promise<HeapProfileNode> {
  const result = await inspector.call("HeapProfiler.getSamplingProfile") as {
    profile: { head: HeapProfileNode };
  };
  return result.profile.head;
}

/**
 * Live bytes by allocation site and by the first frame in the repository's `src/` on the stack
 * (what code holds the memory), from a sampling heap profile.
 */
export function heapHotSpots(
  head: HeapProfileNode,
  repoRoot: string,
  top = 20,
): {
  totalMiB: number;
  bySite: Array<{ frame: string; MiB: number }>;
  bySrcCaller: Array<{ frame: string; MiB: number }>;
} {
  const bySite = new Map<string, number>();
  const byCaller = new Map<string, number>();
  let total = 0;
  const frameOf = (node: HeapProfileNode) => {
    const url = node.callFrame.url.replace(`file://${repoRoot}`, "");
    return `${node.callFrame.functionName || "(anonymous)"} (${
      url.replace(/^.*\/node_modules\/\.deno\//, "npm:")
    }:${node.callFrame.lineNumber + 1})`;
  };
  const walk = (node: HeapProfileNode, srcCaller: string | undefined) => {
    const url = node.callFrame.url.replace(`file://${repoRoot}`, "");
    const caller = url.startsWith("src/") ? frameOf(node) : srcCaller;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const site = frameOf(node);
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      const key = caller ?? "(outside src/)";
      byCaller.set(key, (byCaller.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children ?? []) walk(child, caller);
  };
  walk(head, undefined);
  const rank = (map: Map<string, number>) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map((
      [frame, bytes],
    ) => ({ frame, MiB: Math.round((bytes / 1048576) * 100) / 100 }));
  return {
    totalMiB: Math.round((total / 1048576) * 100) / 100,
    bySite: rank(bySite),
    bySrcCaller: rank(byCaller),
  };
}
