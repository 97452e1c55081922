// Typed errors of the ARM edge, and the parser that turns ARM error bodies into ArmError.

import { z } from "zod";

/** One entry of an ARM error's `details`. */
export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** Where a failed ARM request went (path only: no query, no host). */
export interface ArmRequestLine {
  method: string;
  path: string;
}

/** Fields of an {@linkcode ArmError}. */
export interface ArmErrorInit extends ArmRequestLine {
  status: number;
  code: string;
  message: string;
  target?: string | undefined;
  details?: ArmErrorDetail[];
  retryAfterMs?: number | undefined;
  requestId?: string | undefined;
}

/** Base of the errors of one ARM request: which method and path failed. */
export abstract class ArmRequestFailure extends Error {
  readonly method: string;
  readonly path: string;

  constructor(
    request: ArmRequestLine,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.method = request.method;
    this.path = request.path;
  }
}

/** ARM answered with an error status; `message` is ARM's text verbatim. */
export class ArmError extends ArmRequestFailure {
  override name = "ArmError";
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: readonly ArmErrorDetail[];
  /** From `Retry-After`, when the answer had one. */
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;

  constructor(init: ArmErrorInit) {
    super(init, init.message);
    this.status = init.status;
    this.code = init.code;
    this.target = init.target;
    this.details = init.details ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = init.requestId;
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : "network error";
}

/** No answer from ARM: the connection failed or the request timed out. */
export class ArmTransportError extends ArmRequestFailure {
  override name = "ArmTransportError";
  readonly reason: "timeout" | "network";

  constructor(
    request: ArmRequestLine,
    reason: "timeout" | "network",
    options?: ErrorOptions,
  ) {
    const what = `ARM request "${request.method} ${request.path}"`;
    super(
      request,
      reason === "timeout"
        ? `${what} timed out`
        : `${what} failed: ${describeCause(options?.cause)}`,
      options,
    );
    this.reason = reason;
  }
}

/** ARM answered, but the body was too large, not JSON, or not of the expected shape. */
export class ArmResponseError extends ArmRequestFailure {
  override name = "ArmResponseError";
  readonly status: number;

  constructor(
    request: ArmRequestLine,
    status: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      request,
      `Unexpected ARM response to "${request.method} ${request.path}" (${status}): ${detail}`,
      options,
    );
    this.status = status;
  }
}

/** A URL (poll URL, nextLink) is not on the configured ARM origin: refused, no token sent. */
export class UntrustedUrlError extends Error {
  override name = "UntrustedUrlError";
  readonly url: string;

  constructor(url: string, armOrigin: string) {
    super(
      `Refused to send an ARM request to "${url}": only "${armOrigin}" receives the bearer token`,
    );
    this.url = url;
  }
}

/** A request was refused before sending: an invalid id or body. Fixing the input is the only cure. */
export class InvalidArmRequestError extends Error {
  override name = "InvalidArmRequestError";
}

const detailSchema = z.object({
  code: z.string().nullish(),
  message: z.string().nullish(),
  target: z.string().nullish(),
});

const errorBodySchema = z.object({
  code: z.string().nullish(),
  message: z.string().nullish(),
  target: z.string().nullish(),
  details: z.array(detailSchema).nullish(),
});

// ASP.NET's own answer, e.g. APIM's 405 `{"Message": "The requested resource does not support
// http method 'GET'."}` (test/fixtures/azure-recordings/aso-…20240501#89).
const aspNetErrorSchema = z.object({ Message: z.string() }).transform((e) => ({
  code: undefined,
  message: e.Message,
  target: undefined,
  details: undefined,
}));

// common-types v5 `{error:{...}}`, APIM's ErrorResponse (same envelope), a bare `{code, message}`,
// or ASP.NET's `{Message}`.
const errorEnvelopeSchema = z.union([
  z.object({ error: errorBodySchema }).transform((e) => e.error),
  aspNetErrorSchema,
  errorBodySchema,
]);

const MAX_MESSAGE_CHARS = 2000;

function plainTextMessage(text: string, statusText: string): string {
  const trimmed = text.trim().replace(/\s+/g, " ");
  if (!trimmed) return statusText || "no error details";
  return trimmed.length > MAX_MESSAGE_CHARS
    ? `${trimmed.slice(0, MAX_MESSAGE_CHARS)}...`
    : trimmed;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Context for {@linkcode parseArmError} besides the body. */
export interface ArmErrorContext extends ArmRequestLine {
  status: number;
  statusText?: string;
  retryAfterMs?: number | undefined;
  requestId?: string | undefined;
}

/**
 * Builds an {@linkcode ArmError} from an error response body: the common-types v5 and APIM
 * shapes (`details: null` included), a bare `{code, message}`, or any non-JSON text.
 */
export function parseArmError(
  text: string,
  context: ArmErrorContext,
): ArmError {
  const parsed = errorEnvelopeSchema.safeParse(parseJson(text));
  const body = parsed.success && (parsed.data.code || parsed.data.message)
    ? parsed.data
    : undefined;
  const details = (body?.details ?? []).map((d): ArmErrorDetail => ({
    code: d.code ?? "",
    message: d.message ?? "",
    ...(typeof d.target === "string" ? { target: d.target } : {}),
  }));
  return new ArmError({
    method: context.method,
    path: context.path,
    status: context.status,
    code: body?.code || `Http${context.status}`,
    message: body?.message ||
      plainTextMessage(body ? "" : text, context.statusText ?? ""),
    target: body?.target ?? undefined,
    details,
    retryAfterMs: context.retryAfterMs,
    requestId: context.requestId,
  });
}

/** A request this client refused to send: its holder no longer holds the right to write (a lost lease). */
export class FencedRequestError extends ArmRequestFailure {
  override name = "FencedRequestError";
  constructor(request: ArmRequestLine) {
    super(
      request,
      `ARM request "${request.method} ${request.path}" not sent: this replica no longer holds the leader lease`,
    );
  }
}
