// Splits a byte stream of newline-delimited JSON (a watch response) into parsed values.

import { KubeDecodeError } from "./kube_errors.ts";

/**
 * Yields one parsed JSON value per line of `stream`. Lines may arrive split across chunks
 * (and multi-byte characters split across bytes). Stopping the iteration, or aborting `signal`,
 * cancels the stream (a pending read does not always end when only the fetch is aborted).
 */
export async function* jsonLines(
  stream: ReadableStream<Uint8Array>,
  subject: string,
  signal?: AbortSignal,
): AsyncGenerator<unknown> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let finished = false;
  const cancel = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    signal?.throwIfAborted();
    for (;;) {
      const { value, done } = await reader.read();
      if (done && signal?.aborted) throw signal.reason;
      if (done) {
        finished = true;
        break;
      }
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line !== "") yield parseLine(line, subject);
      }
    }
    const rest = buffer.trim();
    if (rest !== "") yield parseLine(rest, subject);
  } finally {
    signal?.removeEventListener("abort", cancel);
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function parseLine(line: string, subject: string): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new KubeDecodeError(subject, "a line is not JSON", error);
  }
}
