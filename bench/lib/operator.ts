// The operator process as shipped (`deno run -P=operator --v8-flags=…` of its bundle), spawned with its pid, probes and inspector.
import { OperatorProcess } from "../../test/support/operator_process.ts";
import {
  inheritedEnv,
  OPERATOR_MALLOC_ENV,
  operatorRunArgs,
} from "../../test/support/operator_runtime.ts";
import { Inspector } from "./inspector.ts";
import { processCpuSeconds, processMemory } from "./machine.ts";
import { nowMs, sleep } from "./pool.ts";
import type { Simulators } from "./simulators.ts";
import { type BenchWorld, REPO_ROOT } from "./world.ts";

/** Options of {@linkcode BenchOperator.start}. */
export interface BenchOperatorOptions {
  operatorNamespace: string;
  /** Empty or omitted: all namespaces (the operator's default). */
  watchNamespaces?: string[];
  extraArgs?: string[];
  /** Also open the V8 inspector (forced GC, heap usage, CPU profiles). */
  inspect?: boolean;
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Extra environment variables (e.g. `MALLOC_ARENA_MAX`). */
  extraEnv?: Record<string, string>;
  /** V8 flags instead of the shipped ones (what-ifs; "" = V8's defaults). */
  v8Flags?: string;
  /** Allocator settings instead of the shipped ones (what-ifs; {} = glibc's defaults). */
  mallocEnv?: Record<string, string>;
  /** The module to run instead of the bundle (what-ifs: `src/main.ts`, the sources unbundled). */
  entry?: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Operators still running (killed by the runner on SIGINT/SIGTERM). */
export const liveOperators: Set<BenchOperator> = new Set();

/** A running operator. */
export class BenchOperator implements AsyncDisposable {
  /** Harness time (ms) just before the process was spawned. */
  readonly spawnedAt: number;
  #inspector: Inspector | undefined;

  private constructor(
    readonly process: OperatorProcess,
    readonly pid: number,
    readonly probePort: number,
    readonly inspectPort: number | undefined,
    spawnedAt: number,
  ) {
    this.spawnedAt = spawnedAt;
  }

  /** Spawns the operator against the world and the simulators; does not wait for readiness. */
  static start(
    world: BenchWorld,
    sims: Simulators,
    options: BenchOperatorOptions,
  ): BenchOperator {
    const probePort = freePort();
    const inspectPort = options.inspect ? freePort() : undefined;
    const args = [
      ...operatorRunArgs(options.entry ?? world.operatorEntry, {
        ...(options.v8Flags === undefined ? {} : { v8Flags: options.v8Flags }),
        ...(inspectPort === undefined
          ? {}
          : { denoFlags: [`--inspect=127.0.0.1:${inspectPort}`] }),
      }),
      `--kubeconfig=${world.operatorKubeconfig}`,
      `--operator-namespace=${options.operatorNamespace}`,
      ...(options.watchNamespaces?.length
        ? [`--watch-namespaces=${options.watchNamespaces.join(",")}`]
        : []),
      `--arm-endpoint=${sims.apim.url}`,
      `--authority-host=${sims.entra.url}`,
      "--api-version=2024-05-01",
      `--health-probe-bind-address=127.0.0.1:${probePort}`,
      "--metrics-bind-address=0",
      `--log-level=${options.logLevel ?? "info"}`,
      ...(options.extraArgs ?? []),
    ];
    const spawnedAt = nowMs();
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: REPO_ROOT,
      clearEnv: true,
      env: {
        ...inheritedEnv(),
        ...(options.mallocEnv ?? OPERATOR_MALLOC_ENV),
        ...sims.operatorEnv(world.tls.caPath),
        ...options.extraEnv,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const operator = new BenchOperator(
      new OperatorProcess(child),
      child.pid,
      probePort,
      inspectPort,
      spawnedAt,
    );
    liveOperators.add(operator);
    return operator;
  }

  /** Polls `/readyz` every `intervalMs` until it answers 200; returns the harness time it did. */
  async waitReady(timeoutMs = 180_000, intervalMs = 10): Promise<number> {
    const deadline = nowMs() + timeoutMs;
    const url = `http://127.0.0.1:${this.probePort}/readyz`;
    while (nowMs() < deadline) {
      if (this.process.exited) {
        throw new Error(`The operator exited:\n${this.process.tail()}`);
      }
      try {
        const response = await fetch(url);
        await response.body?.cancel();
        if (response.status === 200) return nowMs();
      } catch {
        // not listening yet
      }
      await sleep(intervalMs);
    }
    throw new Error(
      `The operator was not ready within ${timeoutMs} ms:\n${this.process.tail()}`,
    );
  }

  /** The inspector session (the operator must have been started with `inspect`). */
  async inspector(): Promise<Inspector> {
    if (this.inspectPort === undefined) {
      throw new Error("The operator was started without the inspector");
    }
    this.#inspector ??= await Inspector.connect(this.inspectPort);
    return this.#inspector;
  }

  /** VmRSS and VmHWM in KiB. */
  memory(): Promise<{ rssKiB: number; hwmKiB: number }> {
    return processMemory(this.pid);
  }

  /** CPU seconds used so far. */
  cpuSeconds(): Promise<number> {
    return processCpuSeconds(this.pid);
  }

  /** Waits until the process used less than `maxShare` of a core over `windowMs` (caches settled). */
  async waitIdle(
    maxShare = 0.05,
    windowMs = 2_000,
    timeoutMs = 120_000,
  ): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    let before = await this.cpuSeconds();
    while (nowMs() < deadline) {
      await sleep(windowMs);
      const after = await this.cpuSeconds();
      if ((after - before) / (windowMs / 1000) <= maxShare) return;
      before = after;
    }
  }

  /** Number of log lines whose message contains `text`. */
  countLogs(text: string): number {
    return this.process.logsMatching(text).length;
  }

  /** SIGTERM and wait. */
  async stop(): Promise<void> {
    this.#inspector?.close();
    this.#inspector = undefined;
    await this.process.stop();
    liveOperators.delete(this);
  }

  /** SIGKILL without waiting for the log readers (emergency stop). */
  kill(): void {
    try {
      Deno.kill(this.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
