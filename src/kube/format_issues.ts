// Turns zod validation issues into short "field.path: problem" messages for error texts.

import type { z } from "zod";

/** Formats a path like `users[0].user.client-key-data` from zod path segments. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** One line per issue (`path: message`), joined with "; "; at most `limit` issues are listed. */
export function formatIssues(error: z.ZodError, limit = 5): string {
  const lines = error.issues.slice(0, limit).map((issue) => {
    const path = formatPath(issue.path);
    return path === "" ? issue.message : `${path}: ${issue.message}`;
  });
  const more = error.issues.length - limit;
  if (more > 0) lines.push(`and ${more} more`);
  return lines.join("; ");
}
