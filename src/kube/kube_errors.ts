// Typed errors of the Kubernetes layer: API errors (from Status bodies), transport, decoding and config.

import { z } from "zod";

/** One reason an API request was rejected, e.g. a field that failed validation. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** Extra data of a Status: the object concerned and, for validation errors, the causes. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

const statusCauseSchema = z.object({
  reason: z.string().exactOptional(),
  message: z.string().exactOptional(),
  field: z.string().exactOptional(),
});

/** A `meta/v1` Status as the API server sends it for failures and in watch ERROR events. */
export const statusSchema = z.object({
  kind: z.literal("Status"),
  status: z.string().exactOptional(),
  message: z.string().exactOptional(),
  reason: z.string().exactOptional(),
  code: z.number().int().exactOptional(),
  details: z.object({
    name: z.string().exactOptional(),
    group: z.string().exactOptional(),
    kind: z.string().exactOptional(),
    uid: z.string().exactOptional(),
    causes: z.array(statusCauseSchema).exactOptional(),
    retryAfterSeconds: z.number().int().exactOptional(),
  }).exactOptional(),
});

/** A parsed `meta/v1` Status. */
export type KubeStatus = z.infer<typeof statusSchema>;

const REASON_BY_CODE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** What identifies the failed request in messages and logs. */
export interface KubeRequestRef {
  method: string;
  path: string;
}

/** Constructor input of {@linkcode KubeApiError}. */
export interface KubeApiErrorInit extends KubeRequestRef {
  status: number;
  reason: string;
  message: string;
  details?: StatusDetails | undefined;
  retryAfterSeconds?: number | undefined;
}

/** A request the API server answered with a failure (HTTP status or a watch ERROR event). */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  /** HTTP status code (or the Status `code` of a watch ERROR event). */
  readonly status: number;
  /** Machine reason from the Status (`NotFound`, `Conflict`, `Expired`, ...). */
  readonly reason: string;
  /** The server's message, without our prefix. */
  readonly serverMessage: string;
  /** Status details, incl. validation causes. */
  readonly details: StatusDetails | undefined;
  /** Seconds the server asked us to wait (Retry-After header or details). */
  readonly retryAfterSeconds: number | undefined;
  readonly method: string;
  readonly path: string;

  constructor(init: KubeApiErrorInit) {
    super(
      `Kubernetes API request "${init.method} ${init.path}" failed with ${init.status} ${init.reason}: ${init.message}`,
    );
    this.status = init.status;
    this.reason = init.reason;
    this.serverMessage = init.message;
    this.details = init.details;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.method = init.method;
    this.path = init.path;
  }

  /** 404: the object (or its namespace, or the resource type) does not exist. */
  isNotFound(): boolean {
    return this.status === 404;
  }

  /** 409 Conflict: an update carried a stale resourceVersion (or an apply conflict). */
  isConflict(): boolean {
    return this.status === 409 && this.reason !== "AlreadyExists";
  }

  /** 409 AlreadyExists: a create found the name taken. */
  isAlreadyExists(): boolean {
    return this.status === 409 && this.reason === "AlreadyExists";
  }

  /** 410 / Expired / Gone: a resourceVersion or continue token is too old; relist. */
  isGone(): boolean {
    return this.status === 410 || this.reason === "Expired" ||
      this.reason === "Gone";
  }

  /** 403: RBAC or admission denied the request. */
  isForbidden(): boolean {
    return this.status === 403;
  }

  /** 422: the object failed validation; see `details.causes`. */
  isInvalid(): boolean {
    return this.status === 422;
  }

  /** 401: the credentials were rejected. */
  isUnauthorized(): boolean {
    return this.status === 401;
  }

  /** 429: the server throttled us; see `retryAfterSeconds`. */
  isTooManyRequests(): boolean {
    return this.status === 429;
  }
}

/** Parses a Retry-After header holding seconds (HTTP dates are not used by the API server). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value.trim());
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** Builds a {@linkcode KubeApiError} from a parsed Status (watch ERROR events use this). */
export function kubeApiErrorFromStatus(
  status: KubeStatus,
  request: KubeRequestRef,
  httpStatus?: number,
  retryAfterHeader?: number,
): KubeApiError {
  const code = status.code ?? httpStatus ?? 500;
  return new KubeApiError({
    ...request,
    status: code,
    reason: status.reason ?? REASON_BY_CODE[code] ?? "Unknown",
    message: status.message ?? "",
    details: status.details,
    retryAfterSeconds: retryAfterHeader ?? status.details?.retryAfterSeconds,
  });
}

const MAX_BODY_IN_MESSAGE = 512;

/** Builds a {@linkcode KubeApiError} from a failed HTTP response body (a Status, or anything else). */
export function kubeApiErrorFromResponse(
  httpStatus: number,
  retryAfterHeader: string | null,
  bodyText: string,
  request: KubeRequestRef,
): KubeApiError {
  const retryAfter = parseRetryAfter(retryAfterHeader);
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  const parsed = statusSchema.safeParse(json);
  if (parsed.success) {
    return kubeApiErrorFromStatus(
      { ...parsed.data, code: httpStatus },
      request,
      httpStatus,
      retryAfter,
    );
  }
  return new KubeApiError({
    ...request,
    status: httpStatus,
    reason: REASON_BY_CODE[httpStatus] ?? "Unknown",
    message: bodyText.trim().slice(0, MAX_BODY_IN_MESSAGE),
    retryAfterSeconds: retryAfter,
  });
}

/** The request never got an HTTP answer: connection refused, TLS failure, timeout. Retryable. */
export class KubeTransportError extends Error {
  override readonly name = "KubeTransportError";
  readonly method: string;
  readonly path: string;
  /** Whether our own request timeout fired. */
  readonly timedOut: boolean;

  constructor(
    request: KubeRequestRef,
    cause: unknown,
    timedOut = false,
  ) {
    const detail = timedOut
      ? "timed out"
      : cause instanceof Error
      ? describeCause(cause)
      : String(cause);
    super(
      `Kubernetes API request "${request.method} ${request.path}" failed: ${detail}`,
      { cause },
    );
    this.method = request.method;
    this.path = request.path;
    this.timedOut = timedOut;
  }
}

function describeCause(error: Error): string {
  // fetch wraps the useful part ("invalid peer certificate", "connection refused") in `cause`.
  const inner = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${inner}`;
}

/** An object or response from the API server did not have the expected shape. Not retryable. */
export class KubeDecodeError extends Error {
  override readonly name = "KubeDecodeError";
  /** What was being decoded, e.g. `configmaps "ns/name"`. */
  readonly subject: string;

  constructor(subject: string, detail: string, cause?: unknown) {
    super(`Could not decode ${subject}: ${detail}`, { cause });
    this.subject = subject;
  }
}

/** The kubeconfig or in-cluster configuration is wrong; `field` names the offending entry. */
export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
  /** File the problem is in, when there is one. */
  readonly file: string | undefined;
  /** Field path such as `users[0].user.client-key-data`, when known. */
  readonly field: string | undefined;

  constructor(
    detail: string,
    options: { file?: string; field?: string; cause?: unknown } = {},
  ) {
    const where = options.file === undefined
      ? "Invalid Kubernetes client configuration"
      : `Invalid kubeconfig "${options.file}"`;
    const field = options.field === undefined ? "" : `${options.field}: `;
    super(`${where}: ${field}${detail}`, { cause: options.cause });
    this.file = options.file;
    this.field = options.field;
  }
}

/** Getting credentials failed (exec plugin, token file); retrying later may help. */
export class KubeCredentialError extends Error {
  override readonly name = "KubeCredentialError";

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}
