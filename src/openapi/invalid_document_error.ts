// The typed error for a response that is not a usable OpenAPI document, and how its messages are worded.

import type { z } from "zod";

/**
 * The fetched bytes are not an OpenAPI 3 / Swagger 2 document we can import. `message` is ready for
 * a status condition: it says what is wrong and where (`info.title is missing`, `line 3, column 1`),
 * never quoting more than a few characters of the document. Not retryable: the same bytes give the
 * same answer; a new rollout of the application fetches again anyway.
 */
export class InvalidDocumentError extends Error {
  override readonly name = "InvalidDocumentError";
  /** Machine-readable reason: `ImportTooLarge` for a document too large to be read at all. */
  readonly reason: "InvalidDocument" | "ImportTooLarge";
  /** What is wrong, without the "Invalid OpenAPI document" prefix. */
  readonly detail: string;
  /** Retrying with the same document cannot succeed. */
  readonly retryable = false;

  constructor(
    detail: string,
    options?: ErrorOptions & { reason?: "ImportTooLarge" },
  ) {
    super(`Invalid OpenAPI document: ${detail}`, options);
    this.detail = detail;
    this.reason = options?.reason ?? "InvalidDocument";
  }
}

/** A short description of a JSON value for messages: `null`, `an array`, `the number 3`, ... */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return value.length > 40
        ? `the string "${value.slice(0, 40)}…"`
        : `the string "${value}"`;
    case "number":
    case "boolean":
      return `the ${typeof value} ${value}`;
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

/** A location in a document as users write it: `paths["/pets"].get.operationId`. */
export function formatLocation(path: readonly PropertyKey[]): string {
  return path.map((segment, i) => {
    const text = String(segment);
    if (typeof segment === "number") return `[${text}]`;
    if (/^[A-Za-z_$][\w$]*$/.test(text)) return i === 0 ? text : `.${text}`;
    return `[${JSON.stringify(text)}]`;
  }).join("");
}

const EXPECTED_WORDS: Record<string, string> = {
  object: "an object",
  record: "an object",
  string: "a string",
  number: "a number",
  array: "an array",
};

/**
 * Error map for zod parses of document parts: `is missing`, `must be a string, not the number 3`.
 * Pass it as the `error` option of `safeParse`.
 */
export function documentIssueText(
  issue: z.core.$ZodRawIssue,
): string | undefined {
  if (issue.code !== "invalid_type") return undefined;
  if (issue.input === undefined) return "is missing";
  const expected = EXPECTED_WORDS[issue.expected] ?? issue.expected;
  return `must be ${expected}, not ${describeValue(issue.input)}`;
}

/** Turns the first zod issue into an {@linkcode InvalidDocumentError} located under `prefix`. */
export function invalidFromZod(
  error: z.ZodError,
  prefix: readonly PropertyKey[] = [],
): InvalidDocumentError {
  const issue = error.issues[0];
  const where = formatLocation([...prefix, ...(issue?.path ?? [])]);
  const what = issue?.message ?? "is invalid";
  return new InvalidDocumentError(
    where === "" ? `the document ${what}` : `${where} ${what}`,
  );
}
