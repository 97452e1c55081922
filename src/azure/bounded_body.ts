// Reads an HTTP response body as text, refusing bodies above a size cap without buffering them.

/** The body exceeded the cap; the rest of the stream was cancelled. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super(`Response body exceeds the limit of ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/**
 * The whole body of `response` as UTF-8 text, at most `maxBytes` long. The body is always
 * consumed or cancelled, so no resource is left open.
 *
 * @throws {BodyTooLargeError} when the body is longer than `maxBytes`
 */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
): Promise<string> {
  if (!response.body) return "";
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel();
    throw new BodyTooLargeError(maxBytes);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
