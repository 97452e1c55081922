// Generic typed ARM resource calls (get with ETag, write, delete, paged list) that the APIM functions share.

import { z } from "zod";
import type { ArmClient } from "./arm_client.ts";
import type { ArmMethod, ArmQuery } from "./arm_request.ts";
import { type ArmResponse, parseArmBody } from "./arm_response.ts";
import {
  ArmError,
  ArmResponseError,
  InvalidArmRequestError,
} from "./arm_error.ts";
import type { ArmPath } from "./arm_path.ts";

/** An entity and the ETag it was read or written with (send it back verbatim as If-Match). */
export interface Versioned<T> {
  entity: T;
  etag: string | undefined;
}

/** What a PUT sends: the properties, and If-Match when replacing a version the caller read. */
export interface PutRequest<P> {
  properties: P;
  /** The ETag last read; omit to create or overwrite. */
  ifMatch?: string | undefined;
}

/** What a PATCH sends; APIM requires If-Match. */
export interface PatchRequest<P> {
  properties: P;
  /** Required by APIM: the ETag last read, or `*`. */
  ifMatch: string;
}

/** The precondition of a DELETE; APIM requires If-Match. */
export interface DeletePrecondition {
  /** Required by APIM: the ETag last read, or `*`. */
  ifMatch: string;
}

/** A write: where, what (validated body), and the optional If-Match. */
export interface ResourceWrite {
  method: Extract<ArmMethod, "PUT" | "PATCH" | "DELETE">;
  path: ArmPath;
  /** JSON body, already validated with {@linkcode requestBody}. */
  body?: unknown;
  ifMatch?: string | undefined;
  query?: ArmQuery;
  /** See `ArmRequest.retry`; `"rejected"` for writes that must never be sent twice. */
  retry?: boolean | "rejected";
  /** See `ArmRequest.beforeAttempt`. */
  beforeAttempt?: () => Promise<void>;
}

const MAX_PAGES = 1000;

function pageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    value: z.array(item),
    nextLink: z.string().nullish(),
  });
}

/**
 * Validates `properties` against an APIM request schema and wraps them as `{properties}`.
 *
 * @throws {InvalidArmRequestError} naming the first invalid field
 */
export function requestBody<S extends z.ZodType>(
  schema: S,
  properties: z.input<S>,
): { properties: z.output<S> } {
  const parsed = schema.safeParse(properties);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArmRequestError(
      `Invalid request field "${issue?.path.join(".") || "properties"}": ${
        issue?.message ?? "invalid"
      }`,
    );
  }
  return { properties: parsed.data };
}

/** GETs a resource with its ETag; undefined when ARM answers 404. */
export async function getResource<T>(
  client: ArmClient,
  path: ArmPath,
  schema: z.ZodType<T>,
  query?: ArmQuery,
): Promise<Versioned<T> | undefined> {
  let response: ArmResponse;
  try {
    response = await client.request({
      method: "GET",
      path,
      ...(query ? { query } : {}),
    });
  } catch (error) {
    if (error instanceof ArmError && error.status === 404) return undefined;
    throw error;
  }
  return { entity: parseArmBody(response, schema), etag: response.etag };
}

/** Sends a PUT/PATCH/DELETE and returns ARM's answer as is (for callers that read status or headers). */
export function writeResource(
  client: ArmClient,
  write: ResourceWrite,
): Promise<ArmResponse> {
  return client.request({
    method: write.method,
    path: write.path,
    ...(write.query ? { query: write.query } : {}),
    ...(write.body !== undefined ? { body: write.body } : {}),
    ...(write.retry !== undefined ? { retry: write.retry } : {}),
    ...(write.beforeAttempt ? { beforeAttempt: write.beforeAttempt } : {}),
    ...(write.ifMatch !== undefined
      ? { headers: { "If-Match": write.ifMatch } }
      : {}),
  });
}

/** Sends a PUT/PATCH whose answer is the entity, and returns it with its ETag. */
export async function writeEntity<T>(
  client: ArmClient,
  write: ResourceWrite,
  schema: z.ZodType<T>,
): Promise<Versioned<T>> {
  const response = await writeResource(client, write);
  return { entity: parseArmBody(response, schema), etag: response.etag };
}

/**
 * GETs every page of a list, following `nextLink` (only on the ARM origin: the client refuses
 * any other host before sending).
 */
export async function listResources<T>(
  client: ArmClient,
  path: ArmPath,
  item: z.ZodType<T>,
  query?: ArmQuery,
): Promise<T[]> {
  const schema = pageSchema(item);
  const items: T[] = [];
  let response = await client.request({
    method: "GET",
    path,
    ...(query ? { query } : {}),
  });
  for (let page = 1;; page++) {
    const { value, nextLink } = parseArmBody(response, schema);
    items.push(...value);
    if (!nextLink) return items;
    if (page >= MAX_PAGES) {
      throw new ArmResponseError(
        { method: "GET", path: response.path },
        response.status,
        `more than ${MAX_PAGES} pages`,
      );
    }
    response = await client.request({ method: "GET", url: nextLink });
  }
}
