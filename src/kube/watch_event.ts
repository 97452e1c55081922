// Watch events: the typed union and its decoder (objects through the caller's decoder, ERROR as KubeApiError).

import { z } from "zod";
import { formatIssues } from "./format_issues.ts";
import {
  KubeApiError,
  kubeApiErrorFromStatus,
  KubeDecodeError,
  type KubeRequestRef,
  statusSchema,
} from "./kube_errors.ts";

/** One event of a watch stream. BOOKMARK carries only a resourceVersion; ERROR a typed error. */
export type WatchEvent<T> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  | { type: "BOOKMARK"; resourceVersion: string }
  | { type: "ERROR"; error: KubeApiError };

const rawEventSchema = z.object({
  type: z.enum(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]),
  object: z.unknown(),
});

const bookmarkObjectSchema = z.object({
  metadata: z.object({ resourceVersion: z.string() }),
});

/** Decodes one line of a watch stream. `decodeObject` validates ADDED/MODIFIED/DELETED objects. */
export function decodeWatchEvent<T>(
  value: unknown,
  decodeObject: (object: unknown) => T,
  request: KubeRequestRef,
): WatchEvent<T> {
  const subject = `a watch event of "${request.path}"`;
  const raw = rawEventSchema.safeParse(value);
  if (!raw.success) {
    throw new KubeDecodeError(subject, formatIssues(raw.error));
  }
  const { type, object } = raw.data;
  switch (type) {
    case "BOOKMARK": {
      const bookmark = bookmarkObjectSchema.safeParse(object);
      if (!bookmark.success) {
        throw new KubeDecodeError(subject, formatIssues(bookmark.error));
      }
      return {
        type,
        resourceVersion: bookmark.data.metadata.resourceVersion,
      };
    }
    case "ERROR": {
      const status = statusSchema.safeParse(object);
      const error = status.success
        ? kubeApiErrorFromStatus(status.data, request)
        : new KubeApiError({
          ...request,
          status: 500,
          reason: "InternalError",
          message: `unrecognised watch error: ${
            JSON.stringify(object).slice(0, 512)
          }`,
        });
      return { type, error };
    }
    default:
      return { type, object: decodeObject(object) };
  }
}
