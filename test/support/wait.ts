// Waiting for a condition in tests: poll a probe until it yields a value, fail clearly at a deadline.

/** Options for {@linkcode waitFor}. */
export interface WaitOptions {
  /** What is awaited, in words; it names the wait in the timeout message. */
  description: string;
  /** Failure bound, not a timing assertion (default 30 s: a real apiserver on a busy 2-core box is slow). */
  timeoutMs?: number;
  /** Pause between probes (default 50 ms). */
  intervalMs?: number;
  /** Stops the wait early; the wait then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The deadline of {@linkcode waitFor} passed; carries what the probe last said. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
  /** The `description` of the wait. */
  readonly description: string;
  /** The error the last probe threw, if it threw. */
  readonly lastError: unknown;
  /** How many times the probe ran. */
  readonly attempts: number;

  constructor(
    description: string,
    timeoutMs: number,
    attempts: number,
    lastError: unknown,
  ) {
    const detail = lastError === undefined
      ? "the last probe returned nothing"
      : `last probe error: ${errorText(lastError)}`;
    super(
      `Timed out after ${timeoutMs}ms waiting for ${description} (${attempts} probes): ${detail}`,
    );
    this.description = description;
    this.lastError = lastError;
    this.attempts = attempts;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_INTERVAL_MS = 50;

/**
 * Runs `probe` until it returns something other than `undefined` and returns that value.
 * A probe that throws counts as "not yet" (the last error is reported at the deadline).
 * The probe receives a signal that aborts at the deadline, so a hanging request can be cancelled.
 */
export async function waitFor<T>(
  probe: (signal: AbortSignal) => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  const probeAbort = new AbortController();
  const deadlineTimer = setTimeout(
    () => probeAbort.abort(new Error(`Deadline of ${timeoutMs}ms passed`)),
    timeoutMs,
  );
  const onOuterAbort = () => probeAbort.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let attempts = 0;
  let lastError: unknown = undefined;
  const expired = () => probeAbort.signal.aborted || Date.now() >= deadline;
  try {
    do {
      options.signal?.throwIfAborted();
      attempts++;
      try {
        const value = await probe(probeAbort.signal);
        if (value !== undefined) return value;
        lastError = undefined;
      } catch (error) {
        options.signal?.throwIfAborted();
        lastError = error;
      }
      if (!expired()) {
        await pause(
          Math.min(intervalMs, deadline - Date.now()),
          probeAbort.signal,
        );
      }
    } while (!expired());
    options.signal?.throwIfAborted();
    throw new WaitTimeoutError(
      options.description,
      timeoutMs,
      attempts,
      lastError,
    );
  } finally {
    clearTimeout(deadlineTimer);
    options.signal?.removeEventListener("abort", onOuterAbort);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause === undefined
      ? ""
      : ` (cause: ${errorText(error.cause)})`;
    return `${error.message}${cause}`;
  }
  return String(error);
}
