// ARM answers: the body read within its size cap, a 2xx parsed as JSON into an ArmResponse, checked against a schema.

import type { z } from "zod";
import { ArmResponseError } from "./arm_error.ts";
import type { ArmCallLine, ArmMethod } from "./arm_request.ts";
import { BodyTooLargeError, readBoundedText } from "./bounded_body.ts";

/** A successful (2xx) ARM answer with its JSON body parsed (undefined when empty). */
export interface ArmResponse {
  method: ArmMethod;
  status: number;
  headers: Headers;
  body: unknown;
  /** The URL that was requested. */
  url: string;
  /** Its path (no query). */
  path: string;
  /** The `ETag` header, verbatim. */
  etag: string | undefined;
  /** When the answer arrived (the client's clock, ms since the epoch). */
  receivedAt: number;
}

/**
 * The body of `response` as text, at most `maxBytes`.
 *
 * @throws {ArmResponseError} when it is larger
 */
export async function readArmBody(
  response: Response,
  line: ArmCallLine,
  maxBytes: number,
): Promise<string> {
  try {
    return await readBoundedText(response, maxBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    throw new ArmResponseError(line, response.status, error.message, {
      cause: error,
    });
  }
}

/**
 * The {@linkcode ArmResponse} of a 2xx answer whose body is `text`.
 *
 * @throws {ArmResponseError} when a non-empty body is not JSON
 */
export function armResponse(
  url: URL,
  response: Response,
  text: string,
  line: ArmCallLine,
  receivedAt: number,
): ArmResponse {
  let body: unknown;
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new ArmResponseError(line, response.status, "body is not JSON", {
        cause: error,
      });
    }
  }
  return {
    method: line.method,
    status: response.status,
    headers: response.headers,
    body,
    url: url.href,
    path: url.pathname,
    etag: response.headers.get("etag") ?? undefined,
    receivedAt,
  };
}

/**
 * Parses an ARM response body with `schema`.
 *
 * @throws {ArmResponseError} naming the first mismatch
 */
export function parseArmBody<T>(
  response: ArmResponse,
  schema: z.ZodType<T>,
): T {
  const parsed = schema.safeParse(response.body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ArmResponseError(
    { method: response.method, path: response.path },
    response.status,
    `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
  );
}
