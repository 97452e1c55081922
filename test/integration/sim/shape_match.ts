// Compares a response body with an example body by shape: same keys and JSON types, values ignored.

/** Paths (dot-separated, `[]` for array items) whose content is instance-specific and not compared. */
export type IgnoredPaths = readonly string[];

function kind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return kind(value) === "object";
}

/**
 * Where `actual` does not have the shape of `example`: every key of an example object must exist
 * with the same JSON type, recursively; array items are compared with the example's first item
 * (an empty actual array only matches at paths other than `value`, where a list must show items).
 * `null` in the example matches anything, even absence (the examples use it for "not set").
 */
export function shapeMismatches(
  example: unknown,
  actual: unknown,
  ignored: IgnoredPaths = [],
  path = "",
): string[] {
  if (ignored.includes(path) || example === null) return [];
  const where = path === "" ? "(body)" : path;
  if (kind(example) !== kind(actual)) {
    return [`${where}: expected ${kind(example)}, got ${kind(actual)}`];
  }
  if (Array.isArray(example) && Array.isArray(actual)) {
    if (example.length === 0) return [];
    if (actual.length === 0) {
      return path === "value" ? [`${where}: expected items`] : [];
    }
    return actual.flatMap((item) =>
      shapeMismatches(example[0], item, ignored, `${path}[]`)
    );
  }
  if (isRecord(example) && isRecord(actual)) {
    return Object.entries(example).flatMap(([key, value]) => {
      const child = path === "" ? key : `${path}.${key}`;
      if (ignored.includes(child) || value === null) return [];
      return key in actual
        ? shapeMismatches(value, actual[key], ignored, child)
        : [`${child}: missing`];
    });
  }
  return [];
}
