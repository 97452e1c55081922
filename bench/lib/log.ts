// Progress lines of the benchmark runner on stderr (stdout carries only the results table).

const encoder = new TextEncoder();
const started = performance.now();

/** Writes `[bench +12.3s] message` to stderr. */
export function note(message: string): void {
  const elapsed = ((performance.now() - started) / 1000).toFixed(1);
  Deno.stderr.writeSync(encoder.encode(`[bench +${elapsed}s] ${message}\n`));
}

/** Writes text to stdout as is. */
export async function printOut(text: string): Promise<void> {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

/** The message of an error, or the value as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
