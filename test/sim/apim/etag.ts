// Opaque ETags (base64 of a version counter, like APIM's "AAAAAAAAAAa=") and If-Match evaluation.

import { Buffer } from "node:buffer";
import { ifMatchRequired, preconditionFailed } from "./arm_error.ts";
import type { RequestContext } from "./context.ts";

/** Hands out a new ETag for every write; never repeats within a simulator. */
export class EtagSource {
  #version = 0n;

  /** A fresh ETag. */
  next(): string {
    this.#version += 1n;
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(this.#version);
    return bytes.toString("base64");
  }
}

/** Strips a weak prefix and quotes so quoted and unquoted forms compare equal. */
function bareEtag(value: string): string {
  return value.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/** What a request does to an entity, for If-Match rules. */
export type IfMatchVerb = "PUT" | "PATCH" | "DELETE";

/**
 * Applies APIM's If-Match rules for `verb` on an entity whose current ETag is `current`
 * (`null` when the entity is absent). Returns normally when the request may proceed;
 * throws the 400/412 otherwise. For DELETE of an absent entity the caller answers 204; PATCH
 * callers look the entity up first (404).
 *
 * - PUT: optional; `*` creates or updates (APIM's examples create with `*`, and so does the CLI:
 *   cli-test_apim_product_api#2); a specific value on an absent entity or a stale one → 412.
 * - DELETE: optional although the spec declares it required: the recorded DELETEs of APIs,
 *   policies, products and product–API links without If-Match succeed (aso-…578500a#138,
 *   aso-…20240501#77, #81, #94); stale → 412.
 * - PATCH: required (400 without; every recorded PATCH sends one); stale → 412.
 */
export function checkIfMatch(
  verb: IfMatchVerb,
  header: string | null,
  current: string | null,
): void {
  if (header === null || header.trim() === "") {
    if (verb !== "PATCH") return;
    throw ifMatchRequired();
  }
  const wanted = header.split(",").map(bareEtag);
  if (wanted.includes("*")) return;
  if (current === null) {
    if (verb === "DELETE") return;
    throw preconditionFailed();
  }
  if (!wanted.includes(bareEtag(current))) throw preconditionFailed();
}

/**
 * The "concurrent writer" knob: after a GET/HEAD of an entity whose path matches, `bump` gives
 * the entity a new ETag, so the ETag the client just received is already stale.
 */
export function simulateConcurrentWrite(
  ctx: RequestContext,
  bump: () => void,
): void {
  const writer = ctx.runtime.knobs.concurrentWriter;
  if (!writer || writer.remaining <= 0) return;
  if (writer.path && !writer.path.test(decodeURIComponent(ctx.url.pathname))) {
    return;
  }
  writer.remaining -= 1;
  bump();
}
