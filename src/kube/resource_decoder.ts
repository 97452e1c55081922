// Decoding one resource's objects at the edge: list items get their type meta, a failure names the object.

import { z } from "zod";
import { formatIssues } from "./format_issues.ts";
import { KubeDecodeError } from "./kube_errors.ts";
import type { Decoder, KubeObject } from "./kube_object.ts";
import { apiVersionOf, type ResourceDescriptor } from "./resource.ts";

/** The caller's decoder for one resource, its failures turned into {@linkcode KubeDecodeError}. */
export class ResourceDecoder<T extends KubeObject> {
  readonly resource: ResourceDescriptor;
  readonly #decode: Decoder<T>;

  constructor(resource: ResourceDescriptor, decode: Decoder<T>) {
    this.resource = resource;
    this.#decode = decode;
  }

  /** Decodes one object. */
  object(value: unknown): T {
    try {
      return this.#decode(value);
    } catch (error) {
      throw new KubeDecodeError(
        `${this.resource.plural} "${describeObject(value)}"`,
        error instanceof z.ZodError
          ? formatIssues(error)
          : error instanceof Error
          ? error.message
          : String(error),
        error,
      );
    }
  }

  /**
   * Decodes a list item; list items lack apiVersion/kind, which are filled in first. With
   * `onInvalid`, an invalid item is reported there and skipped (undefined).
   */
  listed(
    item: unknown,
    onInvalid: ((error: KubeDecodeError) => void) | undefined,
  ): T | undefined {
    const withType = typeof item === "object" && item !== null
      ? {
        apiVersion: apiVersionOf(this.resource),
        kind: this.resource.kind,
        ...item,
      }
      : item;
    try {
      return this.object(withType);
    } catch (error) {
      if (error instanceof KubeDecodeError && onInvalid) {
        onInvalid(error);
        return undefined;
      }
      throw error;
    }
  }
}

/** `namespace/name` of a raw object for messages, as far as it can be read. */
function describeObject(value: unknown): string {
  const parsed = z.object({
    metadata: z.object({
      name: z.string().optional(),
      namespace: z.string().optional(),
    }),
  }).safeParse(value);
  if (!parsed.success) return "?";
  const { name, namespace } = parsed.data.metadata;
  return namespace ? `${namespace}/${name ?? "?"}` : name ?? "?";
}
