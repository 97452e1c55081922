// ARM/APIM error responses: the ArmError type handlers throw and the bodies the real service returns.

import type { JsonObject } from "./json.ts";

/** One entry of `error.details`. */
export interface ErrorDetail {
  code: string;
  target: string;
  message: string;
}

/** An error the simulator answers with; handlers throw it and the pipeline renders it. */
export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | null;
  readonly headers: Record<string, string>;
  /** An ARM front-door error: its body has no `details` key at all. */
  #frontDoor = false;

  constructor(
    status: number,
    code: string,
    message: string,
    details: ErrorDetail[] | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ArmError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  /** An error ARM answers itself (see {@linkcode armFrontDoorError}). */
  static frontDoor(status: number, code: string, message: string): ArmError {
    const error = new ArmError(status, code, message);
    error.#frontDoor = true;
    return error;
  }

  /** `{"error":{"code","message","details"}}`, APIM's usual shape; ARM's own errors lack `details`. */
  body(): JsonObject {
    const error: JsonObject = { code: this.code, message: this.message };
    if (!this.#frontDoor) {
      error.details = this.details === null
        ? null
        : this.details.map((d) => ({ ...d }));
    }
    return { error };
  }
}

/**
 * An error ARM answers itself, before APIM sees the request: `{"error":{"code","message"}}`
 * without `details` (ResourceGroupNotFound: aso-…20240501#111, aso-…578500a#179).
 */
export function armFrontDoorError(
  status: number,
  code: string,
  message: string,
): ArmError {
  return ArmError.frontDoor(status, code, message);
}

/** 404 `ResourceNotFound` "`{entity}` not found." (e.g. "Api not found."). */
export function entityNotFound(entity: string): ArmError {
  return new ArmError(404, "ResourceNotFound", `${entity} not found.`);
}

/** 400 `ValidationError` with field details (target = field, or element for policies). */
export function fieldValidationError(details: ErrorDetail[]): ArmError {
  return new ArmError(
    400,
    "ValidationError",
    "One or more fields contain incorrect values:",
    details,
  );
}

/** 400 `ValidationError` for one field. */
export function invalidField(target: string, message: string): ArmError {
  return fieldValidationError([{ code: "ValidationError", target, message }]);
}

/** 400 `ValidationError` with a message and `details: null` (e.g. import failures). */
export function validationFailure(message: string): ArmError {
  return new ArmError(400, "ValidationError", message);
}

/** 409 while an async operation on the API runs. */
export function pessimisticConcurrencyConflict(): ArmError {
  return new ArmError(
    409,
    "PessimisticConcurrencyConflict",
    "Operation on the API is in progress",
  );
}

/** 412 for a stale `If-Match`. */
export function preconditionFailed(): ArmError {
  return new ArmError(
    412,
    "PreconditionFailed",
    "Exception of type 'Microsoft.WindowsAzure.ApiManagement.Management.Core.Exceptions.PreconditionFailedException' was thrown.",
  );
}

/** 400 when PATCH/DELETE come without `If-Match` (APIM declares it required; exact real code unverified). */
export function ifMatchRequired(): ArmError {
  return invalidField(
    "If-Match",
    "The 'If-Match' header is required for this operation. Use '*' for an unconditional request.",
  );
}

/** ARM 400 `InvalidRequestContent` for a body that is not JSON. */
export function invalidRequestContent(detail: string): ArmError {
  return new ArmError(
    400,
    "InvalidRequestContent",
    `The request content was invalid and could not be deserialized: '${detail}'.`,
  );
}
