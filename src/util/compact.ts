// Drops null and undefined members, so optional fields stay absent (exactOptionalPropertyTypes).

/** `T` with every member optional and never null or undefined. */
export type Compact<T> = { [K in keyof T]?: NonNullable<T[K]> };

/** A copy of `record` without its null and undefined members. */
export function compact<T extends Record<string, unknown>>(
  record: T,
): Compact<T> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value !== null && value !== undefined) result[key] = value;
  }
  return result as Compact<T>;
}
