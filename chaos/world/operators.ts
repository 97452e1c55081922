// The operator replicas of a schedule: start, stop (SIGKILL/SIGTERM), freeze (SIGSTOP), restart, and what they did unasked.
import type {
  LogEntry,
  OperatorProcess,
} from "../../test/support/operator_process.ts";

/** Log messages that mean a component of the operator died (not a handled error of one object). */
const COMPONENT_FAILURES = [
  "Operator failed",
  "Operator component failed",
  "Leader work failed",
];

/** Something a replica did that nobody asked for. */
export interface ProcessIncident {
  replica: number;
  kind: "exit" | "component-failure" | "panic";
  detail: string;
}

interface Replica {
  index: number;
  current: OperatorProcess | null;
  /** Every process this replica ran, and whether the runner stopped it. */
  runs: { process: OperatorProcess; stoppedByRunner: boolean }[];
  paused: boolean;
}

/** The replicas; `start` launches replica `index` with its flags. */
export class OperatorFleet implements AsyncDisposable {
  readonly #start: (index: number) => OperatorProcess;
  readonly #replicas: Replica[];

  constructor(start: (index: number) => OperatorProcess, count: number) {
    this.#start = start;
    this.#replicas = Array.from({ length: count }, (_, index) => ({
      index,
      current: null,
      runs: [],
      paused: false,
    }));
  }

  /** How many replicas there are. */
  get size(): number {
    return this.#replicas.length;
  }

  /** Starts every replica that is not running. */
  startAll(): void {
    for (const replica of this.#replicas) {
      if (!replica.current) this.#launch(replica);
    }
  }

  #launch(replica: Replica): void {
    const process = this.#start(replica.index);
    replica.current = process;
    replica.runs.push({ process, stoppedByRunner: false });
  }

  #replica(index: number): Replica {
    const replica = this.#replicas[index];
    if (!replica) throw new RangeError(`No operator replica ${index}`);
    return replica;
  }

  /** The leader-election identity of replica `index`'s current process (from its logs). */
  identity(index: number): string | undefined {
    const logs = this.#replica(index).current?.logs ?? [];
    const entry = logs.find((l) => typeof l["identity"] === "string");
    return entry ? String(entry["identity"]) : undefined;
  }

  /** The replica whose identity is `holder`, if any. */
  indexOf(holder: string | undefined): number | undefined {
    if (!holder) return undefined;
    return this.#replicas.find((r) => this.identity(r.index) === holder)
      ?.index;
  }

  /** Whether replica `index` runs now. */
  running(index: number): boolean {
    const replica = this.#replica(index);
    return replica.current !== null && !replica.current.exited;
  }

  /** Stops replica `index` with `signal` and waits for the exit (SIGKILL if SIGTERM takes over 15 s). */
  async stop(index: number, signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const replica = this.#replica(index);
    const process = replica.current;
    if (!process) return;
    const run = replica.runs.find((r) => r.process === process);
    if (run) run.stoppedByRunner = true;
    replica.current = null;
    if (replica.paused) this.resume(index);
    const killLater = setTimeout(() => process.signal("SIGKILL"), 15_000);
    try {
      await process.stop(signal);
    } finally {
      clearTimeout(killLater);
    }
  }

  /** Starts replica `index` again if it is stopped. */
  restart(index: number): void {
    const replica = this.#replica(index);
    if (!replica.current) this.#launch(replica);
  }

  /** Freezes replica `index` (SIGSTOP), as a long GC pause or a frozen node would. */
  pause(index: number): void {
    const replica = this.#replica(index);
    if (!replica.current || replica.paused) return;
    replica.paused = true;
    replica.current.signal("SIGSTOP");
  }

  /** Thaws replica `index` (SIGCONT). */
  resume(index: number): void {
    const replica = this.#replica(index);
    if (!replica.paused) return;
    replica.paused = false;
    replica.current?.signal("SIGCONT");
  }

  /** Thaws every frozen replica and starts every stopped one. */
  heal(): void {
    for (const replica of this.#replicas) {
      this.resume(replica.index);
      if (!replica.current) this.#launch(replica);
    }
  }

  /** Exits the runner did not cause, component failures and panics, over every process so far. */
  incidents(): ProcessIncident[] {
    const out: ProcessIncident[] = [];
    for (const replica of this.#replicas) {
      for (const { process, stoppedByRunner } of replica.runs) {
        const status = process.exitStatus;
        if (status && !stoppedByRunner) {
          out.push({
            replica: replica.index,
            kind: "exit",
            detail: `exited with code ${status.code}${
              status.signal ? ` (${status.signal})` : ""
            }; last lines:\n${process.tail(12)}`,
          });
        }
        for (const entry of process.logs.filter(isComponentFailure)) {
          out.push({
            replica: replica.index,
            kind: "component-failure",
            detail: JSON.stringify(entry),
          });
        }
        for (const line of process.rawLines.filter(isPanic)) {
          out.push({ replica: replica.index, kind: "panic", detail: line });
        }
      }
    }
    return out;
  }

  /** Processes started beyond the first of each replica. */
  get restarts(): number {
    return this.#replicas.reduce(
      (n, r) => n + Math.max(0, r.runs.length - 1),
      0,
    );
  }

  /** Every log line of every process so far, replica by replica (for failure artifacts). */
  fullLogs(): string {
    return this.#replicas.flatMap((r) =>
      r.runs.map(({ process }, run) =>
        `=== replica ${r.index}, run ${run + 1} ===\n${
          process.tail(Number.MAX_SAFE_INTEGER)
        }`
      )
    ).join("\n");
  }

  /** The last log lines of every replica's current process (for failure reports). */
  tails(lines = 20): string {
    return this.#replicas.map((r) =>
      `replica ${r.index}:\n${r.current?.tail(lines) ?? "(not running)"}`
    ).join("\n");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#replicas.map(async (replica) => {
      this.resume(replica.index);
      const process = replica.current;
      replica.current = null;
      const run = replica.runs.find((r) => r.process === process);
      if (run) run.stoppedByRunner = true;
      await process?.kill();
    }));
  }
}

function isComponentFailure(entry: LogEntry): boolean {
  return entry.level === "error" && COMPONENT_FAILURES.includes(entry.msg);
}

function isPanic(line: string): boolean {
  return /Uncaught|panicked|RUST_BACKTRACE/.test(line);
}
