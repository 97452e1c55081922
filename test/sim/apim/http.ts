// Response builders and request-body parsing (zod) for the APIM simulator.

import { z } from "zod";
import {
  ArmError,
  fieldValidationError,
  invalidRequestContent,
} from "./arm_error.ts";
import type { RequestContext } from "./context.ts";
import type { JsonValue } from "./json.ts";

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/** A JSON response, with an `ETag` header when `etag` is given. */
export function jsonResponse(
  status: number,
  body: JsonValue,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": JSON_CONTENT_TYPE, ...headers },
  });
}

/** A response without a body. */
export function emptyResponse(
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(null, { status, headers });
}

/** The JSON error response for `error`. */
export function errorResponse(error: ArmError): Response {
  return jsonResponse(error.status, error.body(), error.headers);
}

/** An entity answer: body (or none for HEAD) plus `ETag`. */
export function entityResponse(
  ctx: RequestContext,
  status: number,
  body: JsonValue,
  etag: string,
): Response {
  return ctx.method === "HEAD"
    ? emptyResponse(status, { etag })
    : jsonResponse(status, body, { etag });
}

/** Field name APIM reports as `target` (without the `properties.` envelope). */
function targetOf(path: readonly PropertyKey[]): string {
  const target = path.map(String).join(".");
  return target.replace(/^properties\./, "");
}

/** Reads the JSON body and validates it with `schema`; 400 with details otherwise. */
export async function readBody<T extends z.ZodType>(
  ctx: RequestContext,
  schema: T,
): Promise<z.infer<T>> {
  const text = await ctx.request.text();
  let raw: unknown;
  try {
    raw = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw invalidRequestContent(
      error instanceof Error ? error.message : String(error),
    );
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw fieldValidationError(parsed.error.issues.map((issue) => ({
    code: "ValidationError",
    target: targetOf(issue.path),
    message: issue.message,
  })));
}

/** A string of `min`..`max` characters, with APIM's length message for `field`. */
export function boundedString(
  field: string,
  min: number,
  max: number,
): z.ZodString {
  const message =
    `The field ${field} must be a string with a minimum length of '${min}' and a maximum length of '${max}'.`;
  return z.string().min(min, message).max(max, message);
}
