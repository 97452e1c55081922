// A control-plane child process whose stdout+stderr go to a log file, stopped with SIGTERM then SIGKILL.

/** The process ended (or failed to start); carries the end of its log so the cause is visible. */
export class ProcessExitedError extends Error {
  override name = "ProcessExitedError";
  /** Which component: "etcd", "kube-apiserver", ... */
  readonly component: string;
  /** Exit code, or undefined when it was killed by a signal. */
  readonly code: number | undefined;
  /** Last lines of the process log. */
  readonly logTail: string;

  constructor(component: string, code: number | undefined, logTail: string) {
    super(
      `${component} exited${
        code === undefined ? " on a signal" : ` with code ${code}`
      }: last log lines:\n${logTail}`,
    );
    this.component = component;
    this.code = code;
    this.logTail = logTail;
  }

  /** Whether the log says a port was taken (worth retrying with other ports). */
  get portInUse(): boolean {
    return /address already in use/i.test(this.logTail);
  }
}

/** Last `lines` lines of a text file ("" when it cannot be read). */
export async function tailFile(path: string, lines = 40): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Copies `stream` into `file` chunk by chunk, then closes the file. (`FsFile.writable` buffers, so a
 * running process's log would look empty when read for a diagnosis.)
 */
async function appendToFile(
  stream: ReadableStream<Uint8Array>,
  file: Deno.FsFile,
): Promise<void> {
  try {
    for await (const chunk of stream) {
      for (let done = 0; done < chunk.length;) {
        done += await file.write(chunk.subarray(done));
      }
    }
  } finally {
    file.close();
  }
}

/** A running child process of the control plane. */
export class LoggedProcess {
  /** Which component this is, for messages. */
  readonly component: string;
  /** File receiving the process's stdout and stderr. */
  readonly logPath: string;
  readonly #child: Deno.ChildProcess;
  #status: Deno.CommandStatus | undefined;
  /** Resolves when the process has ended and its log is flushed. */
  readonly ended: Promise<Deno.CommandStatus>;
  /** Aborts (with a {@linkcode ProcessExitedError}) when the process ends. */
  readonly exitSignal: AbortSignal;

  private constructor(
    component: string,
    logPath: string,
    child: Deno.ChildProcess,
    logsWritten: Promise<unknown>,
  ) {
    this.component = component;
    this.logPath = logPath;
    this.#child = child;
    const exited = new AbortController();
    this.exitSignal = exited.signal;
    this.ended = (async () => {
      const status = await child.status;
      await logsWritten;
      this.#status = status;
      exited.abort(await this.exitedError());
      return status;
    })();
  }

  /** Starts `binary args...`, writing its output to `logPath` (truncated first). */
  static async spawn(
    component: string,
    binary: string,
    args: string[],
    logPath: string,
  ): Promise<LoggedProcess> {
    await Deno.writeTextFile(logPath, "");
    const child = new Deno.Command(binary, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const [out, err] = await Promise.all([
      Deno.open(logPath, { append: true, create: true }),
      Deno.open(logPath, { append: true, create: true }),
    ]);
    const logsWritten = Promise.allSettled([
      appendToFile(child.stdout, out),
      appendToFile(child.stderr, err),
    ]);
    return new LoggedProcess(component, logPath, child, logsWritten);
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.#status === undefined;
  }

  /** A {@linkcode ProcessExitedError} describing the end of the process (with its log tail). */
  async exitedError(): Promise<ProcessExitedError> {
    const code = this.#status?.signal ? undefined : this.#status?.code;
    return new ProcessExitedError(
      this.component,
      code,
      await tailFile(this.logPath),
    );
  }

  /** SIGTERM, then SIGKILL if it is still running after `graceMs`; resolves once it has ended. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) {
      await this.ended;
      return;
    }
    this.#signal("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#signal("SIGKILL");
        resolve();
      }, graceMs);
    });
    try {
      await Promise.race([this.ended, killed]);
      await this.ended;
    } finally {
      clearTimeout(timer);
    }
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already ended: nothing to signal.
    }
  }
}
