// Runs the operator as a child process exactly as shipped (`deno run -P=operator --v8-flags=… src/main.ts`) and collects its logs.
import {
  inheritedEnv,
  OPERATOR_MALLOC_ENV,
  operatorRunArgs,
} from "./operator_runtime.ts";
import { waitFor } from "./wait.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** One parsed JSON log line of the operator. */
export interface LogEntry {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Options of {@linkcode startOperator}. */
export interface OperatorOptions {
  /** Flags after `src/main.ts`. */
  args: string[];
  /** The whole environment of the process (nothing is inherited but PATH, HOME and DENO_DIR). */
  env: Record<string, string>;
  /** Also print every line as it arrives (for the demo). */
  echo?: boolean;
  /** The module to run instead of `src/main.ts` (the shipped bundle, test/support/operator_bundle.ts). */
  entry?: string;
}

/** A running operator process. */
export class OperatorProcess implements AsyncDisposable {
  readonly logs: LogEntry[] = [];
  /** Lines that were not JSON (Deno warnings, panics). */
  readonly rawLines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #readers: Promise<void>[];
  #status: Deno.CommandStatus | undefined;

  readonly #echo: boolean;

  constructor(child: Deno.ChildProcess, echo = false) {
    this.#child = child;
    this.#echo = echo;
    this.#readers = [this.#read(child.stdout), this.#read(child.stderr)];
    child.status.then((status) => this.#status = status);
  }

  async #read(stream: ReadableStream<Uint8Array>): Promise<void> {
    let buffer = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        this.#line(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    }
    if (buffer) this.#line(buffer);
  }

  #line(line: string): void {
    if (!line.trim()) return;
    // deno-lint-ignore no-console
    if (this.#echo) console.log(line);
    try {
      const entry = JSON.parse(line);
      if (entry && typeof entry === "object" && typeof entry.msg === "string") {
        this.logs.push(entry as LogEntry);
        return;
      }
    } catch {
      // not JSON
    }
    this.rawLines.push(line);
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#status !== undefined;
  }

  /** How the process ended, once it has. */
  get exitStatus(): Deno.CommandStatus | undefined {
    return this.#status;
  }

  /** Log entries whose message contains `text`. */
  logsMatching(text: string): LogEntry[] {
    return this.logs.filter((l) => l.msg.includes(text));
  }

  /** Waits for a log entry satisfying `predicate`. */
  async waitForLog(
    predicate: (entry: LogEntry) => boolean,
    description: string,
    timeoutMs = 60_000,
  ): Promise<LogEntry> {
    return await waitFor(() => {
      if (this.exited) {
        throw new Error(
          `the operator exited (${this.#status?.code}): ${this.tail()}`,
        );
      }
      return Promise.resolve(this.logs.find(predicate));
    }, { description, timeoutMs });
  }

  /** The URL a named server ("probes", "metrics") listens on. */
  async serverUrl(name: string): Promise<string> {
    const entry = await this.waitForLog(
      (l) => l.msg === "Listening" && l["server"] === name,
      `the operator's ${name} server to listen`,
    );
    return String(entry["url"]);
  }

  /** The last log lines, for failure messages. */
  tail(lines = 30): string {
    const all = [...this.logs.map((l) => JSON.stringify(l)), ...this.rawLines];
    return all.slice(-lines).join("\n");
  }

  /** Sends `signal` without waiting (e.g. SIGSTOP/SIGCONT to freeze and thaw the process). */
  signal(signal: Deno.Signal): void {
    if (this.exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    if (!this.exited) {
      try {
        this.#child.kill(signal);
      } catch {
        // already gone
      }
    }
    const status = await this.#child.status;
    await Promise.all(this.#readers);
    return status;
  }

  /** Kills the process at once (SIGKILL), like a crash or a node failure. */
  async kill(): Promise<Deno.CommandStatus> {
    return await this.stop("SIGKILL");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Starts the operator with the permission set, V8 flags and allocator settings it ships with. */
export function startOperator(options: OperatorOptions): OperatorProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...operatorRunArgs(options.entry ?? "src/main.ts"),
      ...options.args,
    ],
    cwd: REPO_ROOT,
    clearEnv: true,
    env: { ...inheritedEnv(), ...OPERATOR_MALLOC_ENV, ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new OperatorProcess(child, options.echo ?? false);
}
